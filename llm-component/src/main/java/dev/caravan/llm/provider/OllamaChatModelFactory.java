package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import org.apache.camel.CamelContext;

/**
 * The {@code ollama} provider (native {@code /api/chat}), on LangChain4j's {@link OllamaChatModel} /
 * {@link OllamaStreamingChatModel}. No key; base URL {@code caravan.llm.ollama.base-url}, default
 * {@value #DEFAULT_BASE_URL}.
 */
public class OllamaChatModelFactory extends RemoteChatModelFactory {

    public static final String PROVIDER = "ollama";
    public static final String DEFAULT_BASE_URL = "http://localhost:11434";

    public OllamaChatModelFactory() {
        super(PROVIDER, null, DEFAULT_BASE_URL);
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        OllamaChatModel.OllamaChatModelBuilder b = OllamaChatModel.builder();
        // retries and fallback are the component's
        b.maxRetries(0);
        b.baseUrl(s.baseUrl())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .numPredict(cfg.getMaxTokens())
                .logRequests(false)
                .logResponses(false);
        return b.build();
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        OllamaStreamingChatModel.OllamaStreamingChatModelBuilder b = OllamaStreamingChatModel.builder();
        b.baseUrl(s.baseUrl())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .numPredict(cfg.getMaxTokens())
                .logRequests(false)
                .logResponses(false);
        return b.build();
    }
}
