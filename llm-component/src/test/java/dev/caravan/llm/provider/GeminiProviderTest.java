package dev.caravan.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.LlmException;
import dev.caravan.llm.LlmTool;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GeminiProviderTest extends ProviderTestSupport {

    private static final String MODEL = "caravan-llm:chat?model=gemini:gemini-2.0-flash&";

    @Override
    String provider() {
        return "gemini";
    }

    @Override
    String apiKey() {
        return "AIzaTestKey0123456789abcdefghijklmnop";
    }

    @Override
    String baseUrl() {
        return stub.url() + "/v1beta";
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to(MODEL + SCRIPTED_FALLBACK);
                from("direct:stream").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true");
                from("direct:streamOnce").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true&maxRetries=0");
                from("direct:streamAlone").to(MODEL + "streaming=true&maxRetries=0");
                from("direct:structured").to(MODEL + "responseSchema=RAW(" + CITY_SCHEMA + ")");
                from("direct:sum").setBody(constant(Map.of("result", 9)));
            }
        };
    }

    private String keyOf(ProviderStub.Received r) {
        String header = r.header("x-goog-api-key");
        return header != null ? header : r.uri();
    }

    @Test
    void generatesContentWithUsage() {
        stub.json(200, "gemini/googleai-unary-success-basic-reply-short.json");

        Exchange out = call("direct:chat", "Where is Google's headquarters?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).startsWith("Google's headquarters");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "gemini")
                .containsEntry(LlmConstants.INPUT_TOKENS, 7L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 22L);
        ProviderStub.Received r = stub.received.get(0);
        assertThat(r.uri()).startsWith("/v1beta/models/gemini-2.0-flash:generateContent");
        assertThat(keyOf(r)).contains(apiKey());
        JsonNode body = requestBody(0);
        assertThat(body.path("contents").get(0).path("parts").get(0).path("text").asText())
                .isEqualTo("Where is Google's headquarters?");
        assertNoKeyIn(out);
    }

    @Test
    void streamsWithAltSse() {
        stub.sse("gemini/googleai-streaming-success-basic-reply-short.txt");

        Exchange out = call("direct:stream", "What is the capital of Wyoming?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).startsWith("The capital of Wyoming is **Cheyenne**.");
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.INPUT_TOKENS, 7L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 10L);
        assertThat(stub.received.get(0).uri()).startsWith("/v1beta/models/gemini-2.0-flash:streamGenerateContent")
                .contains("alt=sse");
    }

    @Test
    void anErrorObjectEndingTheStreamFailsTheCallInsteadOfCompletingATruncatedReply() {
        stub.sse("gemini/vertexai-streaming-failure-error-mid-stream.txt");
        RecordingListener listener = new RecordingListener();

        Exchange out = call("direct:streamAlone", "Hi", listener);

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            // google.rpc CANCELLED from the server: the stream broke off, another try may succeed
            assertThat(e.kind()).isEqualTo(Kind.SERVER);
            assertThat(e.retryable()).isTrue();
            assertThat(e).hasMessageStartingWith("gemini:gemini-2.0-flash failed mid-stream (CANCELLED): ")
                    .hasMessageContaining("The operation was cancelled.");
        });
        assertThat(listener.events).containsExactly("delta First ", "delta Second ", "discarded 2 SERVER");
        assertNoKeyIn(out);
    }

    @Test
    void theFallbackStreamsItsReplyAfterTheFailedStreamsDeltasWereDiscarded() {
        stub.sse("gemini/vertexai-streaming-failure-error-mid-stream.txt");
        RecordingListener listener = new RecordingListener();

        Exchange out = call("direct:streamOnce", "Hi", listener);

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2)
                .containsEntry(LlmConstants.PROVIDER, "scripted");
        assertThat(listener.events).containsExactly(
                "delta First ", "delta Second ", "discarded 2 SERVER", "delta from ", "delta scripted");
    }

    @Test
    void structuredOutputSendsAResponseSchemaWithTheJsonMimeTypeAndParsesTheRepairedReply() {
        stub.json(200, "gemini/googleai-unary-success-basic-reply-short.json")
                .replyBody(200, "application/json", withText("gemini/googleai-unary-success-basic-reply-short.json",
                        "/candidates/0/content/parts/0/text", "{\"city\": \"Mountain View\"}"), Map.of());

        Exchange out = call("direct:structured", "Where is Google's headquarters?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of("city", "Mountain View"));
        JsonNode config = requestBody(0).path("generationConfig");
        assertThat(config.path("responseMimeType").asText()).isEqualTo("application/json");
        // Gemini's own Schema type (OpenAPI subset, upper-case types)
        JsonNode schema = config.path("responseSchema");
        assertThat(schema.path("type").asText()).isEqualTo("OBJECT");
        assertThat(schema.path("properties").path("city").path("type").asText()).isEqualTo("STRING");
        assertThat(schema.path("required").toString()).isEqualTo("[\"city\"]");
        assertThat(stub.received).hasSize(2);
    }

    @Test
    void structuredOutputFailsClearlyWhenTheRepairedReplyIsStillNotJson() {
        stub.json(200, "gemini/googleai-unary-success-basic-reply-short.json")
                .json(200, "gemini/googleai-unary-success-basic-reply-short.json");

        Exchange out = call("direct:structured", "Where is Google's headquarters?");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INVALID_OUTPUT);
            assertThat(e).hasMessageStartingWith("The reply does not match responseSchema after a repair round: it is not valid JSON");
        });
        assertThat(stub.received).hasSize(2);
        assertNoKeyIn(out);
    }

    @Test
    void callsAFunctionThroughARoute() {
        // (the vertexai function-call fixture has no usageMetadata, which LangChain4j 1.18 cannot read: NPE)
        stub.json(200, "gemini/googleai-unary-success-thinking-function-call-thought-summary-signature.json")
                .json(200, "gemini/googleai-unary-success-basic-reply-short.json");
        LlmTool now = new LlmTool("now", "The current time", "{\"type\":\"object\"}", "direct:sum");

        Exchange out = call("direct:chat", "What time is it?", List.of(now));

        assertThat(out.getException()).isNull();
        assertThat(stub.received).hasSize(2);
        assertThat(requestBody(0).path("tools").toString()).contains("\"now\"");
        assertThat(requestBody(1).toString()).contains("functionResponse").contains("\"name\":\"now\"").contains("result");
    }

    @Test
    void anInvalidKeyIsABadRequestWithoutFallbackAndWithoutTheKey() {
        stub.json(400, "gemini/googleai-unary-failure-api-key.json");

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST));
        assertThat(stub.received).hasSize(1);
        assertNoKeyIn(out);
    }

    @Test
    void anApiKeyEchoedInTheErrorBodyIsMaskedEverywhere() {
        // the real server echoes the key it was sent in the DebugInfo detail ("Invalid API key: key1234")
        stub.replyBody(400, "application/json", ProviderStub.fixtureText("gemini/googleai-unary-failure-api-key.json")
                .replace("key1234", apiKey()), Map.of());

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
            assertThat(e).hasMessageContaining("API_KEY_INVALID");
            assertThat(e).hasRootCauseInstanceOf(ProviderHttpException.class);
            assertThat(e.getCause().getCause()).isInstanceOfSatisfying(ProviderHttpException.class,
                    http -> assertThat(http.body()).contains("Invalid API key: ***"));
        });
        assertNoKeyIn(out);
    }

    @Test
    void quotaExhaustedWaitsTheRetryAfterDateOfTheResponse() {
        String inFourSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                clock.instant().plusSeconds(4).atZone(ZoneOffset.UTC));
        stub.reply(429, "application/json", "gemini/vertexai-unary-failure-quota-exceeded.json",
                        Map.of("Retry-After", inFourSeconds))
                .json(200, "gemini/googleai-unary-success-basic-reply-short.json");

        Exchange out = call("direct:chat", "Where is Google's headquarters?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.PROVIDER, "gemini");
        assertThat(stub.received.get(1).at() - stub.received.get(0).at()).isGreaterThanOrEqualTo(4000);
        assertThat(waits).containsExactly(4000L);
        assertNoKeyIn(out);
    }

    @Test
    void quotaExhaustedIsRetriedThenFallsBack() {
        for (int i = 0; i < 3; i++) {
            stub.json(429, "gemini/vertexai-unary-failure-quota-exceeded.json");
        }

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(stub.received).hasSize(3);
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 4);
        assertNoKeyIn(out);
    }

    @Test
    void aThoughtSummaryIsNotPartOfTheReply() throws Exception {
        // the recorded thinking reply, with its function call replaced by an answer
        ObjectNode reply = (ObjectNode)
                new ObjectMapper().readTree(ProviderStub.fixtureText(
                        "gemini/googleai-unary-success-thinking-function-call-thought-summary-signature.json"));
        ArrayNode parts = (ArrayNode)
                reply.path("candidates").path(0).path("content").path("parts");
        parts.remove(1);
        parts.addObject().put("text", "66 days.");
        stub.replyBody(200, "application/json", reply.toString(), Map.of());

        Exchange out = call("direct:chat", "How many days until New Year's Eve?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("66 days.");
    }
}
