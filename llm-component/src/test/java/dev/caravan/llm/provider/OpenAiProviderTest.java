package dev.caravan.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.LlmException;
import dev.caravan.llm.LlmTool;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiProviderTest extends ProviderTestSupport {

    private static final String MODEL = "caravan-llm:chat?model=openai:gpt-4o-mini&";

    @Override
    String provider() {
        return "openai";
    }

    @Override
    String baseUrl() {
        return stub.url() + "/v1";
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to(MODEL + SCRIPTED_FALLBACK + "&temperature=0.2&maxTokens=64");
                from("direct:budgeted").to(MODEL + SCRIPTED_FALLBACK + "&maxTokens=100&budgetMicros=50");
                from("direct:noRetry").to(MODEL + SCRIPTED_FALLBACK + "&maxRetries=0");
                from("direct:alone").to(MODEL + "retryInitialDelay=1");
                from("direct:structured").to(MODEL + "responseSchema=RAW(" + CITY_SCHEMA + ")");
                from("direct:impatient").to(MODEL + "timeout=300&maxRetries=0");
                from("direct:shortTimeout").to(MODEL + SCRIPTED_FALLBACK + "&timeout=5000");
                from("direct:stream").to(MODEL + SCRIPTED_FALLBACK + "&streaming=true");
                from("direct:weather").setBody(constant(Map.of("temperature", 21, "unit", "C")));
            }
        };
    }

    @Test
    void chatSendsTheKeyAndReadsTheReplyAndUsage() {
        stub.json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:chat", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).startsWith("I'm unable to provide real-time weather updates.");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "openai")
                .containsEntry(LlmConstants.MODEL, "gpt-4o-mini")
                .containsEntry(LlmConstants.INPUT_TOKENS, 14L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 37L)
                .containsEntry(LlmConstants.FINISH_REASON, "STOP")
                .containsEntry(LlmConstants.ATTEMPTS, 1);
        ProviderStub.Received request = stub.received.get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.uri()).isEqualTo("/v1/chat/completions");
        assertThat(request.header("Authorization")).isEqualTo("Bearer " + apiKey());
        JsonNode body = requestBody(0);
        assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
        assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("user");
        assertThat(body.path("messages").get(0).path("content").asText()).isEqualTo("What is the weather in San Francisco?");
        assertThat(body.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(body.path("max_completion_tokens").asInt()).isEqualTo(64);
        assertThat(body.has("stream") && body.path("stream").asBoolean()).isFalse();
        assertNoKeyIn(out);
    }

    @Test
    void pricesTheReplyFromTheUsageTokensWithTheBundledPriceTable() {
        stub.json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:chat", "What is the weather in San Francisco?");

        // 14 input tokens at 0.15 USD/M = 2.1 -> 3 micro-dollars; 37 output tokens at 0.60 USD/M = 22.2 -> 23
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.COST_MICROS, 26L);
    }

    @Test
    void refusesACallOverBudgetBeforeAnythingIsSentAndDoesNotFallBack() {
        stub.json(200, "openai/chat-completion-response-recorded.json");

        // worst case: 10 prompt tokens (2 micro-dollars) + 100 output tokens (60 micro-dollars) > 50
        Exchange out = call("direct:budgeted", "What is the weather in San Francisco?");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.BUDGET);
            assertThat(e.retryable()).isFalse();
        });
        assertThat(stub.received).isEmpty();
        assertThat(out.getMessage().getBody()).isNotEqualTo("from scripted");
    }

    @Test
    void aStreamingCallAnsweredWithoutAStreamFailsRatherThanReplyingNothing() {
        // a server (or proxy) that ignores stream=true and answers with a plain JSON reply
        stub.json(200, "openai/chat-completion-response-recorded.json")
                .json(200, "openai/chat-completion-response-recorded.json")
                .json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:stream", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).as("the fallback answers").isEqualTo("from scripted");
        assertThat(out.getMessage().getHeader(LlmConstants.MODEL, String.class)).isEqualTo("scripted");
    }

    @Test
    void streamsTheRecordedSseWithTheFinalUsageChunk() {
        stub.sse("openai/chat-completion-stream-recorded.sse");

        Exchange out = call("direct:stream", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).startsWith("I'm unable to provide real-time weather updates");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.INPUT_TOKENS, 14L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 30L)
                .containsEntry(LlmConstants.FINISH_REASON, "STOP")
                .containsKey(LlmConstants.TIME_TO_FIRST_TOKEN_MILLIS);
        JsonNode body = requestBody(0);
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(stub.received.get(0).header("Authorization")).isEqualTo("Bearer " + apiKey());
    }

    @Test
    void runsTheToolLoopThroughARoute() {
        stub.json(200, "openai/chat-completion-tool-calls-response.json")
                .json(200, "openai/chat-completion-response-recorded.json");
        LlmTool weather = new LlmTool("get_current_weather", "Current weather",
                "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}",
                "direct:weather");

        Exchange out = call("direct:chat", "Weather in Boston?", List.of(weather));

        assertThat(out.getException()).isNull();
        assertThat(stub.received).hasSize(2);
        JsonNode first = requestBody(0);
        assertThat(first.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_current_weather");
        JsonNode messages = requestBody(1).path("messages");
        JsonNode assistant = messages.get(messages.size() - 2);
        assertThat(assistant.path("tool_calls").get(0).path("id").asText()).isEqualTo("call_abc123");
        JsonNode toolResult = messages.get(messages.size() - 1);
        assertThat(toolResult.path("role").asText()).isEqualTo("tool");
        assertThat(toolResult.path("tool_call_id").asText()).isEqualTo("call_abc123");
        assertThat(json(toolResult.path("content").asText()).path("temperature").asInt()).isEqualTo(21);
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.INPUT_TOKENS, 82L + 14L)
                .containsEntry(LlmConstants.ATTEMPTS, 2);
    }

    @Test
    void anAuthErrorFailsAtOnceWithoutFallbackAndWithoutTheKey() {
        stub.json(401, "openai/error-401-invalid-api-key.json");

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.AUTH);
            assertThat(e.retryable()).isFalse();
            assertThat(e).hasMessageStartingWith("openai:gpt-4o-mini failed (HTTP 401)")
                    .hasMessageContaining("invalid_api_key")
                    .hasRootCauseInstanceOf(HttpException.class);
            assertThat(e.getCause()).isInstanceOf(AuthenticationException.class);
        });
        assertThat(stub.received).hasSize(1);
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 1)
                .containsEntry(LlmConstants.PROVIDER, "openai");
        assertNoKeyIn(out);
    }

    @Test
    void aRateLimitIsRetriedThenFallsBack() {
        for (int i = 0; i < 3; i++) {
            stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", "1"));
        }

        Exchange out = call("direct:chat", "Hi");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        // the model and its two retries, then the fallback
        assertThat(stub.received).hasSize(3);
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 4)
                .containsEntry(LlmConstants.PROVIDER, "scripted");
        // each retry waited the second the server asked for, not the 1 ms backoff
        assertThat(waits).containsExactly(1000L, 1000L);
    }

    @Test
    void theSecondAttemptComesNoEarlierThanRetryAfterSays() {
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", "7"))
                .json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:chat", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "openai")
                .containsEntry(LlmConstants.ATTEMPTS, 2);
        assertThat(stub.received).hasSize(2);
        assertThat(stub.received.get(1).at() - stub.received.get(0).at()).isGreaterThanOrEqualTo(7000);
        assertThat(waits).containsExactly(7000L);
    }

    @Test
    void aRetryAfterDateIsCountedFromTheComponentsClock() {
        String inNineSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                clock.instant().plusSeconds(9).atZone(ZoneOffset.UTC));
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", inNineSeconds))
                .json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:chat", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(stub.received.get(1).at() - stub.received.get(0).at()).isGreaterThanOrEqualTo(9000);
        assertThat(waits).containsExactly(9000L);
    }

    @Test
    void aRetryAfterLongerThanTheTimeoutFallsBackAtOnce() {
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", "6"));

        Exchange out = call("direct:shortTimeout", "Hi");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(stub.received).hasSize(1);
        assertThat(waits).isEmpty();
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2);
    }

    @Test
    void openAisRetryAfterMillisecondsWinsOverTheRoundedSeconds() {
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json",
                Map.of("Retry-After", "2", "retry-after-ms", "1250"))
                .json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:chat", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(stub.received).hasSize(2);
        assertThat(waits).containsExactly(1250L);
    }

    @Test
    void aRetryAfterOverAMinuteEndsTheExchangeAtOnceWithTheDelayWhenThereIsNoFallback() {
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", "3600"));

        Exchange out = call("direct:alone", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.RATE_LIMIT);
            assertThat(e.retryable()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofHours(1));
            assertThat(e).hasMessageContaining("HTTP 429").hasMessageContaining("rate_limit_exceeded");
        });
        assertThat(stub.received).hasSize(1);
        assertThat(waits).isEmpty();
        assertNoKeyIn(out);
    }

    @Test
    void aStreamingCallHonoursRetryAfterToo() {
        stub.reply(429, "application/json", "openai/error-429-rate-limit-exceeded.json", Map.of("Retry-After", "3"))
                .sse("openai/chat-completion-stream-recorded.sse");

        Exchange out = call("direct:stream", "What is the weather in San Francisco?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).startsWith("I'm unable to provide real-time weather updates");
        assertThat(stub.received.get(1).at() - stub.received.get(0).at()).isGreaterThanOrEqualTo(3000);
        assertThat(waits).containsExactly(3000L);
    }

    @Test
    void aStreamingAuthErrorKeepsTheStatusAndBodyButNotTheKey() {
        stub.json(401, "openai/error-401-invalid-api-key.json");

        Exchange out = call("direct:stream", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.AUTH);
            assertThat(e).hasMessageStartingWith("openai:gpt-4o-mini failed (HTTP 401)").hasMessageContaining("invalid_api_key")
                    .hasRootCauseInstanceOf(ProviderHttpException.class);
        });
        assertNoKeyIn(out);
    }

    @Test
    void aServerErrorFallsBack() {
        stub.json(500, "openai/error-429-insufficient-quota.json");

        Exchange out = call("direct:noRetry", "Hi");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from scripted");
        assertThat(stub.received).hasSize(1);
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2);
    }

    @Test
    void structuredOutputSendsAJsonSchemaResponseFormatAndParsesTheRepairedReply() {
        stub.json(200, "openai/chat-completion-response-recorded.json")
                .replyBody(200, "application/json", withText("openai/chat-completion-response-recorded.json",
                        "/choices/0/message/content", "{\"city\": \"Paris\"}"), Map.of());

        Exchange out = call("direct:structured", "Where is the Eiffel tower?");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of("city", "Paris"));
        JsonNode format = requestBody(0).path("response_format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.path("json_schema").path("schema").path("properties").path("city").path("type").asText())
                .isEqualTo("string");
        assertThat(format.path("json_schema").path("schema").path("required").toString()).isEqualTo("[\"city\"]");
        // the recorded reply is prose, not JSON: the second request asks for a repair, once
        JsonNode messages = requestBody(1).path("messages");
        assertThat(messages.get(messages.size() - 1).path("content").asText()).contains("not valid JSON").contains(CITY_SCHEMA);
        assertThat(requestBody(1).path("response_format")).isEqualTo(format);
        assertThat(stub.received).hasSize(2);
    }

    @Test
    void structuredOutputFailsClearlyWhenTheRepairedReplyIsStillNotJson() {
        stub.json(200, "openai/chat-completion-response-recorded.json").json(200, "openai/chat-completion-response-recorded.json");

        Exchange out = call("direct:structured", "Where is the Eiffel tower?");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.INVALID_OUTPUT);
            assertThat(e).hasMessageStartingWith("The reply does not match responseSchema after a repair round: it is not valid JSON");
        });
        assertThat(stub.received).hasSize(2);
        assertThat(out.getMessage().getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 2)
                .containsEntry(LlmConstants.INPUT_TOKENS, 28L);
    }

    @Test
    void aReplyWhoseBodyStallsTimesOutOnTheCallersThreadAtTheEndpointTimeout() {
        stub.stalling("application/json", "openai/chat-completion-response-recorded.json", 100);
        long start = System.nanoTime();

        Exchange out = call("direct:impatient", "Hi");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.TIMEOUT);
            assertThat(e.retryable()).isTrue();
            assertThat(e).hasMessageContaining("openai:gpt-4o-mini failed").hasMessageContaining("within 300 ms");
        });
        // the headers came at once: the JDK's own request timeout would not have ended this call
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void theKeyAppearsNowhereInAFailingOrASucceedingCall() {
        stub.json(401, "openai/error-401-invalid-api-key.json")
                .json(200, "openai/chat-completion-response-recorded.json");

        Exchange failed = call("direct:chat", "Hi");
        Exchange succeeded = call("direct:chat", "Hi");

        assertThat(failed.getException()).isInstanceOf(LlmException.class);
        assertThat(succeeded.getException()).isNull();
        assertNoKeyIn(failed);
        assertNoKeyIn(succeeded);
        // yet the key was sent, on both calls
        assertThat(stub.received).extracting(r -> r.header("Authorization")).containsOnly("Bearer " + apiKey());
    }
}
