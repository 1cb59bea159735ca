package dev.caravan.app.export;

import dev.caravan.component.agent.AgentSpec;
import dev.caravan.component.call.CallSpec;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.expr.Expressions;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.llm.provider.AnthropicChatModelFactory;
import dev.caravan.llm.provider.GeminiChatModelFactory;
import dev.caravan.llm.provider.OpenAiChatModelFactory;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.common.ScalarStyle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A workflow as Camel K resources (camel.apache.org/v1): an {@code Integration} running its compiled routes (the
 * trigger routes first, as {@code caravan compile} prints them, then the routes of the workflows it runs as
 * sub-workflows) with the workflow files mounted from a {@code ConfigMap} where {@code caravan-run:begin} finds them
 * ({@code caravan.workflows}), its pods members of the
 * server's Hazelcast cluster (found through the server's headless Service); and, for a Kafka trigger, a {@code Pipe}
 * that starts the same runs from the {@code kafka-source} Kamelet instead, its pods compiling and deploying the
 * workflow's routes from the mounted files ({@code caravan.workflows.deploy}). Settings come from the
 * {@code caravan-settings} ConfigMap and keys from the Secrets {@code k8s/} names ({@code caravan-llm},
 * {@code caravan-cdc}); no value of either is ever written, only references to them.
 */
public final class CamelKExport {

    /** Where the workflow file is mounted in the container. */
    static final String WORKFLOWS_DIR = "/etc/caravan/workflows";
    /** A CDC trigger's Debezium offsets. */
    static final String DATA_DIR = "/var/lib/caravan";
    static final String SETTINGS = "caravan-settings";
    static final String LLM_KEYS = "caravan-llm";
    static final String CDC_CREDENTIALS = "caravan-cdc";
    /** Webhook signing secrets, one key per environment variable a trigger names. */
    static final String WEBHOOK_SECRETS = "caravan-webhooks";
    /** The server's ServiceAccount, whose Role lets Hazelcast's Kubernetes discovery read the endpoints. */
    static final String SERVICE_ACCOUNT = "caravan";
    /** The server's Hazelcast cluster and the headless Service its members are found through. */
    static final String CLUSTER_NAME = "caravan";
    static final String CLUSTER_SERVICE = "caravan-hazelcast";
    static final int HAZELCAST_PORT = 5701;
    /**
     * How often a Pipe's sink is tried again before the record goes to the dead-letter topic, and how long it waits
     * before each: enough to ride out a member leaving the cluster (its partitions move within seconds), short enough
     * that a record the workflow refuses holds its partition for a few seconds only.
     */
    static final int PIPE_REDELIVERIES = 3;
    static final int PIPE_REDELIVERY_DELAY_MS = 2000;

    /** The environment variable of each provider's key. */
    private static final Map<String, String> PROVIDER_KEYS = Map.of(
            "openai", OpenAiChatModelFactory.API_KEY_ENV,
            "anthropic", AnthropicChatModelFactory.API_KEY_ENV,
            "gemini", GeminiChatModelFactory.API_KEY_ENV);

    /**
     * What the export wrote.
     *
     * @param integration    the Integration and the workflow's ConfigMap, as one YAML stream
     * @param pipe           the Pipe, or null when the workflow has no trigger a Kamelet source can stand in for
     * @param pipeNote       why there is a Pipe, or why not
     * @param unknownSchemes endpoint schemes no artifact is known for: add their dependencies by hand
     */
    public record Exported(String integration, String pipe, String pipeNote, Set<String> unknownSchemes) {
    }

    /**
     * A workflow a {@code workflow} node of the exported one runs (at any depth): its file rides in the ConfigMap and
     * its compiled routes in the flows, without its own triggers (only the exported workflow's start runs).
     *
     * @param fileName its file's name, as mounted
     * @param fileText its content, unchanged
     * @param routes   its compiled routes, without trigger routes
     */
    public record SubWorkflow(Workflow workflow, String fileName, String fileText, String routes) {
    }

