package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The exports of {@code integrations/ticket-intake/} run as Camel K would run them, each in a plain Camel Main with
 * the properties its traits give ({@link CamelKRuntime}) against an embedded Kafka broker, and a record on the topic
 * gets the run result {@code caravan run} gives the same input:
 * <ul>
 * <li>the Integration: its {@code spec.flows}, the trigger route first;</li>
 * <li>the Pipe, as Camel K 2.6 and later make an Integration of it: one route, its sink ({@code caravan-run-action}
 * loaded from {@code kamelets/} with the Pipe's properties) after a Kafka consumer with its source's topic and group
 * (the Apache {@code kafka-source} Kamelet the Pipe names is of a newer catalog than this Camel: its
 * {@code saslAuthType} option is not in camel-kafka 4.17), behind the error handler of its {@code errorHandler},
 * translated as Camel K translates it, and no route of the workflow: the engine deploys it from the mounted file; a
 * record the trigger's filter drops starts no run, and one the sink cannot take lands on the dead-letter topic.</li>
 * </ul>
 * and so does {@code integrations/issue-triage/}'s Integration with a delivery signed as GitHub signs it, posted to its
 * platform-http listener. {@link ExportedIntegrationsIT} runs the cdc Integration, and each Integration on its
 * declared dependencies alone.
 * The class path is this module's, not only the declared dependencies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportedIntegrationRunsTest {

    private static final Path EXPORTED = IntegrationRuns.INTEGRATIONS.resolve("ticket-intake");
    private static final Path WORKFLOW = TriggerExamplesTest.FOLDER.resolve("ticket-intake.caravan.yaml");
    private static final String TICKET = "{\"subject\": \"Printer on fire\", \"customer\": \"ada\"}";

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
        expected = Examples.JSON.readTree(IntegrationRuns.caravanRun(WORKFLOW, TICKET));
        assertThat(expected.path("queue").asText()).isEqualTo("hardware");
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
    void thePipeRunsARecordOnTheTopicAsCaravanRunDoesAppliesTheTriggersFilterAndDeadLettersWhatItCannotTake()
            throws Exception {
        JsonNode pipe = CamelKRuntime.resource(EXPORTED.resolve("pipe.yaml"), "Pipe");
        JsonNode configMap = CamelKRuntime.resource(EXPORTED.resolve("integration.yaml"), "ConfigMap");
        Map<String, String> properties = new LinkedHashMap<>(CamelKRuntime.properties(
                pipe.at("/spec/traits"), configMap, dir.resolve("pipe"), settings()));
        properties.putAll(CamelKRuntime.pipeSinkProperties(pipe));
        assertThat(pipe.at("/spec/source/properties/topic").asText()).isEqualTo("tickets");
        assertThat(pipe.at("/spec/errorHandler/sink/endpoint/uri").asText()).isEqualTo("kafka:tickets.dlq");
        // on a topic of this test's own, so the Integration's test does not interfere
        Path route = CamelKRuntime.pipeRoutes(pipe, "pipe-tickets", dir.resolve("pipe-route.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(route));
        try {
            CamelContext camel = main.getCamelContext();
            assertThat(camel.getRoutes()).extracting(Route::getRouteId)
                    .as("the workflow's route, which the engine deployed from the mounted file, and no trigger route")
                    .contains("binding", "caravan-workflow-ticket-intake")
                    .noneMatch(id -> id.startsWith("caravan-trigger-"));
            // no subject: the trigger's input mapping fails on it, and redelivering does not help
            String refused = "{\"title\": \"" + UUID.randomUUID() + "\"}";
            camel.createProducerTemplate().sendBody("kafka:pipe-tickets", refused);
            camel.createProducerTemplate().sendBody("kafka:pipe-tickets", "{\"subject\": \"Buy now\", \"spam\": true}");
            camel.createProducerTemplate().sendBody("kafka:pipe-tickets", TICKET);

            RunRecord run = awaitCompletedRuns(camel, 1).get(0);
            assertThat(Examples.tree(run.output())).isEqualTo(expected);
            Engine engine = camel.getRegistry().findSingleByType(Engine.class);
            assertThat(engine.queries().page(new RunQuery(null, "ticket-intake", List.of(), 10, null, null)).runs())
                    .as("the spam record, which the trigger's filter drops, and the refused one started no run")
                    .hasSize(1);
            assertThat(records("tickets.dlq")).as("the dead-letter topic of the Pipe's errorHandler")
                    .containsExactly(refused);
        } finally {
            main.stop();
        }
    }

    @Test
    void theWebhookIntegrationRunsASignedDeliveryAsCaravanRunDoes() throws Exception {
        Path exported = IntegrationRuns.INTEGRATIONS.resolve("issue-triage");
        // The workflow waits at its gate approve. caravan run decides it with --approve; the Integration's run is
        // decided through the engine, as the server's API does for a member's run (caravan gate approve --server).
        // Both then finish the same way, so the results compare at the end rather than at the gate.
        String approved = IntegrationRuns.caravanRun(TriggerExamplesTest.FOLDER.resolve("issue-triage.caravan.yaml"),
                IntegrationRuns.ISSUE, "--approve", "approve");

        JsonNode integration = CamelKRuntime.resource(exported.resolve("integration.yaml"), "Integration");
        JsonNode configMap = CamelKRuntime.resource(exported.resolve("integration.yaml"), "ConfigMap");
        Map<String, String> properties = new LinkedHashMap<>(CamelKRuntime.properties(
                integration.at("/spec/traits"), configMap, dir.resolve("webhook"),
                Map.of("GITHUB_WEBHOOK_SECRET", IntegrationRuns.WEBHOOK_SECRET)));
        int port = IntegrationRuns.freePort();
        properties.putAll(CamelKRuntime.httpServer(port));
        Path flows = CamelKRuntime.flowsFile(integration.at("/spec/flows"), dir.resolve("webhook-flows.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(flows));
        try {
            HttpResponse<String> accepted = IntegrationRuns.deliverIssue(
                    URI.create("http://127.0.0.1:" + port + "/hooks/issues"), IntegrationRuns.ISSUE_OPENED,
                    "export-test-7", IntegrationRuns.WEBHOOK_SECRET);
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
            IntegrationRuns.assertSameOutput(run.output(), approved);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(IntegrationRuns.ISSUE));
        } finally {
            main.stop();
        }
    }

    /** What the ConfigMap caravan-settings would hold on a cluster: here, the embedded broker. */
    private Map<String, String> settings() {
        return Map.of("CARAVAN_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
    }

    /** The values of the records on the topic, read from its start. */
    private List<String> records(String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<String> values = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                return !values.isEmpty();
            });
            return values;
        }
    }

    private static List<RunRecord> awaitCompletedRuns(CamelContext camel, int count) {
        Engine engine = camel.getRegistry().findSingleByType(Engine.class);
        assertThat(engine).as("the engine the caravan components started").isNotNull();
        RunQuery completed = new RunQuery(null, "ticket-intake", List.of(RunStatus.COMPLETED), 10, null, null);
        await().atMost(Duration.ofSeconds(60)).until(() -> engine.queries().page(completed).runs().size() >= count);
        return engine.queries().page(completed).runs();
    }
}
