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

class OllamaProviderTest extends ProviderTestSupport {

    private static final String MODEL = "caravan-llm:chat?model=ollama:llama3.2&";

    @Override
    String provider() {
        return "ollama";
    }

    @Override
    String apiKey() {
        return null;
    }

    @Override
    String baseUrl() {
        return stub.url();
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to(MODEL + SCRIPTED_FALLBACK + "&temperature=0.1");
                from("direct:noRetry").to(MODEL + SCRIPTED_FALLBACK + "&maxRetries=0");
                from("direct:stream").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true");
                from("direct:streamOnce").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true&maxRetries=0");
                from("direct:streamAlone").to(MODEL + "streaming=true&maxRetries=0");
                from("direct:structured").to(MODEL + "responseSchema=RAW(" + CITY_SCHEMA + ")");
                from("direct:weather").setBody(constant(Map.of("temperature", 28)));
            }
        };
    }

    @Test
    void chatsWithoutStreaming() {
        stub.json(200, "ollama/chat-nostream-response.json");

        Exchange out = call("direct:chat", "Hello");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("Hello! How are you today?");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "ollama")
                .containsEntry(LlmConstants.INPUT_TOKENS, 26L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 298L);
        assertThat(stub.received.get(0).uri()).isEqualTo("/api/chat");
        assertThat(stub.received.get(0).header("Authorization")).isNull();
        JsonNode body = requestBody(0);
        assertThat(body.path("model").asText()).isEqualTo("llama3.2");
        assertThat(body.path("stream").asBoolean()).isFalse();
        assertThat(body.path("options").path("temperature").asDouble()).isEqualTo(0.1);
    }

    @Test
    void streamsNdjson() {
        stub.reply(200, "application/x-ndjson", "ollama/chat-stream-response-first-and-final.ndjson", Map.of());

        Exchange out = call("direct:stream", "Why is the sky blue?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("The");
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.OUTPUT_TOKENS, 282L);
        assertThat(requestBody(0).path("stream").asBoolean()).isTrue();
    }

    @Test
    void callsToolsWithObjectArguments() {
        stub.json(200, "ollama/chat-nostream-tools-response.json").json(200, "ollama/chat-nostream-response.json");
        LlmTool weather = new LlmTool("get_weather", "Weather of a city",
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}",
                "direct:weather");

        Exchange out = call("direct:chat", "Weather in Tokyo?", List.of(weather));

        assertThat(out.getException()).isNull();
        assertThat(stub.received).hasSize(2);
        JsonNode messages = requestBody(1).path("messages");
        assertThat(messages.get(messages.size() - 1).path("role").asText()).isEqualTo("tool");
        assertThat(messages.get(messages.size() - 1).path("content").asText()).contains("28");
    }

    @Test
    void anErrorLineMidStreamIsARetryableServerError() {
        stub.reply(200, "application/x-ndjson", "ollama/error-mid-stream.ndjson", Map.of());

        Exchange out = call("direct:streamAlone", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.SERVER);
            assertThat(e.retryable()).isTrue();
            assertThat(e).hasMessage("ollama:llama3.2 failed mid-stream: an error was encountered while running the model");
        });
    }

    @Test
    void anErrorLineMidStreamFallsBack() {
        stub.reply(200, "application/x-ndjson", "ollama/error-mid-stream.ndjson", Map.of());
        RecordingListener listener = new RecordingListener();

        Exchange out = call("direct:streamOnce", "Hi", listener);

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2);
        // the fixture's lines before the error are /api/generate's ("response"), which carry no /api/chat content:
        // no delta reached the listener before the failure, so nothing is discarded
        assertThat(listener.events).containsExactly("delta from ", "delta scripted");
    }

    @Test
    void structuredOutputSendsTheSchemaAsFormatAndParsesTheRepairedReply() {
        stub.json(200, "ollama/chat-nostream-response.json")
                .replyBody(200, "application/json", withText("ollama/chat-nostream-response.json", "/message/content",
                        "{\"city\": \"Paris\"}"), Map.of());

        Exchange out = call("direct:structured", "Where is the Eiffel tower?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of("city", "Paris"));
        JsonNode format = requestBody(0).path("format");
        assertThat(format.path("type").asText()).isEqualTo("object");
        assertThat(format.path("properties").path("city").path("type").asText()).isEqualTo("string");
        assertThat(format.path("required").toString()).isEqualTo("[\"city\"]");
        assertThat(requestBody(1).path("format")).isEqualTo(format);
    }

    @Test
    void structuredOutputFailsClearlyWhenTheRepairedReplyIsStillNotJson() {
        stub.json(200, "ollama/chat-nostream-response.json").json(200, "ollama/chat-nostream-response.json");

        Exchange out = call("direct:structured", "Where is the Eiffel tower?");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INVALID_OUTPUT);
            assertThat(e).hasMessageStartingWith("The reply does not match responseSchema after a repair round: it is not valid JSON");
        });
        assertThat(stub.received).hasSize(2);
    }

    @Test
    void aServerErrorFallsBack() {
        stub.json(500, "ollama/error-body.json");

        Exchange out = call("direct:noRetry", "Hi");

        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2);
    }
}
