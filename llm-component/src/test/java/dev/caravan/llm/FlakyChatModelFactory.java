package dev.caravan.llm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ChatModelFactory;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

/** Provider "flaky": counts the calls of each model; fails with SERVER while {@link #healthy} is false. */
class FlakyChatModelFactory implements ChatModelFactory {

    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    volatile boolean healthy;

    @Override
    public String provider() {
        return "flaky";
    }

    int calls(String modelName) {
        AtomicInteger n = calls.get(modelName);
        return n == null ? 0 : n.get();
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
        return new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                calls.computeIfAbsent(modelName, m -> new AtomicInteger()).incrementAndGet();
                if (!healthy) {
                    throw new LlmException(Kind.SERVER, "flaky:" + modelName + " is down");
                }
                return ChatResponse.builder().aiMessage(AiMessage.from("from flaky " + modelName))
                        .tokenUsage(new TokenUsage(1, 1)).build();
            }
        };
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
        throw new UnsupportedOperationException("flaky is blocking only");
    }

    @Override
    public boolean waits(LlmConfiguration cfg) {
        return false;
    }
}
