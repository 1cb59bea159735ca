package dev.caravan.llm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.caravan.llm.provider.ScriptedChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;

/** Provider "recording": scripted replies, keeping every request so tests can see what the model was sent. */
class RecordingChatModelFactory implements ChatModelFactory {

    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();

    @Override
    public String provider() {
        return "recording";
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
        ScriptedChatModel scripted = new ScriptedChatModel(cfg.getScriptedReplies());
        return new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                requests.add(request);
                return scripted.doChat(request);
            }
        };
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
        throw new UnsupportedOperationException("recording is blocking only");
    }

    @Override
    public long costMicros(String modelName, long inputTokens, long outputTokens) {
        return inputTokens * 2 + outputTokens * 10;
    }
}
