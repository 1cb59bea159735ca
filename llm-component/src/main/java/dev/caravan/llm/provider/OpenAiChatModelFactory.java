package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.apache.camel.CamelContext;

/**
 * The {@code openai} provider (and any OpenAI-compatible server through {@code base-url}), on LangChain4j's
 * {@link OpenAiChatModel} / {@link OpenAiStreamingChatModel}. Key: {@code caravan.llm.openai.api-key}, else
 * {@code OPENAI_API_KEY}.
 */
public class OpenAiChatModelFactory extends RemoteChatModelFactory {

    public static final String PROVIDER = "openai";
    public static final String API_KEY_ENV = "OPENAI_API_KEY";

    public OpenAiChatModelFactory() {
        super(PROVIDER, API_KEY_ENV, null);
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        OpenAiChatModel.OpenAiChatModelBuilder b = OpenAiChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .maxCompletionTokens(cfg.getMaxTokens())
                // retries and fallback are the component's
                .maxRetries(0)
                .logRequests(false)
                .logResponses(false);
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        if (s.organization() != null) {
            b.organizationId(s.organization());
        }
        return b.build();
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        OpenAiStreamingChatModel.OpenAiStreamingChatModelBuilder b = OpenAiStreamingChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .maxCompletionTokens(cfg.getMaxTokens())
                .logRequests(false)
                .logResponses(false);
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        if (s.organization() != null) {
            b.organizationId(s.organization());
        }
        return b.build();
    }
}
