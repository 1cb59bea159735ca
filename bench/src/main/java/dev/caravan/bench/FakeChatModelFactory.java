package dev.caravan.bench;

import dev.caravan.llm.LlmConfiguration;
import dev.caravan.llm.provider.ChatModelFactory;
import dev.caravan.llm.provider.LatencyScheduler;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;

/**
 * The {@code fake} provider of {@link WorkloadsBench}: a {@link FakeChatModel} that answers the constant reply, after
 * the agent's {@code scripted.latencyMs} when it has one, delivered by a 2-thread scheduler. Registered through the same
 * SPI as the built-in providers ({@code META-INF/services}), so the engine treats it as it treats {@code scripted}:
 * calls without latency complete on the caller's thread, calls with latency complete later and hold no thread.
 */
public class FakeChatModelFactory implements ChatModelFactory {

    public static final String PROVIDER = "fake";

    private final LatencyScheduler latency = new LatencyScheduler("fake-model-latency", 2);

    @Override
    public String provider() {
        return PROVIDER;
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
        return new FakeChatModel(cfg.getScriptedLatency(), latency);
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
        return new FakeChatModel(cfg.getScriptedLatency(), latency);
    }

    /** As the scripted provider: only a simulated latency makes a call wait. */
    @Override
    public boolean waits(LlmConfiguration cfg) {
        return cfg.getScriptedLatency() > 0;
    }
}
