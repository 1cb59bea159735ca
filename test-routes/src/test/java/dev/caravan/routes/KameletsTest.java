package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.ValidationMessage;
import dev.caravan.component.run.RunConstants;
import dev.caravan.run.RunService;
import dev.caravan.run.RunWaitTimeoutException;
import dev.caravan.run.UnknownRunException;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import dev.caravan.test.LocalHttpServer;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kamelet.KameletComponent;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** A model server answering in OpenAI's wire format, with a recorded reply whose content the test chooses. */
    private final List<String> modelRequests = new CopyOnWriteArrayList<>();
    private final List<String> modelKeys = new CopyOnWriteArrayList<>();
    private LocalHttpServer openAi;
    private ProducerTemplate producer;

    @BeforeAll
    void deployHelloAndTheRoutes() throws Exception {
        caravan.engine().catalog().deploy(Examples.file("hello"));
        caravan.engine().catalog().deploy(Examples.file("gate"));
        ObjectNode completion = (ObjectNode) Examples.JSON.readTree(
                KameletsTest.class.getResource("/fixtures/llm/openai/chat-completion-response-recorded.json"));
        ((ObjectNode) completion.at("/choices/0/message")).put("content", "{\"category\": \"billing\"}");
        byte[] reply = Examples.JSON.writeValueAsBytes(completion);
        openAi = LocalHttpServer.start("/v1/chat/completions", exchange -> {
            modelRequests.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            modelKeys.add(exchange.getRequestHeaders().getFirst("Authorization"));
            LocalHttpServer.reply(exchange, "application/json", reply);
        });
        // as a Pipe binds a Kamelet (camel.kamelet.<kamelet>.<id>.<property>): the prompt and schema are no URI's
        Map<String, String> classify = Map.of("model", "openai:gpt-4o-mini", "baseUrl", openAi.url() + "/v1",
                "apiKey", "sk-kamelet-test", "systemPrompt", "You sort support tickets.",
                "prompt", "Which category? ${body}", "maxTokens", "50", "outputSchema",
                "{\"type\": \"object\", \"properties\": {\"category\": {\"type\": \"string\"}}, "
                + "\"required\": [\"category\"]}");
        classify.forEach((name, value) -> caravan.camelContext().getPropertiesComponent()
                .addOverrideProperty("camel.kamelet.caravan-agent-action.classify." + name, value));
        PluginHelper.getRoutesLoader(caravan.camelContext()).loadRoutes(ResourceHelper.fromString("agents.camel.yaml",
                """
                - route:
                    from:
                      uri: direct:agent-scripted
                      steps:
                        - to:
                            uri: kamelet:caravan-agent-action
                            parameters:
                              model: scripted
                              prompt: "Say hi to ${body}"
                - route:
                    from:
                      uri: direct:agent-openai
                      steps:
                        - to: kamelet:caravan-agent-action/classify
                - route:
                    from:
                      uri: direct:approve-acme
                      steps:
                        - to:
                            uri: kamelet:caravan-approval-sink
                            parameters:
                              tenant: acme
                """));
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

    @AfterAll
    void stopTheModelServer() {
        if (openAi != null) {
            openAi.close();
        }
    }

    @Test
    void agentActionRendersThePromptFromTheMessageAndRepliesWithTheAnswer() {
        Exchange sent = producer.request("direct:agent-scripted", e -> e.getMessage().setBody("Ada"));

        assertThat(sent.getException()).isNull();
        // the scripted model answers with the prompt it was sent
        assertThat(sent.getMessage().getBody()).isEqualTo("Say hi to Ada");
    }

    @Test
    void agentActionSendsTheSystemPromptAndSchemaToTheProviderAndParsesTheReply() throws Exception {
        Exchange sent = producer.request("direct:agent-openai", e -> e.getMessage().setBody("I was charged twice"));

        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getBody()).isEqualTo(Map.of("category", "billing"));
        // the prompt and the schema travelled in headers, and are gone from the reply
        assertThat(sent.getMessage().getHeaders()).doesNotContainKeys("CamelCaravanLlmSystemPrompt",
                "CamelCaravanLlmResponseSchema");
        assertThat(modelKeys).last().isEqualTo("Bearer sk-kamelet-test");
        JsonNode request = Examples.JSON.readTree(modelRequests.get(modelRequests.size() - 1));
        assertThat(request.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(request.at("/messages/0/role").asText()).isEqualTo("system");
        assertThat(request.at("/messages/0/content").asText()).isEqualTo("You sort support tickets.");
        assertThat(request.at("/messages/1/content").asText()).isEqualTo("Which category? I was charged twice");
        assertThat(request.at("/response_format/type").asText()).isEqualTo("json_schema");
        assertThat(request.at("/response_format/json_schema/schema/required/0").asText()).isEqualTo("category");
        assertThat(request.path("max_completion_tokens").asInt()).isEqualTo(50);
        // nothing of the prompt or the schema is in an endpoint's URI
        assertThat(caravan.camelContext().getEndpoints()).extracting(Endpoint::getEndpointUri)
                .noneMatch(uri -> uri.contains("sort support tickets") || uri.contains("category"));
    }

    @Test
    void approvalSinkResolvesAGateOfItsTenantFromAMessage() throws Exception {
        RunRecord waiting = caravan.runs().start(new RunService.StartRequest("gate", Examples.input("gate"), "acme",
                null, null, null, null)).get(30, TimeUnit.SECONDS);
        assertThat(waiting.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);

        Exchange sent = producer.request("direct:approve-acme", e -> e.getMessage().setBody("{\"runId\": \""
                + waiting.runId() + "\", \"node\": \"approve\", \"decision\": \"approve\", \"by\": \"ada\"}"));

        assertThat(sent.getException()).isNull();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> caravan.queries().get(waiting.runId()).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get(waiting.runId()).node("approve").output())
                .asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("approved", true).containsEntry("by", "ada");
    }

    @Test
    void approvalSinkFindsNoRunOfAnotherTenant() throws Exception {
        RunRecord other = caravan.runs().start(new RunService.StartRequest("gate", Examples.input("gate"), "other",
                null, null, null, null)).get(30, TimeUnit.SECONDS);

        Exchange sent = producer.request("direct:approve-acme", e -> e.getMessage().setBody(Map.of("runId",
                other.runId(), "node", "approve", "decision", "approve")));

        assertThat(sent.getException()).isInstanceOf(UnknownRunException.class);
        assertThat(caravan.queries().get(other.runId()).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
    }

    @Test
    void everyKameletIsValidAgainstTheKameletCrd() {
        JsonSchema schema = crdSchema();
        List<Path> kamelets = kamelets();
        assertThat(kamelets).extracting(p -> p.getFileName().toString()).contains("caravan-run-action.kamelet.yaml",
                "caravan-agent-action.kamelet.yaml", "caravan-approval-sink.kamelet.yaml",
                "caravan-events-source.kamelet.yaml");
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
