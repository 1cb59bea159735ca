package dev.caravan.llm;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class LlmProducerTest extends CamelTestSupport {

    private static final String CITY_SCHEMA
            = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

    private final RecordingChatModelFactory recording = new RecordingChatModelFactory();

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("recordingFactory", recording);
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:text").to("caravan-llm:chat?model=scripted&scriptedReplies=RAW([\"Hello there\"])");
                from("direct:echo").to("caravan-llm:chat?model=scripted&systemPrompt=Be brief");
                from("direct:structured").to("caravan-llm:chat?model=recording&responseSchema=RAW(" + CITY_SCHEMA + ")"
                                             + "&scriptedReplies=RAW([{\"json\":{\"city\":\"Paris\"}}])");
                from("direct:repaired").to("caravan-llm:chat?model=recording&responseSchema=RAW(" + CITY_SCHEMA + ")"
                                           + "&scriptedReplies=RAW([\"Sure! Paris.\", \"```json\\n{\\\"city\\\": \\\"Paris\\\"}\\n```\"])");
                from("direct:unrepairable").to("caravan-llm:chat?model=scripted&responseSchema=RAW(" + CITY_SCHEMA + ")"
                                               + "&scriptedReplies=RAW([\"Paris\", {\"json\":{\"town\":\"Paris\"}}])");
                from("direct:truncated").to("caravan-llm:chat?model=scripted&responseSchema=RAW(" + CITY_SCHEMA + ")"
                                            + "&scriptedReplies=RAW([\"{\\\"city\\\": [\\\"Paris\\\"\"])");
                from("direct:fromHeaders").to("caravan-llm:chat?model=recording&systemPrompt=Ignored"
                                              + "&scriptedReplies=RAW([{\"json\":{\"city\":\"Paris\"}}])");
                from("direct:tools").to("caravan-llm:chat?model=recording&scriptedReplies=RAW(["
                                        + "{\"toolCalls\":[{\"name\":\"weather\",\"arguments\":{\"city\":\"Paris\"}}]},"
                                        + "\"It is sunny in Paris\"])");
                from("direct:unknownTool").to("caravan-llm:chat?model=recording&scriptedReplies=RAW(["
                                              + "{\"toolCalls\":[{\"name\":\"stocks\",\"arguments\":{}}]},"
                                              + "\"I cannot check stocks\"])");
                from("direct:badArguments").to("caravan-llm:chat?model=recording&scriptedReplies=RAW(["
                                               + "{\"toolCalls\":[{\"name\":\"weather\",\"arguments\":\"{city: Paris\"},"
                                               + "{\"name\":\"weather\",\"arguments\":{\"city\":42}}]},"
                                               + "\"Let me try again later\"])");
                from("direct:loop").to("caravan-llm:chat?model=scripted&maxToolRounds=2&scriptedReplies=RAW(["
                                       + "{\"toolCalls\":[{\"name\":\"weather\",\"arguments\":{\"city\":\"Paris\"}}]}])");
                from("direct:streaming").to("caravan-llm:chat?model=scripted&streaming=true"
                                            + "&scriptedReplies=RAW([\"The quick  brown fox\\njumps.\"])");
                from("direct:fallback").to("caravan-llm:chat?model=scripted:primary&fallback=scripted:backup&maxRetries=0"
                                           + "&scriptedReplies=RAW([{\"error\":{\"type\":\"rate_limit\",\"message\":\"slow down\"}},"
                                           + "\"from the backup\"])");
                from("direct:auth").to("caravan-llm:chat?model=scripted:primary&fallback=scripted:backup"
                                       + "&scriptedReplies=RAW([{\"error\":{\"type\":\"auth\",\"message\":\"bad key\"}},"
                                       + "\"never\"])");
                from("direct:slow").to("caravan-llm:chat?model=scripted&scriptedLatency=2000&timeout=100&maxRetries=0");
                from("direct:retried").to("caravan-llm:chat?model=scripted:primary&fallback=scripted:backup"
                                          + "&retryInitialDelay=20&scriptedReplies=RAW(["
                                          + "{\"error\":{\"type\":\"rate_limit\"}},{\"error\":{\"type\":\"server\"}},"
                                          + "\"after two retries\"])");
                from("direct:retriedThenFallback").to("caravan-llm:chat?model=scripted:primary&fallback=scripted:backup"
                                                      + "&maxRetries=1&retryInitialDelay=1&scriptedReplies=RAW(["
                                                      + "{\"error\":{\"type\":\"overloaded\"}},{\"error\":{\"type\":\"overloaded\"}},"
                                                      + "\"from the backup\"])");
                from("direct:offset").to("caravan-llm:chat?model=scripted&scriptedReplies=RAW([\"first\",\"second\",\"third\"])");

                from("direct:exhausted").to("caravan-llm:chat?model=scripted:a&fallback=scripted:b&maxRetries=0"
                                            + "&scriptedReplies=RAW([{\"error\":{\"type\":\"rate_limit\"}},"
                                            + "{\"error\":{\"type\":\"overloaded\",\"message\":\"busy\"}}])");
                from("direct:brokenTool").to("caravan-llm:chat?model=recording&scriptedReplies=RAW(["
                                             + "{\"toolCalls\":[{\"name\":\"broken\",\"arguments\":{}}]},"
                                             + "\"The tool is broken\"])");

                from("direct:broken").throwException(new IllegalStateException("database down"));
                from("direct:weather")
                        .to("mock:weather")
                        .process(e -> {
                            Map<?, ?> args = e.getMessage().getBody(Map.class);
                            Map<String, Object> result = new LinkedHashMap<>();
                            result.put("city", args.get("city"));
                            result.put("forecast", "sunny");
                            e.getMessage().setBody(result);
                        });
            }
        };
    }

    @Test
    void repliesWithScriptedTextAndSetsUsageHeaders() {
        Exchange out = template.request("direct:text", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("Hello there");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "scripted")
                .containsEntry(LlmConstants.MODEL, "scripted")
                .containsEntry(LlmConstants.INPUT_TOKENS, 1L)
                .containsEntry(LlmConstants.OUTPUT_TOKENS, 3L)
                .containsEntry(LlmConstants.COST_MICROS, 0L)
                .containsEntry(LlmConstants.FINISH_REASON, "STOP")
                .containsEntry(LlmConstants.ATTEMPTS, 1)
                .containsKey(LlmConstants.LATENCY_MILLIS)
                .doesNotContainKey(LlmConstants.TIME_TO_FIRST_TOKEN_MILLIS);
    }

    @Test
    void echoesTheLastUserMessageWhenNoRepliesAreScripted() {
        Exchange out = template.request("direct:echo", e -> e.getMessage().setBody("ping pong"));

        assertThat(out.getMessage().getBody()).isEqualTo("ping pong");
        // "Be brief" (8) + "ping pong" (9) = 17 chars -> 5 tokens
        assertThat(out.getMessage().getHeader(LlmConstants.INPUT_TOKENS)).isEqualTo(5L);
    }

    @Test
    void acceptsAConversationAsAListOfChatMessages() {
        List<ChatMessage> conversation = List.of(UserMessage.from("first question"), AiMessage.from("first answer"),
                UserMessage.from("second question"));

        Object reply = template.requestBody("direct:echo", conversation);

        assertThat(reply).isEqualTo("second question");
    }

    @Test
    void parsesStructuredOutputIntoAMap() {
        Object reply = template.requestBody("direct:structured", "Where is the Eiffel tower?");

        assertThat(reply).isEqualTo(Map.of("city", "Paris"));
        assertThat(recording.requests).hasSize(1);
        assertThat(recording.requests.get(0).responseFormat().jsonSchema()).isNotNull();
    }

    @Test
    void takesTheSystemPromptAndTheSchemaFromHeadersSoTheyStayOutOfTheUri() {
        Exchange out = template.request("direct:fromHeaders", e -> {
            e.getMessage().setBody("Where is the Eiffel tower?");
            e.getMessage().setHeader(LlmConstants.SYSTEM_PROMPT, "Answer with a city.");
            e.getMessage().setHeader(LlmConstants.RESPONSE_SCHEMA, CITY_SCHEMA);
        });

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of("city", "Paris"));
        ChatRequest sent = recording.requests.get(0);
        assertThat(sent.messages().get(0)).isEqualTo(SystemMessage.from("Answer with a city."));
        assertThat(sent.responseFormat().jsonSchema()).isNotNull();
    }

    @Test
    void repairsInvalidJsonOnceByAskingAgainWithTheParseError() {
        Exchange out = template.request("direct:repaired", e -> e.getMessage().setBody("Where is the Eiffel tower?"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo(Map.of("city", "Paris"));
        assertThat(recording.requests).hasSize(2);
        List<ChatMessage> second = recording.requests.get(1).messages();
        assertThat(second.get(second.size() - 1)).isInstanceOfSatisfying(UserMessage.class,
                m -> assertThat(m.singleText()).contains("not valid JSON").contains(CITY_SCHEMA));
    }

    @Test
    void failsWithInvalidOutputWhenTheRepairedReplyIsStillInvalid() {
        LlmException e = llmFailure(() -> template.requestBody("direct:unrepairable", "Where?"));

        assertThat(e.kind()).isEqualTo(LlmException.Kind.INVALID_OUTPUT);
        assertThat(e.retryable()).isFalse();
        assertThat(e).hasMessageContaining("after a repair round").hasMessageContaining("city");
    }

    @Test
    void invalidJsonOutputIsReportedByLineAndColumnWithoutJacksonsRedactedSource() {
        LlmException e = llmFailure(() -> template.requestBody("direct:truncated", "Where?"));

        assertThat(e.kind()).isEqualTo(LlmException.Kind.INVALID_OUTPUT);
        assertThat(e).hasMessageContaining("not valid JSON").hasMessageContaining("start marker at line 1, column 10")
                .hasMessageContaining("(line 1, column 18)").hasMessageNotContaining("REDACTED")
                .hasMessageNotContaining("Source");
    }

    @Test
    void runsAToolThroughADirectRouteAndSendsTheResultBackToTheModel() throws Exception {
        MockEndpoint weather = getMockEndpoint("mock:weather");
        weather.expectedMessageCount(1);
        weather.expectedHeaderReceived(LlmConstants.TOOL_NAME, "weather");
        weather.expectedHeaderReceived(LlmConstants.TOOL_CALL_ID, "call_1");
        RecordingListener listener = new RecordingListener();

        Exchange out = template.request("direct:tools", e -> {
            e.getMessage().setBody("Weather in Paris?");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(weatherTool()));
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        });

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("It is sunny in Paris");
        weather.assertIsSatisfied();
        assertThat(weather.getReceivedExchanges().get(0).getMessage().getBody()).isEqualTo(Map.of("city", "Paris"));
        assertThat(listener.events).containsExactly(
                "call call_1 weather {\"city\":\"Paris\"}",
                "result call_1 weather {\"city\":\"Paris\",\"forecast\":\"sunny\"} false");
        assertThat(recording.requests).hasSize(2);
        assertThat(recording.requests.get(0).toolSpecifications()).singleElement()
                .satisfies(spec -> assertThat(spec.name()).isEqualTo("weather"));
        ToolExecutionResultMessage result = lastToolResult(1);
        assertThat(result.id()).isEqualTo("call_1");
        assertThat(result.text()).isEqualTo("{\"city\":\"Paris\",\"forecast\":\"sunny\"}");
        assertThat(out.getMessage().getHeader(LlmConstants.COST_MICROS, Long.class)).isPositive();
    }

    @Test
    void sendsAnUnknownToolBackToTheModelAsAnError() {
        RecordingListener listener = new RecordingListener();

        Object reply = template.send("direct:unknownTool", e -> {
            e.getMessage().setBody("How are my stocks?");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(weatherTool()));
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        }).getMessage().getBody();

        assertThat(reply).isEqualTo("I cannot check stocks");
        ToolExecutionResultMessage result = lastToolResult(1);
        assertThat(result.isError()).isTrue();
        assertThat(result.text()).contains("UNKNOWN_TOOL").contains("Unknown tool 'stocks'").contains("weather");
        assertThat(listener.events).last().asString().startsWith("result call_1 stocks").endsWith("true");
    }

    @Test
    void sendsInvalidArgumentsBackToTheModelWithoutCallingTheTool() throws Exception {
        getMockEndpoint("mock:weather").expectedMessageCount(0);

        Object reply = template.send("direct:badArguments", e -> {
            e.getMessage().setBody("Weather?");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(weatherTool()));
        }).getMessage().getBody();

        assertThat(reply).isEqualTo("Let me try again later");
        getMockEndpoint("mock:weather").assertIsSatisfied();
        List<ChatMessage> second = recording.requests.get(1).messages();
        ToolExecutionResultMessage notJson = (ToolExecutionResultMessage) second.get(second.size() - 2);
        ToolExecutionResultMessage wrongType = (ToolExecutionResultMessage) second.get(second.size() - 1);
        assertThat(notJson.isError()).isTrue();
        assertThat(notJson.text()).contains("INVALID_ARGUMENTS").contains("not valid JSON");
        assertThat(wrongType.isError()).isTrue();
        assertThat(wrongType.text()).contains("do not match its schema").contains("city");
    }

    @Test
    void failsWithBudgetWhenTheModelKeepsCallingToolsPastMaxToolRounds() throws Exception {
        getMockEndpoint("mock:weather").expectedMessageCount(2);

        Exchange out = template.send("direct:loop", x -> {
            x.getMessage().setBody("Weather?");
            x.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(weatherTool()));
        });

        assertThat(out.getException()).isInstanceOf(LlmException.class);
        LlmException e = (LlmException) out.getException();
        assertThat(e.kind()).isEqualTo(LlmException.Kind.BUDGET);
        assertThat(e).hasMessageContaining("maxToolRounds=2").hasMessageContaining("weather");
        getMockEndpoint("mock:weather").assertIsSatisfied();
    }

    @Test
    void streamsDeltasThatConcatenateToTheFullReply() {
        RecordingListener listener = new RecordingListener();

        Exchange out = template.request("direct:streaming", e -> {
            e.getMessage().setBody("Tell me about the fox");
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        });

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("The quick  brown fox\njumps.");
        assertThat(listener.deltas).containsExactly("The ", "quick  ", "brown ", "fox\n", "jumps.");
        assertThat(String.join("", listener.deltas)).isEqualTo(out.getMessage().getBody());
        assertThat(out.getMessage().getHeader(LlmConstants.TIME_TO_FIRST_TOKEN_MILLIS, Long.class)).isNotNegative();
    }

    @Test
    void fallsBackToTheNextModelOnARateLimit() {
        Exchange out = template.request("direct:fallback", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from the backup");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 2)
                .containsEntry(LlmConstants.MODEL, "backup");
    }

    @Test
    void saysHowManyTimesItMovedOnToAFallbackModel() {
        assertThat(template.request("direct:text", e -> e.getMessage().setBody("Hi")).getMessage()
                .getHeader(LlmConstants.FALLBACKS)).isEqualTo(0);
        assertThat(template.request("direct:retried", e -> e.getMessage().setBody("Hi")).getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 3).containsEntry(LlmConstants.FALLBACKS, 0);
        assertThat(template.request("direct:retriedThenFallback", e -> e.getMessage().setBody("Hi")).getMessage()
                .getHeaders()).containsEntry(LlmConstants.ATTEMPTS, 3).containsEntry(LlmConstants.FALLBACKS, 1)
                .containsEntry(LlmConstants.MODEL, "backup");
    }

    @Test
    void retriesTheSameModelWithBackoffBeforeFallingBack() {
        long start = System.nanoTime();
        Exchange out = template.request("direct:retried", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("after two retries");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 3)
                .containsEntry(LlmConstants.MODEL, "primary");
        // backoff 20 ms then 40 ms, each at least half of that
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(30);
    }

    @Test
    void fallsBackWhenTheRetriesAreSpent() {
        Exchange out = template.request("direct:retriedThenFallback", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from the backup");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.ATTEMPTS, 3)
                .containsEntry(LlmConstants.MODEL, "backup");
    }

    @Test
    void backoffDoublesWithJitterAndIsCapped() {
        for (int i = 0; i < 50; i++) {
            assertThat(LlmProducer.backoffMillis(500, 0)).isBetween(250L, 500L);
            assertThat(LlmProducer.backoffMillis(500, 2)).isBetween(1000L, 2000L);
            assertThat(LlmProducer.backoffMillis(500, 30)).isBetween(15_000L, 30_000L);
        }
        assertThat(LlmProducer.backoffMillis(0, 3)).isZero();
    }

    @Test
    void waitsTheLongerOfBackoffAndRetryAfterUnlessRetryAfterIsLongerThanACallMayTake() {
        LlmConfiguration cfg = new LlmConfiguration();
        cfg.setRetryInitialDelay(500);
        cfg.setTimeout(10_000);
        LlmException noDelay = new LlmException(LlmException.Kind.RATE_LIMIT, "x");
        LlmException shortDelay = new LlmException(LlmException.Kind.RATE_LIMIT, "x", null, Duration.ofMillis(100));
        LlmException longDelay = new LlmException(LlmException.Kind.RATE_LIMIT, "x", null, Duration.ofSeconds(8));
        LlmException tooLong = new LlmException(LlmException.Kind.RATE_LIMIT, "x", null, Duration.ofSeconds(11));

        assertThat(LlmProducer.retryDelayMillis(cfg, 0, noDelay)).isBetween(250L, 500L);
        assertThat(LlmProducer.retryDelayMillis(cfg, 0, shortDelay)).isBetween(250L, 500L);
        assertThat(LlmProducer.retryDelayMillis(cfg, 0, longDelay)).isEqualTo(8000L);
        assertThat(LlmProducer.retryDelayMillis(cfg, 0, tooLong)).isEqualTo(-1L);
        cfg.setTimeout(600_000);
        assertThat(LlmProducer.retryDelayMillis(cfg, 0, tooLong)).isEqualTo(11_000L);
        assertThat(LlmProducer.retryDelayMillis(cfg, 0,
                new LlmException(LlmException.Kind.RATE_LIMIT, "x", null, Duration.ofSeconds(61)))).isEqualTo(-1L);
    }

    @Test
    void doesNotFallBackOnAnAuthError() {
        Exchange out = template.request("direct:auth", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(LlmException.Kind.AUTH);
            assertThat(e.category()).isEqualTo(LlmException.Category.PROVIDER);
            assertThat(e.retryable()).isFalse();
            assertThat(e).hasMessage("bad key");
        });
        assertThat(out.getMessage().getHeader(LlmConstants.ATTEMPTS)).isEqualTo(1);
    }

    @Test
    void failsWithARetryableTimeoutWhenTheModelIsTooSlow() {
        LlmException e = llmFailure(() -> template.requestBody("direct:slow", "Hi"));

        assertThat(e.kind()).isEqualTo(LlmException.Kind.TIMEOUT);
        assertThat(e.retryable()).isTrue();
        assertThat(e).hasMessageContaining("within 100 ms");
    }

    @Test
    void startsTheScriptAtTheScriptOffsetProperty() {
        Object reply = template.send("direct:offset", e -> {
            e.getMessage().setBody("Hi");
            e.setProperty(LlmConstants.SCRIPT_OFFSET_PROPERTY, 1);
        }).getMessage().getBody();

        assertThat(reply).isEqualTo("second");
    }

    @Test
    void failsWithTheLastErrorWhenEveryModelOfTheChainFails() {
        Exchange out = template.request("direct:exhausted", e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(LlmException.Kind.OVERLOADED);
            assertThat(e).hasMessage("All 2 models failed: scripted:a (RATE_LIMIT), scripted:b (OVERLOADED): busy");
            assertThat(e.getSuppressed()).singleElement()
                    .isInstanceOfSatisfying(LlmException.class, s -> assertThat(s.kind()).isEqualTo(LlmException.Kind.RATE_LIMIT));
        });
        assertThat(out.getMessage().getHeader(LlmConstants.ATTEMPTS)).isEqualTo(2);
    }

    @Test
    void sendsAFailingToolBackToTheModelAsAnError() {
        RecordingListener listener = new RecordingListener();

        Object reply = template.send("direct:brokenTool", e -> {
            e.getMessage().setBody("Go");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(new LlmTool("broken", "fails", null, "direct:broken")));
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        }).getMessage().getBody();

        assertThat(reply).isEqualTo("The tool is broken");
        ToolExecutionResultMessage result = lastToolResult(1);
        assertThat(result.isError()).isTrue();
        assertThat(result.text()).contains("TOOL_FAILED").contains("database down");
        assertThat(listener.events).last().asString().endsWith("true");
    }

    @Test
    void failsWithToolFailedWhenTheToolEndpointCannotBeResolved() {
        Exchange out = template.send("direct:brokenTool", e -> {
            e.getMessage().setBody("Go");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(new LlmTool("broken", "fails", null, "nosuchscheme:x")));
        });

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(LlmException.Kind.TOOL_FAILED);
            assertThat(e.category()).isEqualTo(LlmException.Category.TOOL);
            assertThat(e).hasMessageContaining("Tool 'broken' has an unusable endpoint 'nosuchscheme:x'");
        });
    }

    @Test
    void rejectsAToolsPropertyThatIsNotAListOfTools() {
        Exchange out = template.send("direct:text", e -> {
            e.getMessage().setBody("Hi");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of("weather"));
        });

        assertThat(out.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Exchange property CamelCaravanLlmTools must be a List<LlmTool>, found java.lang.String");
    }

    @Test
    void rejectsAListBodyThatIsNotChatMessages() {
        Exchange out = template.send("direct:text", e -> e.getMessage().setBody(List.of("Hi")));

        assertThat(out.getException()).isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("java.util.List");
    }

    @Test
    void rejectsAMissingBody() {
        Exchange out = template.send("direct:text", e -> e.getMessage().setBody(null));

        assertThat(out.getException()).isInstanceOf(InvalidPayloadException.class)
                .hasMessageContaining("No body available of type: java.lang.String");
    }

    private ToolExecutionResultMessage lastToolResult(int request) {
        List<ChatMessage> messages = recording.requests.get(request).messages();
        return (ToolExecutionResultMessage) messages.get(messages.size() - 1);
    }

    private static LlmTool weatherTool() {
        return new LlmTool("weather", "The forecast for a city",
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}",
                "direct:weather");
    }

    private static LlmException llmFailure(ThrowingCallable call) {
        Throwable thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(CamelExecutionException.class);
        Throwable t = thrown instanceof CamelExecutionException ? thrown.getCause() : thrown;
        assertThat(t).isInstanceOf(LlmException.class);
        return (LlmException) t;
    }

    static final class RecordingListener implements LlmListener {
        final List<String> deltas = new CopyOnWriteArrayList<>();
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onDelta(String text) {
            deltas.add(text);
        }

        @Override
        public void onToolCall(String callId, String toolName, String argumentsJson) {
            events.add("call " + callId + " " + toolName + " " + argumentsJson);
        }

        @Override
        public void onToolResult(String callId, String toolName, String resultJson, boolean error) {
            events.add("result " + callId + " " + toolName + " " + resultJson + " " + error);
        }
    }
}
