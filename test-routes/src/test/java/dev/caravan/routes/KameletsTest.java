package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import dev.caravan.component.run.RunConstants;
import dev.caravan.run.RunWaitTimeoutException;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kamelet.KameletComponent;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kamelets of kamelets/: each is a valid Kamelet resource (the CRD's schema, as an API server applies it, and the
 * house rules), and each runs as it is written, loaded from that folder by {@code kamelet:} endpoints.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KameletsTest {

    private static final Path FOLDER = Path.of("../kamelets");
    private static final Path CRD = Path.of("src/test/resources/fixtures/k8s/camel.apache.org_kamelets.yaml");

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .configure(camel -> camel.getComponent("kamelet", KameletComponent.class).setLocation("file:" + FOLDER))
            .build();

    private ProducerTemplate producer;

    @BeforeAll
    void deployHelloAndTheRoutes() throws Exception {
        caravan.engine().catalog().deploy(Examples.file("hello"));
        caravan.engine().catalog().deploy(Examples.file("gate"));
        PluginHelper.getRoutesLoader(caravan.camelContext()).loadRoutes(ResourceHelper.fromString("kamelets.camel.yaml",
                """
                - route:
                    from:
                      uri: direct:start-hello
                      steps:
                        - to: kamelet:caravan-run-action?workflow=hello
                - route:
                    from:
                      uri: direct:run-hello
                      steps:
                        - to:
                            uri: kamelet:caravan-run-action
                            parameters:
                              workflow: hello
                              waitForCompletion: true
                - route:
                    from:
                      uri: direct:run-gate-briefly
                      steps:
                        - to:
                            uri: kamelet:caravan-run-action
                            parameters:
                              workflow: gate
                              waitForCompletion: true
                              waitTimeout: 500ms
                              tenant: acme
                """));
        producer = caravan.camelContext().createProducerTemplate();
    }

    @Test
    void runActionStartsARunAndRepliesWithItsId() {
        Exchange sent = producer.request("direct:start-hello", e -> e.getMessage().setBody(Map.of("name", "Ada")));

        assertThat(sent.getException()).isNull();
        String runId = sent.getMessage().getBody(String.class);
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> caravan.queries().get(runId).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get(runId).output()).isEqualTo("Hello, Ada! Welcome aboard the caravan.");
    }

    @Test
    void runActionWithWaitForCompletionRepliesWithTheOutput() {
        Exchange sent = producer.request("direct:run-hello", e -> e.getMessage().setBody("{\"name\": \"Bo\"}"));

        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getBody()).isEqualTo("Hello, Bo! Welcome aboard the caravan.");
    }

    @Test
    void runActionPassesTheRunHeadersOn() {
        Map<String, Object> headers = Map.of(RunConstants.IDEMPOTENCY_KEY, "kamelet-" + System.nanoTime(),
                RunConstants.CORRELATION_ID, "ticket-7");

        Exchange first = producer.request("direct:run-hello", e -> {
            e.getMessage().setBody(Map.of("name", "Cy"));
            e.getMessage().getHeaders().putAll(headers);
        });
        Exchange second = producer.request("direct:run-hello", e -> {
            e.getMessage().setBody(Map.of("name", "Cy"));
            e.getMessage().getHeaders().putAll(headers);
        });

        String runId = first.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        assertThat(second.getMessage().getHeader(RunConstants.RUN_ID)).as("one key, one run").isEqualTo(runId);
        assertThat(second.getMessage().getBody()).isEqualTo("Hello, Cy! Welcome aboard the caravan.");
        assertThat(caravan.queries().get(runId).correlationId()).isEqualTo("ticket-7");
    }

    @Test
    void runActionStopsWaitingAfterItsTimeoutAndTheRunGoesOn() throws Exception {
        Exchange sent = producer.asyncSend("direct:run-gate-briefly", e -> e.getMessage().setBody(Examples.input("gate")))
                .get(30, TimeUnit.SECONDS);

        assertThat(sent.getException()).isInstanceOf(RunWaitTimeoutException.class);
        String runId = ((RunWaitTimeoutException) sent.getException()).getRunId();
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(caravan.queries().get(runId).tenant()).isEqualTo("acme");
    }

    @Test
    void everyKameletIsValidAgainstTheKameletCrd() {
        JsonSchema schema = crdSchema();
        List<Path> kamelets = kamelets();
        assertThat(kamelets).extracting(p -> p.getFileName().toString()).contains("caravan-run-action.kamelet.yaml");
        for (Path kamelet : kamelets) {
            assertThat(schema.validate(yaml(kamelet))).as(kamelet.toString()).isEmpty();
        }
    }

    @Test
    void theCrdSchemaRefusesAFieldItDoesNotKnow() throws IOException {
        ObjectNode kamelet = (ObjectNode) yaml(FOLDER.resolve("caravan-run-action.kamelet.yaml"));
        ((ObjectNode) kamelet.get("spec")).set("defintion", kamelet.get("spec").get("definition"));
        ((ObjectNode) kamelet.get("spec")).remove("definition");

        Set<ValidationMessage> problems = crdSchema().validate(kamelet);

        assertThat(problems).extracting(ValidationMessage::getMessage)
                .anyMatch(m -> m.contains("defintion") && m.contains("not defined in the schema"));
    }

    @Test
    void everyKameletFollowsTheHouseRules() {
        for (Path file : kamelets()) {
            JsonNode k = yaml(file);
            String stem = file.getFileName().toString().replace(".kamelet.yaml", "");
            assertThat(k.at("/metadata/name").asText()).as("%s: metadata.name is the file stem", file).isEqualTo(stem);
            assertThat(k.at("/metadata/labels/camel.apache.org~1kamelet.type").asText()).as(file.toString())
                    .isIn("source", "sink", "action").isEqualTo(stem.substring(stem.lastIndexOf('-') + 1));
            assertThat(k.at("/spec/definition/title").asText()).as("%s: title", file).isNotBlank();
            assertThat(k.at("/spec/definition/description").asText()).as("%s: description", file).isNotBlank();
            for (Iterator<Map.Entry<String, JsonNode>> it = k.at("/spec/definition/properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                assertThat(p.getValue().path("title").asText()).as("%s: title of %s", file, p.getKey()).isNotBlank();
                assertThat(p.getValue().path("description").asText()).as("%s: description of %s", file, p.getKey())
                        .isNotBlank();
            }
            assertThat(k.at("/spec/dependencies")).extracting(JsonNode::asText).as("%s: dependencies", file)
                    .contains("camel:kamelet")
                    .filteredOn(d -> d.startsWith("mvn:dev.caravan:"))
                    .isNotEmpty()
                    .allMatch(d -> d.endsWith(":" + System.getProperty("caravan.version")),
                            "names this build's version, " + System.getProperty("caravan.version"));
        }
    }

    private static List<Path> kamelets() {
        try (Stream<Path> files = Files.list(FOLDER)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".kamelet.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode yaml(Path file) {
        try {
            return Examples.JSON.valueToTree(new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CRD's schema of version v1, as strict as {@code kubectl apply --validate=strict}. */
    private static JsonSchema crdSchema() {
        return KubernetesSchemas.crdSchema(yaml(CRD), "v1");
    }
}
