package dev.caravan.llm.provider;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmException;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.LlmTool;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AnthropicProviderTest extends ProviderTestSupport {

    private static final String MODEL = "caravan-llm:chat?model=anthropic:claude-haiku-4-5&";
    private static final String STRUCTURED = "anthropic/recorded-structured-output-nonstreaming.json";
    /** The JSON Schema of the recorded structured-output call, as that request sent it. */
    private static final String RECORDED_SCHEMA
            = recorded().path("request").path("body").path("output_config").path("format").path("schema").toString();

    private static JsonNode recorded() {
        return json(ProviderStub.fixtureText(STRUCTURED)).get(0);
    }

    @Override
    String provider() {
        return "anthropic";
    }

    @Override
    String baseUrl() {
        return stub.url() + "/v1/";
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to(MODEL + SCRIPTED_FALLBACK + "&maxTokens=256");
                from("direct:stream").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true");
                from("direct:streamAlone").to(MODEL + "streaming=true&maxRetries=0");
                from("direct:structured").to(MODEL + "maxTokens=1024&responseSchema=RAW(" + RECORDED_SCHEMA + ")");
                from("direct:city").to(MODEL + "maxTokens=256&responseSchema=RAW(" + CITY_SCHEMA + ")");
                from("direct:weather").setBody(constant(Map.of("temperature", 20, "condition", "Sunny")));
            }
        };
    }

    @Test
    void runsTheRecordedToolLoop() {
        stub.json(200, "anthropic/messages-tool-use-response.json").json(200, "anthropic/messages-response.json");
        LlmTool weather = new LlmTool("get_weather", "Current weather",
                "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"},\"units\":{\"type\":\"string\"}}}",
                "direct:weather");

        Exchange out = call("direct:chat", "Weather in SF?", List.of(weather));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).contains("**20\u00b0C**");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "anthropic")
                .containsEntry(LlmConstants.INPUT_TOKENS, 597L + 705L)
                .containsEntry(LlmConstants.FINISH_REASON, "STOP");
        ProviderStub.Received first = stub.received.get(0);
        assertThat(first.uri()).isEqualTo("/v1/messages");
        assertThat(first.header("x-api-key")).isEqualTo(apiKey());
        assertThat(first.header("anthropic-version")).isNotBlank();
        JsonNode body = requestBody(0);
        assertThat(body.path("model").asText()).isEqualTo("claude-haiku-4-5");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(body.path("tools").get(0).path("name").asText()).isEqualTo("get_weather");
        JsonNode messages = requestBody(1).path("messages");
        JsonNode toolResult = messages.get(messages.size() - 1).path("content").get(0);
        assertThat(toolResult.path("type").asText()).isEqualTo("tool_result");
        assertThat(toolResult.path("tool_use_id").asText()).isEqualTo("toolu_013DU6hV4C1M8dJ32ybQFAFi");
        assertNoKeyIn(out);
    }

    @Test
    void streamsTheRecordedEventsWithTrailingSpaces() {
        stub.sse("anthropic/messages-stream-recorded-final-text.sse");

        Exchange out = call("direct:stream", "Weather in SF?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).isNotBlank();
        assertThat(out.getMessage().getHeader(LlmConstants.OUTPUT_TOKENS, Long.class)).isPositive();
        assertThat(requestBody(0).path("stream").asBoolean()).isTrue();
    }

    @Test
    void streamsTheBasicEventSequence() {
        stub.sse("anthropic/messages-stream-basic.sse");

        Exchange out = call("direct:stream", "Hi");

        assertThat(out.getMessage().getBody()).isEqualTo("Hello there!");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.INPUT_TOKENS, 11L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 6L);
    }

    @Test
    void overloadedIsRetriedThenFallsBack() {
        for (int i = 0; i < 3; i++) {
            stub.json(529, "anthropic/error-529-overloaded.json");
        }

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(stub.received).hasSize(3);
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 4);
    }

    @Test
    void anOverloadedStreamWaitsItsRetryAfter() {
        stub.reply(529, "application/json", "anthropic/error-529-overloaded.json", Map.of("retry-after", "5"))
                .sse("anthropic/messages-stream-basic.sse");

        Exchange out = call("direct:stream", "Hi");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("Hello there!");
        assertThat(stub.received.get(1).at() - stub.received.get(0).at()).isGreaterThanOrEqualTo(5000);
        assertThat(waits).containsExactly(5000L);
    }

    @Test
    void anOverloadedErrorEventInTheStreamIsRetriedThenFallsBack() {
        for (int i = 0; i < 3; i++) {
            stub.sse("anthropic/messages-stream-error-overloaded.sse");
        }
        RecordingListener listener = new RecordingListener();

        Exchange out = call("direct:stream", "Hi", listener);

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(stub.received).hasSize(3);
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 4);
        // the failed streams had sent no text: the listener sees the fallback's reply only
        assertThat(listener.events).containsExactly("delta from ", "delta scripted");
    }

    @Test
    void anOverloadedErrorEventIsARetryableOverload() {
        stub.sse("anthropic/messages-stream-error-overloaded.sse");

        Exchange out = call("direct:streamAlone", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.OVERLOADED);
            assertThat(e.retryable()).isTrue();
            assertThat(e).hasMessage("anthropic:claude-haiku-4-5 failed mid-stream (overloaded_error): Overloaded");
        });
        assertNoKeyIn(out);
    }

    @Test
    void structuredOutputSendsTheSchemaAsOutputConfigAndParsesTheRecordedReply() {
        stub.recorded(STRUCTURED, 0);

        Exchange out = call("direct:structured", "Extract order: 2 Green Tea at $5.50 and 1 Coffee at $3.00. Total $14.");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of(
                "items", List.of(Map.of("product_name", "Green Tea", "price", 5.50, "quantity", 2),
                        Map.of("product_name", "Coffee", "price", 3.00, "quantity", 1)),
                "total", 14.0));
        JsonNode format = requestBody(0).path("output_config").path("format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        // the same output_config.format as the recorded request
        assertThat(format).isEqualTo(recorded().path("request").path("body").path("output_config").path("format"));
        assertThat(stub.received).hasSize(1);
    }

    @Test
    void structuredOutputAsksOnceToRepairAReplyThatIsNotJsonThenFailsClearly() {
        stub.json(200, "anthropic/messages-response.json").json(200, "anthropic/messages-response.json");

        Exchange out = call("direct:city", "Where is the Eiffel tower?");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INVALID_OUTPUT);
            assertThat(e.retryable()).isFalse();
            assertThat(e).hasMessageStartingWith("The reply does not match responseSchema after a repair round: it is not valid JSON");
        });
        assertThat(stub.received).hasSize(2);
        JsonNode format = requestBody(0).path("output_config").path("format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.path("schema").path("properties").path("city").path("type").asText()).isEqualTo("string");
        assertThat(format.path("schema").path("required")).containsExactly(JSON.getNodeFactory().textNode("city"));
        // Anthropic requires additionalProperties false on objects; LangChain4j adds it
        assertThat(format.path("schema").path("additionalProperties").asBoolean(true)).isFalse();
        JsonNode repair = requestBody(1).path("messages");
        assertThat(repair.get(repair.size() - 1).toString()).contains("not valid JSON").contains("city");
    }

    @Test
    void aBadRequestFailsWithoutFallback() {
        stub.json(400, "anthropic/error-400-invalid-request.json");

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.BAD_REQUEST);
            assertThat(e).hasMessageContaining("HTTP 400").hasMessageContaining("invalid_request_error");
        });
        assertThat(stub.received).hasSize(1);
        assertNoKeyIn(out);
    }
}
