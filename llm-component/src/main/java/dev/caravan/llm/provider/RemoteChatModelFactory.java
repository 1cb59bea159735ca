package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.apache.camel.CamelContext;

/**
 * Base of the factories of providers reached over the network: the provider name, where its key and base URL come
 * from, the HTTP transport, and the two-argument methods, which resolve settings without a Camel context.
 */
abstract class RemoteChatModelFactory implements ChatModelFactory {

    private final String provider;
    private final String apiKeyEnv;
    private final String defaultBaseUrl;

    /**
     * @param apiKeyEnv      the environment variable holding the key, or null when the provider takes none
     * @param defaultBaseUrl the base URL when none is configured, or null for the LangChain4j default
     */
    RemoteChatModelFactory(String provider, String apiKeyEnv, String defaultBaseUrl) {
        this.provider = provider;
        this.apiKeyEnv = apiKeyEnv;
        this.defaultBaseUrl = defaultBaseUrl;
    }

    @Override
    public final String provider() {
        return provider;
    }

    @Override
    public final ChatModel chatModel(String modelName, LlmConfiguration cfg) {
        return chatModel(modelName, cfg, null);
    }

    @Override
    public final StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
        return streamingChatModel(modelName, cfg, null);
    }

    /**
     * The HTTP transport of a model: it keeps Retry-After on error responses and holds a blocking call to the
     * endpoint's timeout (set on the model with {@code timeout(...)}, which LangChain4j hands to this builder).
     */
    protected static ProviderHttpClientBuilder transport() {
        return new ProviderHttpClientBuilder();
    }

    /** The transport holds each call to the endpoint's timeout (see {@link ProviderHttpClient}). */
    @Override
    public boolean enforcesTimeout(LlmConfiguration cfg) {
        return true;
    }

    /** Key, base URL and timeout: URI, then component, then Camel property, then environment. */
    protected final ProviderSettings settings(LlmConfiguration cfg, CamelContext context) {
        return ProviderSettings.resolve(provider, apiKeyEnv, defaultBaseUrl, cfg, context);
    }
}
