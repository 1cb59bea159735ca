package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.run.Engine;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The exported Integration of {@code integrations/ticket-intake/} runs as Camel K would run it: its {@code spec.flows}
 * loaded as Camel YAML routes by a plain Camel Main, with the properties its traits give (the camel trait's
 * properties, the environment trait's variables, the workflow ConfigMap mounted where the mount trait puts it) against
 * an embedded Kafka broker; a record on the topic gets the same run result as {@code caravan run} of the workflow.
 * The class path is this module's, not only the declared dependencies: {@link ExportTest} checks that those cover
 * every endpoint the flows use.
 */
class ExportedIntegrationRunsTest {

    private static final Path EXPORTED = Path.of("../integrations/ticket-intake/integration.yaml");
    private static final Path WORKFLOW = Path.of("../routes/examples/triggers/ticket-intake.caravan.yaml");
    /** The Camel property each environment variable of the Integration stands for (Camel reads it from there). */
    private static final Map<String, String> ENVIRONMENT = Map.of(
            "CARAVAN_KAFKA_BOOTSTRAP_SERVERS", "caravan.kafka.bootstrap-servers");

    @TempDir
    static Path dir;

    static EmbeddedKafka kafka;
    static Main main;

    @BeforeAll
    static void runTheIntegration() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        // as k8s/topics does on a cluster: the broker creates no topic on first use
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("tickets", 1, (short) 1),
                    new NewTopic("tickets.dlq", 1, (short) 1))).all().get();
        }
        JsonNode integration = null;
        JsonNode configMap = null;
        for (JsonNode resource : KubernetesSchemas.yamlDocuments(EXPORTED)) {
            switch (resource.path("kind").asText()) {
                case "Integration" -> integration = resource;
                case "ConfigMap" -> configMap = resource;
                default -> throw new AssertionError("unexpected " + resource.path("kind"));
            }
        }
        assertThat(integration).isNotNull();
        assertThat(configMap).isNotNull();

        // the mount trait: configmap:NAME@PATH puts each key of the ConfigMap as a file into PATH
        String mount = integration.at("/spec/traits/mount/resources/0").asText();
        assertThat(mount)
                .isEqualTo("configmap:" + configMap.at("/metadata/name").asText() + "@/etc/caravan/workflows");
        Path mounted = Files.createDirectories(dir.resolve("workflows"));
        for (Iterator<Map.Entry<String, JsonNode>> it = configMap.path("data").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Files.writeString(mounted.resolve(e.getKey()), e.getValue().asText());
        }

        Map<String, String> properties = new LinkedHashMap<>();
        for (JsonNode p : integration.at("/spec/traits/camel/properties")) {
            String key = p.asText().substring(0, p.asText().indexOf('='));
            String value = p.asText().substring(p.asText().indexOf('=') + 1);
            if (key.startsWith("caravan.cluster.")) {
                continue; // Kubernetes discovery needs a cluster: here the engine is one embedded member
            }
            properties.put(key, value.equals("/etc/caravan/workflows") ? mounted.toString() : value);
        }
        // the environment trait's variables, with what the caravan-settings ConfigMap would hold on a cluster
        Map<String, String> settings = Map.of("CARAVAN_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        for (JsonNode v : integration.at("/spec/traits/environment/vars")) {
            String name = v.asText().substring(0, v.asText().indexOf('='));
            assertThat(ENVIRONMENT).as("what the variable %s stands for", name).containsKey(name);
            assertThat(v.asText()).isEqualTo(name + "=configmap:caravan-settings/" + name);
            properties.put(ENVIRONMENT.get(name), settings.get(name));
        }

        // Camel K writes spec.flows into a YAML source file and loads it as routes
        Path flows = dir.resolve("ticket-intake-flows.yaml");
        Object flowList = Examples.JSON.convertValue(integration.at("/spec/flows"), List.class);
        Files.writeString(flows, new Dump(DumpSettings.builder().build()).dumpToString(flowList));
        main = new Main();
        main.configure().withRoutesIncludePattern("file:" + flows.toAbsolutePath());
        properties.forEach(main::addInitialProperty);
        main.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (main != null) {
            main.stop();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aRecordOnTheTopicRunsTheWorkflowWithTheResultOfCaravanRun() throws Exception {
        CamelContext camel = main.getCamelContext();
        assertThat(camel.getRoutes()).extracting(r -> r.getRouteId())
                .contains("caravan-trigger-ticket-intake-kafka", "caravan-workflow-ticket-intake");
        String ticket = "{\"subject\": \"Printer on fire\", \"customer\": \"ada\"}";
        camel.createProducerTemplate().sendBody("kafka:tickets", ticket);

        Engine engine = camel.getRegistry().findSingleByType(Engine.class);
        assertThat(engine).as("the engine the caravan components started").isNotNull();
        RunQuery completed = new RunQuery(null, "ticket-intake", List.of(RunStatus.COMPLETED), 10, null, null);
        await().atMost(Duration.ofSeconds(60)).until(() -> !engine.queries().page(completed).runs().isEmpty());
        RunPage page = engine.queries().page(completed);
        RunRecord run = page.runs().get(0);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute("run", WORKFLOW.toString(), "-q",
                "--input", ticket);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        JsonNode expected = Examples.JSON.readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(expected.path("queue").asText()).isEqualTo("hardware");
        assertThat(Examples.tree(run.output())).isEqualTo(expected);
        assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(ticket));
    }
}
