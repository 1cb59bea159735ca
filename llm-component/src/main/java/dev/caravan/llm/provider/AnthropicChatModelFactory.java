package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.anthropic.AnthropicChatModel;
import dev.langchain4j.model.anthropic.AnthropicStreamingChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.apache.camel.CamelContext;

/**
 * The {@code anthropic} provider, on LangChain4j's {@link AnthropicChatModel} / {@link AnthropicStreamingChatModel}.
 * Key: {@code caravan.llm.anthropic.api-key}, else {@code ANTHROPIC_API_KEY}.
 */
public class AnthropicChatModelFactory extends RemoteChatModelFactory {

    public static final String PROVIDER = "anthropic";
    public static final String API_KEY_ENV = "ANTHROPIC_API_KEY";

    public AnthropicChatModelFactory() {
        super(PROVIDER, API_KEY_ENV, null);
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        AnthropicChatModel.AnthropicChatModelBuilder b = AnthropicChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                // retries and fallback are the component's
                .maxRetries(0)
                .logRequests(false)
                .logResponses(false);
        if (cfg.getMaxTokens() != null) {
            b.maxTokens(cfg.getMaxTokens());
        }
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        return b.build();
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        AnthropicStreamingChatModel.AnthropicStreamingChatModelBuilder b = AnthropicStreamingChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .logRequests(false)
                .logResponses(false);
        if (cfg.getMaxTokens() != null) {
            b.maxTokens(cfg.getMaxTokens());
        }
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        return b.build();
    }
}
