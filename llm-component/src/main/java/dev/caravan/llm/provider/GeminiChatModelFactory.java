package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.googleai.GoogleAiGeminiChatModel;
import dev.langchain4j.model.googleai.GoogleAiGeminiStreamingChatModel;
import org.apache.camel.CamelContext;

/**
 * The {@code gemini} provider (Google AI Gemini API), on LangChain4j's {@link GoogleAiGeminiChatModel} /
 * {@link GoogleAiGeminiStreamingChatModel}. Key: {@code caravan.llm.gemini.api-key}, else {@code GEMINI_API_KEY}.
 */
public class GeminiChatModelFactory extends RemoteChatModelFactory {

    public static final String PROVIDER = "gemini";
    public static final String API_KEY_ENV = "GEMINI_API_KEY";

    public GeminiChatModelFactory() {
        super(PROVIDER, API_KEY_ENV, null);
    }

    @Override
    public ChatModel chatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        GoogleAiGeminiChatModel.GoogleAiGeminiChatModelBuilder b = GoogleAiGeminiChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .maxOutputTokens(cfg.getMaxTokens())
                .logRequests(false)
                .logRequestsAndResponses(false)
                // thought summaries are not the answer: without this LangChain4j puts them in the reply text
                .returnThinking(false);
        // retries and fallback are the component's
        b.maxRetries(0);
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        return b.build();
    }

    @Override
    public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        ProviderSettings s = settings(cfg, context);
        GoogleAiGeminiStreamingChatModel.GoogleAiGeminiStreamingChatModelBuilder b = GoogleAiGeminiStreamingChatModel.builder()
                .apiKey(s.apiKey())
                .modelName(modelName)
                .httpClientBuilder(transport())
                .timeout(s.timeout())
                .temperature(cfg.getTemperature())
                .maxOutputTokens(cfg.getMaxTokens())
                .logRequests(false)
                .logRequestsAndResponses(false)
                // thought summaries are not the answer: without this LangChain4j puts them in the reply text
                .returnThinking(false);
        if (s.baseUrl() != null) {
            b.baseUrl(s.baseUrl());
        }
        return b.build();
    }
}
