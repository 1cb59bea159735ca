package dev.caravan.llm.provider;

import dev.caravan.llm.LlmException;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScriptedChatModelTest {

    @Test
    void picksTheReplyByAiMessageCountAndRepeatsTheLast() {
        ScriptedChatModel model = new ScriptedChatModel("[\"one\", {\"text\": \"two\"}]");

        assertThat(model.chat(request(UserMessage.from("q"))).aiMessage().text()).isEqualTo("one");
        assertThat(model.chat(request(UserMessage.from("q"), AiMessage.from("one"), UserMessage.from("q2")))
                .aiMessage().text()).isEqualTo("two");
        assertThat(model.withOffset(5).chat(request(UserMessage.from("q"))).aiMessage().text()).isEqualTo("two");
    }

    @Test
    void numbersToolCallsAcrossTheConversation() {
        ScriptedChatModel model = new ScriptedChatModel(
                "[{\"toolCalls\":[{\"name\":\"a\",\"arguments\":{\"x\":1}},{\"name\":\"b\"}]},"
                + "{\"toolCalls\":[{\"name\":\"c\",\"arguments\":\"not json\"}]}]");

        ChatResponse first = model.chat(request(UserMessage.from("go")));
        assertThat(first.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(first.aiMessage().toolExecutionRequests())
                .extracting(r -> r.id() + " " + r.name() + " " + r.arguments())
                .containsExactly("call_1 a {\"x\":1}", "call_2 b {}");

        ChatResponse second = model.chat(request(UserMessage.from("go"), first.aiMessage(),
                ToolExecutionResultMessage.from("call_1", "a", "ok"), ToolExecutionResultMessage.from("call_2", "b", "ok")));
        assertThat(second.aiMessage().toolExecutionRequests())
                .extracting(r -> r.id() + " " + r.arguments())
                .containsExactly("call_3 not json");
    }

    @Test
    void repliesWithSerializedJsonAndSimulatesTokenUsage() {
        ScriptedChatModel model = new ScriptedChatModel("[{\"json\": {\"a\": [1, 2]}}]");

        ChatResponse response = model.chat(request(UserMessage.from("12345")));

        assertThat(response.aiMessage().text()).isEqualTo("{\"a\":[1,2]}");
        assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(2);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(3);
    }

    @Test
    void throwsTheScriptedError() {
        ScriptedChatModel model = new ScriptedChatModel("[{\"error\": {\"type\": \"overloaded\", \"message\": \"busy\"}}]");

        assertThatThrownBy(() -> model.chat(request(UserMessage.from("q"))))
                .isInstanceOfSatisfying(LlmException.class, e -> {
                    assertThat(e.kind()).isEqualTo(LlmException.Kind.OVERLOADED);
                    assertThat(e.retryable()).isTrue();
                })
                .hasMessage("busy");
    }

    @Test
    void repliesAreTemplatesOverThePromptTheSystemMessageAndTheLastToolResult() {
        ScriptedChatModel model = new ScriptedChatModel("[\"Hello, {prompt}! ({system})\", "
                + "{\"text\": \"Per the tool: {tool}\"}]");

        assertThat(model.chat(request(SystemMessage.from("Greet warmly"), UserMessage.from("Ada")))
                .aiMessage().text()).isEqualTo("Hello, Ada! (Greet warmly)");
        assertThat(model.chat(request(UserMessage.from("Ada"), AiMessage.from("hi"),
                        ToolExecutionResultMessage.from("call_1", "kb", "refunds in 30 days")))
                .aiMessage().text()).isEqualTo("Per the tool: refunds in 30 days");
    }

    @Test
    void fillsTheTemplateIntoJsonStringsAndToolArgumentsAndLeavesOtherBracesAlone() {
        ScriptedChatModel json = new ScriptedChatModel("[{\"json\": {\"topic\": \"{prompt}\", "
                + "\"tags\": [\"{x}\", \"{prompt}\"], \"n\": 1}}]");
        assertThat(json.chat(request(UserMessage.from("say \"hi\" {tool}"))).aiMessage().text())
                .as("filled in one pass, quotes escaped")
                .isEqualTo("{\"topic\":\"say \\\"hi\\\" {tool}\",\"tags\":[\"{x}\",\"say \\\"hi\\\" {tool}\"],\"n\":1}");

        ScriptedChatModel tools = new ScriptedChatModel(
                "[{\"toolCalls\":[{\"name\":\"kb\",\"arguments\":{\"q\":\"{prompt}\"}}]}]");
        assertThat(tools.chat(request(UserMessage.from("refunds?"))).aiMessage().toolExecutionRequests())
                .extracting(r -> r.arguments()).containsExactly("{\"q\":\"refunds?\"}");
    }

    @Test
    void echoesTheLastUserMessageWithoutReplies() {
        ScriptedChatModel model = new ScriptedChatModel(null);

        assertThat(model.chat(request(UserMessage.from("a"), AiMessage.from("b"), UserMessage.from("c")))
                .aiMessage().text()).isEqualTo("c");
    }

    @Test
    void streamsWordChunksThatConcatenateToTheReply() {
        ScriptedChatModel model = new ScriptedChatModel("[\"  Hello,\\tbig   world \"]");
        List<String> chunks = new ArrayList<>();
        List<ChatResponse> done = new ArrayList<>();

        model.chat(request(UserMessage.from("q")), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                chunks.add(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.add(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                throw new AssertionError(error);
            }
        });

        assertThat(chunks).containsExactly("  Hello,\t", "big   ", "world ");
        assertThat(String.join("", chunks)).isEqualTo(done.get(0).aiMessage().text());
    }

    @Test
    void rejectsRepliesThatAreNotAJsonArray() {
        assertThatThrownBy(() -> new ScriptedChatModel("{\"text\":\"x\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("scriptedReplies must be a JSON array");
        assertThatThrownBy(() -> new ScriptedChatModel("[42]"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scriptedReplies[0] must be a string or an object with text, json, toolCalls or error");
    }

    private static ChatRequest request(ChatMessage... messages) {
        return ChatRequest.builder().messages(messages).build();
    }
}
