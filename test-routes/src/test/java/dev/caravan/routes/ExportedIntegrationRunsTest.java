package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.run.Engine;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The exports of {@code integrations/ticket-intake/} run as Camel K would run them, each in a plain Camel Main with
 * the properties its traits give ({@link CamelKRuntime}) against an embedded Kafka broker, and a record on the topic
 * gets the run result {@code caravan run} gives the same input:
 * <ul>
 * <li>the Integration: its {@code spec.flows}, the trigger route first;</li>
 * <li>the Pipe: its sink, {@code caravan-run-action} loaded from {@code kamelets/} with the Pipe's properties, after a
 * Kafka consumer with its source's topic and group (the Apache {@code kafka-source} Kamelet the Pipe names is of a
 * newer catalog than this Camel: its {@code saslAuthType} option is not in camel-kafka 4.17), and its
 * {@code spec.integration.flows}; a record the trigger's filter drops starts no run.</li>
 * </ul>
 * The class path is this module's, not only the declared dependencies: {@link ExportTest} checks that those cover
 * every endpoint the flows use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportedIntegrationRunsTest {

    private static final Path INTEGRATIONS = Path.of("../integrations");
    private static final Path EXPORTED = INTEGRATIONS.resolve("ticket-intake");
    private static final Path WORKFLOW = TriggerExamplesTest.FOLDER.resolve("ticket-intake.caravan.yaml");
    private static final String TICKET = "{\"subject\": \"Printer on fire\", \"customer\": \"ada\"}";
    /** What the GitHub webhook of the repository signs its deliveries with (the Secret caravan-webhooks). */
    private static final String WEBHOOK_SECRET = "export-test-webhook-secret";

    @TempDir
    static Path dir;

    private EmbeddedKafka kafka;
    private JsonNode expected;

    @BeforeAll
    void startKafkaAndRunTheWorkflowWithCaravanRun() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        // as k8s/topics does on a cluster: the broker creates no topic on first use
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("tickets", 1, (short) 1),
                    new NewTopic("tickets.dlq", 1, (short) 1), new NewTopic("pipe-tickets", 1, (short) 1))).all().get();
        }
        expected = caravanRun(WORKFLOW, TICKET);
        assertThat(expected.path("queue").asText()).isEqualTo("hardware");
    }

    /** The output {@code caravan run FILE -q --input INPUT} prints, with the options after. */
    private static JsonNode caravanRun(Path workflow, String input, String... options) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("run", workflow.toString(), "-q", "--input", input));
        args.addAll(List.of(options));
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args.toArray(String[]::new));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return Examples.JSON.readTree(out.toString(StandardCharsets.UTF_8));
    }

    @AfterAll
    void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theIntegrationRunsARecordOnTheTopicAsCaravanRunDoes() throws Exception {
        JsonNode integration = CamelKRuntime.resource(EXPORTED.resolve("integration.yaml"), "Integration");
        JsonNode configMap = CamelKRuntime.resource(EXPORTED.resolve("integration.yaml"), "ConfigMap");
        Map<String, String> properties = CamelKRuntime.properties(integration.at("/spec/traits"), configMap,
                dir.resolve("integration"), settings());
        Path flows = CamelKRuntime.flowsFile(integration.at("/spec/flows"), dir.resolve("integration-flows.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(flows));
        try {
            CamelContext camel = main.getCamelContext();
            assertThat(camel.getRoutes()).extracting(Route::getRouteId)
                    .contains("caravan-trigger-ticket-intake-kafka", "caravan-workflow-ticket-intake");
            camel.createProducerTemplate().sendBody("kafka:tickets", TICKET);

            RunRecord run = awaitCompletedRuns(camel, 1).get(0);
            assertThat(Examples.tree(run.output())).isEqualTo(expected);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(TICKET));
        } finally {
            main.stop();
        }
    }

    @Test
    void thePipeRunsARecordOnTheTopicAsCaravanRunDoesAndAppliesTheTriggersFilter() throws Exception {
        JsonNode pipe = CamelKRuntime.resource(EXPORTED.resolve("pipe.yaml"), "Pipe");
        JsonNode configMap = CamelKRuntime.resource(EXPORTED.resolve("integration.yaml"), "ConfigMap");
        Map<String, String> properties = new LinkedHashMap<>(CamelKRuntime.properties(
                pipe.at("/spec/traits"), configMap, dir.resolve("pipe"), settings()));
        // as Camel K binds a Pipe's endpoint properties: camel.kamelet.<kamelet>.<source|sink>.<property>
        pipe.at("/spec/sink/properties").fields().forEachRemaining(p -> properties.put(
                "camel.kamelet.caravan-run-action.sink." + p.getKey(), p.getValue().asText()));
        properties.put("camel.component.kamelet.location", "file:../kamelets");
        JsonNode source = pipe.at("/spec/source/properties");
        assertThat(pipe.at("/spec/source/ref/name").asText()).isEqualTo("kafka-source");
        assertThat(source.path("topic").asText()).isEqualTo("tickets");
        // the source Kamelet's consumer, on a topic of this test's own so the Integration's test does not interfere
        Path route = dir.resolve("pipe-route.yaml");
        Files.writeString(route, """
                - route:
                    id: pipe
                    from:
                      uri: kafka:pipe-tickets
                      parameters:
                        brokers: "%s"
                        groupId: "%s"
                        autoOffsetReset: "%s"
                      steps:
                        - to: kamelet:caravan-run-action/sink
                """.formatted(source.path("bootstrapServers").asText(), source.path("consumerGroup").asText(),
                source.path("autoOffsetReset").asText()));
        Path flows = CamelKRuntime.flowsFile(pipe.at("/spec/integration/flows"), dir.resolve("pipe-flows.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(flows, route));
        try {
            CamelContext camel = main.getCamelContext();
            camel.createProducerTemplate().sendBody("kafka:pipe-tickets", "{\"subject\": \"Buy now\", \"spam\": true}");
            camel.createProducerTemplate().sendBody("kafka:pipe-tickets", TICKET);

            RunRecord run = awaitCompletedRuns(camel, 1).get(0);
            assertThat(Examples.tree(run.output())).isEqualTo(expected);
            Engine engine = camel.getRegistry().findSingleByType(Engine.class);
            assertThat(engine.queries().page(new RunQuery(null, "ticket-intake", List.of(), 10, null, null)).runs())
                    .as("the spam record, which the trigger's filter drops, started no run").hasSize(1);
        } finally {
            main.stop();
        }
    }

    @Test
    void theWebhookIntegrationRunsASignedDeliveryAsCaravanRunDoes() throws Exception {
        Path exported = INTEGRATIONS.resolve("issue-triage");
        String issue = "{\"title\": \"Crash on start\", \"body\": \"Stack trace attached\", \"number\": 7}";
        // The workflow waits at its gate approve. caravan run decides it with --approve; the Integration's run is
        // decided through the engine, as the server's API does for a member's run (caravan gate approve --server).
        // Both then finish the same way, so the results compare at the end rather than at the gate.
        JsonNode approved = caravanRun(TriggerExamplesTest.FOLDER.resolve("issue-triage.caravan.yaml"), issue,
                "--approve", "approve");
        assertThat(approved.path("label").asText()).isEqualTo("bug");

        JsonNode integration = CamelKRuntime.resource(exported.resolve("integration.yaml"), "Integration");
        JsonNode configMap = CamelKRuntime.resource(exported.resolve("integration.yaml"), "ConfigMap");
        Map<String, String> properties = new LinkedHashMap<>(CamelKRuntime.properties(
                integration.at("/spec/traits"), configMap, dir.resolve("webhook"),
                Map.of("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)));
        int port = freePort();
        properties.putAll(CamelKRuntime.httpServer(port));
        Path flows = CamelKRuntime.flowsFile(integration.at("/spec/flows"), dir.resolve("webhook-flows.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(flows));
        try {
            byte[] delivery = Examples.JSON.writeValueAsBytes(Map.of("action", "opened", "issue",
                    Map.of("number", 7, "title", "Crash on start", "body", "Stack trace attached")));
            HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/hooks/issues"))
                    .header("Content-Type", "application/json")
                    .header("X-GitHub-Event", "issues")
                    .header("X-GitHub-Delivery", "export-test-7")
                    .header("X-Hub-Signature-256", githubSignature(delivery))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(delivery)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String runId = Examples.JSON.readTree(accepted.body()).path("runId").asText();

            Engine engine = main.getCamelContext().getRegistry().findSingleByType(Engine.class);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> engine.queries().get(runId).status() == RunStatus.AWAITING_APPROVAL);
            engine.runs().resolveGate(runId, "approve", true, "export-test", "approved as caravan run --approve")
                    .get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> engine.queries().get(runId).status() == RunStatus.COMPLETED);
            RunRecord run = engine.queries().get(runId);
            assertThat(Examples.tree(run.output())).isEqualTo(approved);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(issue));
        } finally {
            main.stop();
        }
    }

    /** GitHub's signature of a delivery: HMAC-SHA256 of the body with the webhook's secret, in hex. */
    private static String githubSignature(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(WEBHOOK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** What the ConfigMap caravan-settings would hold on a cluster: here, the embedded broker. */
    private Map<String, String> settings() {
        return Map.of("CARAVAN_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    }

    private static List<RunRecord> awaitCompletedRuns(CamelContext camel, int count) {
        Engine engine = camel.getRegistry().findSingleByType(Engine.class);
        assertThat(engine).as("the engine the caravan components started").isNotNull();
        RunQuery completed = new RunQuery(null, "ticket-intake", List.of(RunStatus.COMPLETED), 10, null, null);
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.queries().page(completed).runs().size() >= count);
        return engine.queries().page(completed).runs();
    }
}