    private final Workflow workflow;
    private final String fileName;
    private final String fileText;
    private final List<SubWorkflow> subWorkflows;
    private final String version;

    /**
     * @param fileName     the workflow file's name, as mounted
     * @param fileText     its content, shipped unchanged (its hash is what runs record)
     * @param subWorkflows the workflows it runs as sub-workflows, at any depth
     * @param version      the Caravan version the dependencies name
     */
    public CamelKExport(Workflow workflow, String fileName, String fileText, List<SubWorkflow> subWorkflows,
            String version) {
        this.workflow = workflow;
        this.fileName = fileName;
        this.fileText = fileText;
        this.subWorkflows = List.copyOf(subWorkflows);
        this.version = version;
    }

    /**
     * @param routes         the compiled routes with the trigger routes first, as {@code caravan compile} prints them
     * @param workflowRoutes the compiled routes without the trigger routes, which a Pipe runs after its source
     */
    public Exported export(String routes, String workflowRoutes) {
        String name = workflow.name();
        List<Object> flows = withSubWorkflows(load(routes));
        Set<String> schemes = schemes(flows);
        Set<String> unknown = new TreeSet<>();
        Set<String> dependencies = dependencies(schemes, unknown);

        Map<String, Object> integration = resource("camel.apache.org/v1", "Integration", name);
        Map<String, Object> spec = map(integration, "spec");
        spec.put("serviceAccountName", SERVICE_ACCOUNT);
        spec.put("dependencies", List.copyOf(dependencies));
        spec.put("flows", flows);
        spec.put("traits", traits(schemes, false));

        StringBuilder out = new StringBuilder()
                .append(header("Camel K Integration of workflow " + name + ", written by caravan export --camel-k."))
                .append(header("Apply it with its ConfigMap: kubectl apply -n caravan -f integration.yaml, after k8s/ "
                        + "(its pods join"))
                .append(header("the server's Hazelcast cluster; it reads the caravan-settings ConfigMap and the "
                        + "Secrets). Regenerate, do not edit."))
                .append(dump(integration)).append("---\n")
                .append(header("The workflow file, mounted where caravan-run:begin reads it (the property "
                        + "caravan.workflows)."))
                .append(dump(workflowConfigMap()));

        Trigger.Kafka kafka = workflow.triggers().stream().filter(Trigger.Kafka.class::isInstance)
                .map(Trigger.Kafka.class::cast).findFirst().orElse(null);
        if (kafka == null) {
            String kinds = workflow.triggers().isEmpty() ? "no triggers"
                    : "triggers of kind " + String.join(", ", workflow.triggers().stream().map(Trigger::kind).toList());
            return new Exported(out.toString(), null, "no Pipe: the workflow has " + kinds
                    + ", which no Kamelet source stands in for (only kafka triggers do)", unknown);
        }
        // the pod compiles and deploys the workflow's routes (and its sub-workflows') from the mounted files: its
        // class path needs what they use
        Set<String> pipeSchemes = schemes(withSubWorkflows(load(workflowRoutes)));
        pipeSchemes.add("kamelet");
        pipeSchemes.add("kafka"); // the source's, and the dead-letter topic's
        Set<String> pipeDependencies = dependencies(pipeSchemes, unknown);
        return new Exported(out.toString(), pipe(kafka, pipeDependencies, pipeSchemes),
                "Pipe " + name + ": the Kamelet kafka-source (topic " + kafka.topic()
                        + ") to caravan-run-action, instead of the Integration's trigger route; dead letters to "
                        + kafka.deadLetterTopic(), unknown);
    }

