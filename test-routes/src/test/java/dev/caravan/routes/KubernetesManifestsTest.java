package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kustomize manifests of k8s/: each overlay renders with {@code kubectl kustomize} (as the README says to apply
 * it), every rendered resource is valid against the schema an API server checks it with, and the resources agree
 * with each other and with the server they run (names referenced exist, selectors select, ports and health paths are
 * the server's).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesManifestsTest {

    private static final Path K8S = Path.of("../k8s");
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures/k8s");

    /** Secrets the manifests reference and never hold: the user creates them (k8s/README.md says how). */
    private static final Set<String> USER_SECRETS = Set.of("caravan-api-keys", "caravan-llm", "caravan-cdc");
    /** The Secret CloudNativePG creates for a Cluster's application user: {@code <cluster>-app}. */
    private static final String CNPG_APP_SECRET_SUFFIX = "-app";

    /** caravan serve's port as the manifests run it, and Hazelcast's first member port. */
    private static final int HTTP_PORT = 8080;
    private static final int HAZELCAST_PORT = 5701;
    /** Camel's health endpoints on the server's port, which ServerIT asks the server for. */
    private static final String READY_PATH = "/observe/health/ready";
    private static final String LIVE_PATH = "/observe/health/live";

    private final Map<String, List<JsonNode>> renders = new HashMap<>();
    private KubernetesSchemas schemas;

    @BeforeAll
    void loadTheSchemas() {
        schemas = new KubernetesSchemas(FIXTURES.resolve("schemas/core"), KubernetesSchemas.files(FIXTURES.resolve("crds")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyRenderedResourceIsValidAgainstItsSchema(String overlay) {
        List<JsonNode> resources = render(overlay);
        assertThat(resources).extracting(r -> r.path("kind").asText())
                .contains("StatefulSet", "Service", "ConfigMap", "ServiceAccount", "Role", "RoleBinding",
                        "PodDisruptionBudget", "ServiceMonitor", "Kafka", "KafkaNodePool", "KafkaTopic");
        for (JsonNode resource : resources) {
            Optional<JsonSchema> schema = schemas.of(resource);
            assertThat(schema).as("a schema for %s", id(resource)).isPresent();
            assertThat(schema.get().validate(resource)).as("%s in %s", id(resource), overlay).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyReferenceInTheRenderResolves(String overlay) {
        assertThat(brokenReferences(render(overlay))).as(overlay).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theServerRunsOnItsPortsWithItsHealthPaths(String overlay) {
        List<JsonNode> resources = render(overlay);
        JsonNode server = one(resources, "StatefulSet", "caravan");
        JsonNode container = server.at("/spec/template/spec/containers/0");

        assertThat(texts(container.path("args"))).contains("--port=" + HTTP_PORT, "--host=0.0.0.0");
        assertThat(port(container, "http")).isEqualTo(HTTP_PORT);
        assertThat(port(container, "hazelcast")).isEqualTo(HAZELCAST_PORT);
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo(READY_PATH);
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo(LIVE_PATH);
        assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo(LIVE_PATH);
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            assertThat(container.at("/" + probe + "/httpGet/port").asText()).as(probe).isEqualTo("http");
        }
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(server.at("/spec/template/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(texts(container.path("env")).toString()).contains("-XX:MaxRAMPercentage=");
        assertThat(container.at("/resources/limits/memory").asText()).isEqualTo(
                container.at("/resources/requests/memory").asText());

        JsonNode api = one(resources, "Service", "caravan");
        assertThat(api.at("/spec/ports/0/port").asInt()).isEqualTo(HTTP_PORT);
        JsonNode hazelcast = one(resources, "Service", "caravan-hazelcast");
        assertThat(hazelcast.at("/spec/clusterIP").asText()).as("headless").isEqualTo("None");
        assertThat(hazelcast.at("/spec/ports/0/port").asInt()).isEqualTo(HAZELCAST_PORT);
        assertThat(server.at("/spec/serviceName").asText()).isEqualTo("caravan-hazelcast");
        assertThat(settings(resources)).containsEntry("CARAVAN_CLUSTER_KUBERNETES_SERVICE_NAME", "caravan-hazelcast");
        assertThat(server.at("/spec/template/spec/terminationGracePeriodSeconds").asInt())
                .as("time for the server to stop and its runs to be handed over").isGreaterThanOrEqualTo(30);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void theServerUsesTheKafkaOfTheOverlay(String overlay) {
        List<JsonNode> resources = render(overlay);
        JsonNode kafka = one(resources, "Kafka", "caravan-kafka");
        int plain = StreamSupport.stream(kafka.at("/spec/kafka/listeners").spliterator(), false)
                .filter(l -> l.path("name").asText().equals("plain")).findFirst().orElseThrow().path("port").asInt();

        // Strimzi's bootstrap Service is <cluster>-kafka-bootstrap
        assertThat(settings(resources)).containsEntry("CARAVAN_KAFKA_BOOTSTRAP_SERVERS",
                "caravan-kafka-kafka-bootstrap:" + plain);
        assertThat(resources).filteredOn(r -> r.path("kind").asText().equals("KafkaTopic"))
                .extracting(r -> r.at("/spec/topicName").asText())
                .contains(settings(resources).get("CARAVAN_EVENTS_TOPIC"), "tickets", "tickets.dlq");
        int brokers = resources.stream().filter(r -> r.path("kind").asText().equals("KafkaNodePool"))
                .filter(r -> texts(r.at("/spec/roles")).contains("broker"))
                .mapToInt(r -> r.at("/spec/replicas").asInt()).sum();
        assertThat(resources).filteredOn(r -> r.path("kind").asText().equals("KafkaTopic"))
                .allSatisfy(t -> assertThat(t.at("/spec/replicas").asInt()).as(id(t)).isLessThanOrEqualTo(brokers)
                        .isGreaterThan(t.at("/spec/config/min.insync.replicas").asInt() - 1));
    }

    @Test
    void devRunsOneMemberAndProdThreeOnPostgresWithLogicalWal() {
        assertThat(one(render("dev"), "StatefulSet", "caravan").at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(render("dev")).noneMatch(r -> r.path("kind").asText().equals("Cluster"));

        List<JsonNode> prod = render("prod");
        assertThat(one(prod, "StatefulSet", "caravan").at("/spec/replicas").asInt()).isEqualTo(3);
        JsonNode db = one(prod, "Cluster", "caravan-db");
        assertThat(db.at("/spec/postgresql/parameters/wal_level").asText()).isEqualTo("logical");
        Map<String, String> settings = settings(prod);
        // CloudNativePG's read-write Service is <cluster>-rw
        assertThat(settings.get("CARAVAN_STORE_JDBC_URL")).startsWith("jdbc:postgresql://caravan-db-rw:5432/"
                + db.at("/spec/bootstrap/initdb/database").asText());
        assertThat(settings).containsEntry("CARAVAN_TRIGGERS_CDC_HOSTNAME", "caravan-db-rw")
                .containsEntry("CARAVAN_TRIGGERS_CDC_DATABASE", db.at("/spec/bootstrap/initdb/database").asText());
        JsonNode container = one(prod, "StatefulSet", "caravan").at("/spec/template/spec/containers/0");
        assertThat(StreamSupport.stream(container.path("env").spliterator(), false)
                .map(e -> e.path("name").asText()).toList())
                .contains("CARAVAN_STORE_USER", "CARAVAN_STORE_PASSWORD", "CARAVAN_TRIGGERS_CDC_USER",
                        "CARAVAN_TRIGGERS_CDC_PASSWORD", "CARAVAN_API_KEYS");
    }

    @Test
    void theWorkflowsConfigMapCarriesTheExamplesUnchanged() throws IOException {
        JsonNode workflows = kinds(render("dev"), "ConfigMap").stream()
                .filter(r -> name(r).startsWith("caravan-workflows-"))
                .findFirst().orElseThrow();
        Map<String, Path> examples = Map.of("hello.caravan.yaml", Path.of("../routes/examples/hello.caravan.yaml"),
                "ticket-intake.caravan.yaml", Path.of("../routes/examples/triggers/ticket-intake.caravan.yaml"));

        assertThat(fieldNames(workflows.path("data"))).containsExactlyInAnyOrderElementsOf(examples.keySet());
        for (Map.Entry<String, Path> e : examples.entrySet()) {
            assertThat(workflows.at("/data/" + e.getKey()).asText()).as("%s is a copy of %s", e.getKey(), e.getValue())
                    .isEqualTo(Files.readString(e.getValue(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theReadmeNamesEverySecretTheUserCreates() throws IOException {
        String readme = Files.readString(K8S.resolve("README.md"));
        for (String secret : USER_SECRETS) {
            assertThat(readme).as("k8s/README.md says how to create %s", secret)
                    .contains("kubectl create secret generic " + secret);
        }
        assertThat(readme).contains("kubectl kustomize k8s/overlays/dev");
    }

    // the guards: each check above fails on what it is there to catch

    @Test
    void theSchemaRefusesAFieldKubernetesDoesNotKnow() {
        ObjectNode server = one(render("dev"), "StatefulSet", "caravan").deepCopy();
        ObjectNode container = (ObjectNode) server.at("/spec/template/spec/containers/0");
        container.set("readinesProbe", container.remove("readinessProbe"));

        Set<ValidationMessage> problems = schemas.of(server).orElseThrow().validate(server);

        assertThat(problems).extracting(ValidationMessage::getMessage)
                .anyMatch(m -> m.contains("readinesProbe") && m.contains("not defined in the schema"));
    }

    @Test
    void theCrdSchemaRefusesAWrongType() {
        ObjectNode topic = one(render("dev"), "KafkaTopic", "caravan-run-events").deepCopy();
        ((ObjectNode) topic.get("spec")).put("partitions", "twelve");

        assertThat(schemas.of(topic).orElseThrow().validate(topic)).extracting(ValidationMessage::getMessage)
                .anyMatch(m -> m.contains("partitions") && m.contains("string found, integer expected"));
    }

    @Test
    void aServiceThatSelectsNoPodIsReported() {
        List<JsonNode> resources = copy(render("dev"));
        ((ObjectNode) one(resources, "Service", "caravan").at("/spec/selector")).put("app.kubernetes.io/component", "api");

        assertThat(brokenReferences(resources)).singleElement().asString()
                .startsWith("Service/caravan selects no pod: ").contains("\"app.kubernetes.io/component\":\"api\"");
    }

    @Test
    void aMissingConfigMapOrUnknownSecretIsReported() {
        List<JsonNode> resources = copy(render("dev"));
        resources.removeIf(r -> r.at("/metadata/name").asText().startsWith("caravan-workflows-"));
        JsonNode env = one(resources, "StatefulSet", "caravan").at("/spec/template/spec/containers/0/env");
        ((ObjectNode) env.get(0).at("/valueFrom/secretKeyRef")).put("name", "api-keyz");

        assertThat(brokenReferences(resources))
                .anyMatch(p -> p.startsWith("StatefulSet/caravan: no ConfigMap caravan-workflows-"))
                .contains("StatefulSet/caravan: Secret api-keyz is neither in the render nor one the user or "
                        + "CloudNativePG creates");
    }

    @Test
    void aServiceMonitorThatMatchesNoServiceIsReported() {
        List<JsonNode> resources = copy(render("dev"));
        ((ObjectNode) one(resources, "ServiceMonitor", "caravan").at("/spec/endpoints/0")).put("port", "metrics");

        assertThat(brokenReferences(resources)).contains("ServiceMonitor/caravan: Service caravan has no port metrics");
    }

    // the render and the cross-references

    /** What {@code kubectl kustomize k8s/overlays/OVERLAY} prints, as the README has the user run it. */
    private List<JsonNode> render(String overlay) {
        return renders.computeIfAbsent(overlay, o -> {
            assumeTrue(kubectlAvailable(), "kubectl is not on the PATH: the kustomize overlays of k8s/ are not rendered"
                    + " and not checked (install kubectl 1.14+, which has kustomize built in)");
            try {
                Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays").resolve(o).toString())
                        .redirectError(ProcessBuilder.Redirect.PIPE).start();
                CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("kubectl kustomize %s ends", o).isTrue();
                assertThat(p.exitValue()).as("kubectl kustomize %s: %s", o,
                        new String(err.join(), StandardCharsets.UTF_8)).isZero();
                return KubernetesSchemas.yamlDocuments(out);
            } catch (IOException e) {
                throw new IllegalStateException("kubectl kustomize " + o, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        });
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static boolean kubectlAvailable() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Every name one resource gives another that the render does not resolve: workload and Service selectors,
     * ServiceAccounts, ConfigMaps, Secrets (those the user or CloudNativePG creates allowed), Roles, a StatefulSet's
     * Service, a ServiceMonitor's Service and port, a Strimzi resource's Kafka cluster.
     */
    static List<String> brokenReferences(List<JsonNode> resources) {
        List<String> problems = new ArrayList<>();
        List<JsonNode> workloads = kinds(resources, "StatefulSet", "Deployment");
        Set<String> configMaps = names(resources, "ConfigMap");
        Set<String> secrets = new HashSet<>(names(resources, "Secret"));
        secrets.addAll(USER_SECRETS);
        names(resources, "Cluster").forEach(c -> secrets.add(c + CNPG_APP_SECRET_SUFFIX));
        Predicate<JsonNode> selectsAPod = selector -> workloads.stream()
                .anyMatch(w -> contains(w.at("/spec/template/metadata/labels"), selector));

        for (JsonNode service : kinds(resources, "Service")) {
            JsonNode selector = service.at("/spec/selector");
            if (!selectsAPod.test(selector)) {
                problems.add(id(service) + " selects no pod: " + selector);
                continue;
            }
            for (JsonNode port : service.at("/spec/ports")) {
                JsonNode target = port.path("targetPort");
                if (target.isTextual() && workloads.stream().filter(w -> contains(w.at("/spec/template/metadata/labels"),
                        selector)).noneMatch(w -> containerPorts(w).contains(target.asText()))) {
                    problems.add(id(service) + ": no selected container has a port named " + target.asText());
                }
            }
        }
        for (JsonNode pdb : kinds(resources, "PodDisruptionBudget")) {
            if (!selectsAPod.test(pdb.at("/spec/selector/matchLabels"))) {
                problems.add(id(pdb) + " selects no pod");
            }
        }
        for (JsonNode workload : workloads) {
            if (!contains(workload.at("/spec/template/metadata/labels"), workload.at("/spec/selector/matchLabels"))) {
                problems.add(id(workload) + ": its selector does not select its own pods");
            }
            if (workload.path("kind").asText().equals("StatefulSet")
                    && kinds(resources, "Service").stream().noneMatch(s -> name(s).equals(
                    workload.at("/spec/serviceName").asText()) && s.at("/spec/clusterIP").asText().equals("None"))) {
                problems.add(id(workload) + ": no headless Service " + workload.at("/spec/serviceName").asText());
            }
            JsonNode pod = workload.at("/spec/template/spec");
            String account = pod.path("serviceAccountName").asText("default");
            if (!account.equals("default") && !names(resources, "ServiceAccount").contains(account)) {
                problems.add(id(workload) + ": no ServiceAccount " + account);
            }
            for (JsonNode ref : pod.findValues("configMapRef")) {
                checkName(problems, workload, "ConfigMap", ref.path("name").asText(), configMaps);
            }
            for (JsonNode ref : pod.findValues("configMapKeyRef")) {
                checkName(problems, workload, "ConfigMap", ref.path("name").asText(), configMaps);
            }
            for (JsonNode volume : pod.path("volumes")) {
                if (volume.has("configMap")) {
                    checkName(problems, workload, "ConfigMap", volume.at("/configMap/name").asText(), configMaps);
                }
                if (volume.has("secret")) {
                    checkSecret(problems, workload, volume.at("/secret/secretName").asText(), secrets);
                }
            }
            for (JsonNode ref : pod.findValues("secretRef")) {
                checkSecret(problems, workload, ref.path("name").asText(), secrets);
            }
            for (JsonNode ref : pod.findValues("secretKeyRef")) {
                checkSecret(problems, workload, ref.path("name").asText(), secrets);
            }
        }
        for (JsonNode binding : kinds(resources, "RoleBinding")) {
            checkName(problems, binding, binding.at("/roleRef/kind").asText(), binding.at("/roleRef/name").asText(),
                    names(resources, binding.at("/roleRef/kind").asText()));
            for (JsonNode subject : binding.path("subjects")) {
                checkName(problems, binding, subject.path("kind").asText(), subject.path("name").asText(),
                        names(resources, subject.path("kind").asText()));
            }
        }
        for (JsonNode monitor : kinds(resources, "ServiceMonitor")) {
            List<JsonNode> services = kinds(resources, "Service").stream()
                    .filter(s -> contains(s.at("/metadata/labels"), monitor.at("/spec/selector/matchLabels"))).toList();
            if (services.isEmpty()) {
                problems.add(id(monitor) + " selects no Service");
            }
            for (JsonNode service : services) {
                for (JsonNode endpoint : monitor.at("/spec/endpoints")) {
                    if (StreamSupport.stream(service.at("/spec/ports").spliterator(), false)
                            .noneMatch(p -> p.path("name").asText().equals(endpoint.path("port").asText()))) {
                        problems.add(id(monitor) + ": Service " + name(service) + " has no port "
                                + endpoint.path("port").asText());
                    }
                }
            }
        }
        for (JsonNode strimzi : kinds(resources, "KafkaTopic", "KafkaNodePool")) {
            checkName(problems, strimzi, "Kafka", strimzi.at("/metadata/labels/strimzi.io~1cluster").asText(),
                    names(resources, "Kafka"));
        }
        for (JsonNode cluster : kinds(resources, "Cluster")) {
            for (JsonNode ref : cluster.findValues("passwordSecret")) {
                checkSecret(problems, cluster, ref.path("name").asText(), secrets);
            }
        }
        return problems;
    }

    private static void checkName(List<String> problems, JsonNode from, String kind, String name, Set<String> names) {
        if (!names.contains(name)) {
            problems.add(id(from) + ": no " + kind + " " + name);
        }
    }

    private static void checkSecret(List<String> problems, JsonNode from, String name, Set<String> secrets) {
        if (!secrets.contains(name)) {
            problems.add(id(from) + ": Secret " + name + " is neither in the render nor one the user or CloudNativePG "
                    + "creates");
        }
    }

    /** Whether every label of the selector is among the labels (an empty selector selects nothing here). */
    private static boolean contains(JsonNode labels, JsonNode selector) {
        if (!selector.isObject() || selector.isEmpty()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = selector.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> label = it.next();
            if (!labels.path(label.getKey()).asText("\0").equals(label.getValue().asText())) {
                return false;
            }
        }
        return true;
    }

    private static Set<String> containerPorts(JsonNode workload) {
        Set<String> ports = new HashSet<>();
        for (JsonNode container : workload.at("/spec/template/spec/containers")) {
            container.path("ports").forEach(p -> ports.add(p.path("name").asText()));
        }
        return ports;
    }

    private static int port(JsonNode container, String name) {
        return StreamSupport.stream(container.path("ports").spliterator(), false)
                .filter(p -> p.path("name").asText().equals(name)).findFirst().orElseThrow()
                .path("containerPort").asInt();
    }

    /** The server's settings: the data of the generated ConfigMap caravan-settings-HASH. */
    private static Map<String, String> settings(List<JsonNode> resources) {
        JsonNode settings = kinds(resources, "ConfigMap").stream()
                .filter(c -> name(c).startsWith("caravan-settings-")).findFirst().orElseThrow();
        Map<String, String> data = new HashMap<>();
        settings.path("data").fields().forEachRemaining(e -> data.put(e.getKey(), e.getValue().asText()));
        return data;
    }

    private static List<JsonNode> kinds(List<JsonNode> resources, String... kinds) {
        List<String> wanted = List.of(kinds);
        return resources.stream().filter(r -> wanted.contains(r.path("kind").asText())).toList();
    }

    private static Set<String> names(List<JsonNode> resources, String kind) {
        Set<String> names = new HashSet<>();
        kinds(resources, kind).forEach(r -> names.add(name(r)));
        return names;
    }

    private static JsonNode one(List<JsonNode> resources, String kind, String name) {
        return kinds(resources, kind).stream().filter(r -> name(r).equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the render"));
    }

    private static String name(JsonNode resource) {
        return resource.at("/metadata/name").asText();
    }

    private static String id(JsonNode resource) {
        return resource.path("kind").asText() + "/" + name(resource);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(n -> texts.add(n.isValueNode() ? n.asText() : n.toString()));
        return texts;
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<JsonNode> copy(List<JsonNode> resources) {
        return new ArrayList<>(resources.stream().map(JsonNode::deepCopy).map(JsonNode.class::cast).toList());
    }
}
