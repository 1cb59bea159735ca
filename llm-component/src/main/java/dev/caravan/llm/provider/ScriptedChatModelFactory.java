package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;

/**
 * The {@code scripted} provider: deterministic replies from the endpoint's {@code scriptedReplies}, at no cost.
 */
public class ScriptedChatModelFactory implements ChatModelFactory {

    public static final String PROVIDER = "scripted";

    /** Delivers the replies of models with a latency; its threads end when idle. */
    private final LatencyScheduler latency = new LatencyScheduler("caravan-scripted-latency", 2);

    @Override
    public String provider() {
        return PROVIDER;
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
        return new ScriptedChatModel(cfg.getScriptedReplies(), cfg.getScriptedLatency(), latency);
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
        return new ScriptedChatModel(cfg.getScriptedReplies(), cfg.getScriptedLatency(), latency);
    }

    /** Scripted replies are computed in memory; only a simulated latency makes a call wait. */
    @Override
    public boolean waits(LlmConfiguration cfg) {
        return cfg.getScriptedLatency() > 0;
    }
}