    private String pipe(Trigger.Kafka kafka, Set<String> dependencies, Set<String> schemes) {
        String name = workflow.name();
        Map<String, Object> pipe = resource("camel.apache.org/v1", "Pipe", name);
        Map<String, Object> spec = map(pipe, "spec");
        Map<String, Object> source = map(spec, "source");
        source.put("ref", kameletRef("kafka-source"));
        Map<String, Object> sourceProperties = map(source, "properties");
        sourceProperties.put("topic", kafka.topic());
        sourceProperties.put("bootstrapServers", "{{caravan.kafka.bootstrap-servers}}");
        sourceProperties.put("saslAuthType", "NONE"); // k8s/'s Kafka listens in plain text inside the cluster
        sourceProperties.put("consumerGroup", kafka.group() != null ? kafka.group()
                : "caravan-" + name + "-" + kafka.id());
        sourceProperties.put("autoOffsetReset", "earliest");
        Map<String, Object> sink = map(spec, "sink");
        sink.put("ref", kameletRef("caravan-run-action"));
        Map<String, Object> sinkProperties = map(sink, "properties");
        sinkProperties.put("workflow", name);
        sinkProperties.put("trigger", kafka.id());
        // A record the sink cannot take (not JSON, input the workflow refuses, a filter that fails, the cluster out of
        // reach) goes to the trigger's dead-letter topic, as the trigger's own route sends it, once the redeliveries
        // are spent; Camel K makes a deadLetterChannel error handler of the Pipe's routes of it. Without it the record
        // would be logged and its offset committed: lost.
        Map<String, Object> deadLetter = map(map(spec, "errorHandler"), "sink");
        map(deadLetter, "endpoint").put("uri", "kafka:" + kafka.deadLetterTopic());
        Map<String, Object> redelivery = map(deadLetter, "parameters");
        redelivery.put("maximumRedeliveries", PIPE_REDELIVERIES);
        redelivery.put("redeliveryDelay", PIPE_REDELIVERY_DELAY_MS);
        spec.put("serviceAccountName", SERVICE_ACCOUNT);
        spec.put("dependencies", List.copyOf(dependencies));
        // A Pipe has no flows of its own, and Camel K 2.6 and later ignore its spec.integration: the engine deploys the
        // workflow's routes, which caravan-run-action starts runs on, from the mounted files when the pod starts
        spec.put("traits", traits(schemes, true));
        return header("Camel K Pipe of workflow " + name + ", written by caravan export --camel-k: records of topic "
                + kafka.topic() + " start runs,")
                + header("filtered and mapped by the workflow's trigger " + kafka.id()
                + ". Apply it with integration.yaml's ConfigMap")
                + header("instead of its Integration, not beside it: both would start a run per record. Regenerate, do "
                + "not edit.")
                + header("Records it cannot start a run from go to the topic " + kafka.deadLetterTopic()
                + " (the errorHandler). Its pods deploy the")
                + header("workflow's routes from the ConfigMap's files when they start (caravan.workflows.deploy).")
                + dump(pipe);
    }

    /**
     * @param deploy whether the engine deploys the workflows of the mounted files itself (a Pipe's, which carries no
     *               routes of the workflow)
     */
    private Map<String, Object> traits(Set<String> schemes, boolean deploy) {
        Map<String, Object> traits = new LinkedHashMap<>();
        List<String> properties = new ArrayList<>();
        properties.add(WorkflowCatalog.LOCATIONS_PROPERTY + "=" + WORKFLOWS_DIR);
        if (deploy) {
            properties.add(WorkflowCatalog.DEPLOY_PROPERTY + "=true");
        }
        // one Hazelcast cluster with the server's members (k8s/base/settings.env): the server's API lists these runs
        // and resolves their gates, and either side takes over the other's runs when a member leaves
        properties.add("caravan.cluster.name=" + CLUSTER_NAME);
        properties.add("caravan.cluster.kubernetes.service-name=" + CLUSTER_SERVICE);
        properties.add("caravan.cluster.port=" + HAZELCAST_PORT);
        if (schemes.contains("kafka")) {
            // caravan serve sets the component's brokers from this property; here the Integration does
            properties.add("camel.component.kafka.brokers={{caravan.kafka.bootstrap-servers}}");
        }
        boolean cdc = workflow.triggers().stream().anyMatch(Trigger.Cdc.class::isInstance);
        if (cdc) {
            properties.add("caravan.triggers.cdc.offsets-dir=" + DATA_DIR + "/cdc");
        }
        map(traits, "camel").put("properties", properties);

        Map<String, Object> container = map(traits, "container");
        container.put("ports", List.of("hazelcast;" + HAZELCAST_PORT));
        container.put("requestCPU", "500m");
        container.put("requestMemory", "1Gi");
        container.put("limitMemory", "1Gi");
        container.put("runAsNonRoot", true);
        container.put("allowPrivilegeEscalation", false);

        List<String> env = new ArrayList<>();
        if (schemes.contains("kafka")) {
            env.add(fromConfigMap("CARAVAN_KAFKA_BOOTSTRAP_SERVERS"));
        }
        for (String provider : providers()) {
            String key = PROVIDER_KEYS.get(provider);
            if (key != null) {
                env.add(key + "=secret:" + LLM_KEYS + "/" + key);
            }
        }
        for (Trigger t : workflow.triggers()) {
            if (t instanceof Trigger.Webhook hook && hook.secret() != null) {
                env.add(hook.secret() + "=secret:" + WEBHOOK_SECRETS + "/" + hook.secret());
            }
        }
        if (cdc) {
            env.add(fromConfigMap("CARAVAN_TRIGGERS_CDC_HOSTNAME"));
            env.add(fromConfigMap("CARAVAN_TRIGGERS_CDC_PORT"));
            env.add(fromConfigMap("CARAVAN_TRIGGERS_CDC_DATABASE"));
            env.add("CARAVAN_TRIGGERS_CDC_USER=secret:" + CDC_CREDENTIALS + "/username");
            env.add("CARAVAN_TRIGGERS_CDC_PASSWORD=secret:" + CDC_CREDENTIALS + "/password");
        }
        if (!env.isEmpty()) {
            map(traits, "environment").put("vars", env);
        }

        Map<String, Object> mount = map(traits, "mount");
        mount.put("resources", List.of("configmap:" + workflowConfigMapName() + "@" + WORKFLOWS_DIR));
        if (cdc) {
            // offsets in an emptyDir survive a container restart, not a rescheduled pod: see integrations/README.md
            mount.put("emptyDirs", List.of("caravan-data:" + DATA_DIR));
        }
        // the heap follows the container's memory limit, as the server's StatefulSet sizes it
        map(traits, "jvm").put("options", List.of("-XX:MaxRAMPercentage=70.0", "-XX:+ExitOnOutOfMemoryError"));
        return traits;
    }

    private static String fromConfigMap(String variable) {
        return variable + "=configmap:" + SETTINGS + "/" + variable;
    }

    private Map<String, Object> workflowConfigMap() {
        Map<String, Object> configMap = resource("v1", "ConfigMap", workflowConfigMapName());
        Map<String, Object> data = map(configMap, "data");
        data.put(fileName, fileText);
        subWorkflows.forEach(sub -> data.put(sub.fileName(), sub.fileText()));
        return configMap;
    }

    /** The flows, then the sub-workflows' routes. */
    private List<Object> withSubWorkflows(List<Object> flows) {
        for (SubWorkflow sub : subWorkflows) {
            flows.addAll(load(sub.routes()));
        }
        return flows;
    }

    /** The exported workflow, then the ones it runs. */
    private List<Workflow> workflows() {
        List<Workflow> all = new ArrayList<>();
        all.add(workflow);
        subWorkflows.forEach(sub -> all.add(sub.workflow()));
        return all;
    }

    String workflowConfigMapName() {
        return "caravan-workflow-" + workflow.name();
    }

    private Map<String, Object> resource(String apiVersion, String kind, String name) {
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("apiVersion", apiVersion);
        resource.put("kind", kind);
        Map<String, Object> metadata = map(resource, "metadata");
        metadata.put("name", name);
        Map<String, Object> labels = map(metadata, "labels");
        labels.put("app.kubernetes.io/part-of", "caravan");
        labels.put("caravan.dev/workflow", workflow.name());
        return resource;
    }

    private static Map<String, Object> kameletRef(String name) {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("apiVersion", "camel.apache.org/v1");
        ref.put("kind", "Kamelet");
        ref.put("name", name);
        return ref;
    }

    /** The artifacts of the schemes, the Caravan components always among them. */
    private Set<String> dependencies(Set<String> schemes, Set<String> unknown) {
        Set<String> dependencies = new TreeSet<>();
        dependencies.add(ComponentArtifacts.CARAVAN_COMPONENTS + version);
        for (String scheme : schemes) {
            ComponentArtifacts.of(scheme, version).ifPresentOrElse(dependencies::add, () -> unknown.add(scheme));
        }
        return dependencies;
    }

    /**
     * The endpoint schemes the routes use, and those the workflow's fixed call and tool URIs name (which its
     * caravan-call and caravan-agent endpoints send to at run time).
     */
    Set<String> schemes(List<Object> flows) {
        Set<String> schemes = new TreeSet<>();
        collectSchemes(flows, schemes);
        for (Workflow wf : workflows()) {
            wf.tools().values().forEach(t -> addScheme(t.uri(), schemes));
            collectCallSchemes(wf.nodes(), schemes);
        }
        return schemes;
    }

    private static void collectSchemes(Object yaml, Set<String> schemes) {
        if (yaml instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (("uri".equals(k) || "to".equals(k) || "toD".equals(k)) && v instanceof String uri) {
                    addScheme(uri, schemes);
                } else {
                    collectSchemes(v, schemes);
                }
            });
        } else if (yaml instanceof List<?> l) {
            l.forEach(item -> collectSchemes(item, schemes));
        }
    }

    private static void collectCallSchemes(List<Node> nodes, Set<String> schemes) {
        for (Node n : nodes) {
            if (n.spec() instanceof CallSpec call) {
                addScheme(call.uri(), schemes);
            }
            collectCallSchemes(n.spec().nodes(), schemes);
        }
    }

    private static void addScheme(String uri, Set<String> schemes) {
        if (uri == null || Expressions.containsExpression(uri) || uri.indexOf(':') < 1) {
            return; // computed when the node runs
        }
        schemes.add(uri.strip().substring(0, uri.strip().indexOf(':')));
    }

    /** The model providers the agents, defaults and fallbacks of the workflow and its sub-workflows name. */
    private Set<String> providers() {
        Set<String> models = new TreeSet<>();
        for (Workflow wf : workflows()) {
            Workflow.Defaults defaults = wf.defaults();
            if (defaults != null) {
                addModel(defaults.model(), models);
                if (defaults.fallback() != null) {
                    defaults.fallback().forEach(m -> addModel(m, models));
                }
            }
            collectModels(wf.nodes(), models);
        }
        return models;
    }

    private static void collectModels(List<Node> nodes, Set<String> providers) {
        for (Node n : nodes) {
            if (n.spec() instanceof AgentSpec agent) {
                addModel(agent.model(), providers);
                if (agent.fallback() != null) {
                    agent.fallback().forEach(m -> addModel(m, providers));
                }
            }
            collectModels(n.spec().nodes(), providers);
        }
    }

    private static void addModel(String model, Set<String> providers) {
        if (model != null && model.indexOf(':') > 0) {
            providers.add(model.substring(0, model.indexOf(':')));
        }
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        @SuppressWarnings("unchecked")
        Map<String, Object> child = (Map<String, Object>) parent.computeIfAbsent(key, k -> new LinkedHashMap<>());
        return child;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> load(String yaml) {
        Object loaded = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        return loaded == null ? new ArrayList<>() : (List<Object>) loaded;
    }

    private static String header(String text) {
        return "# " + text + "\n";
    }

    private static String dump(Object resource) {
        DumpSettings settings = DumpSettings.builder()
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setDefaultScalarStyle(ScalarStyle.PLAIN)
                .setIndent(2)
                .setIndicatorIndent(2)
                .setIndentWithIndicator(true)
                .setWidth(120)
                .build();
        return new Dump(settings).dumpToString(resource);
    }
}
