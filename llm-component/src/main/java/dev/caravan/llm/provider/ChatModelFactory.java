package dev.caravan.llm.provider;

import dev.caravan.llm.LlmConfiguration;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.apache.camel.CamelContext;

import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creates LangChain4j chat models for one provider, the part before the colon in a model reference such as
 * {@code openai:gpt-4o-mini}. The component looks a factory up by {@link #provider()}: first among the beans of the
 * Camel registry, then with {@link java.util.ServiceLoader} ({@code META-INF/services/dev.caravan.llm.provider.ChatModelFactory}).
 * Factories are called when an endpoint starts, once per model of its chain; they must not log credentials.
 */
public interface ChatModelFactory {

    /**
     * The providers of the factories {@link ServiceLoader} finds through {@code classLoader} and through this
     * module's own class loader (where the built-in ones are), sorted: what a workflow can name without beans of its
     * own.
     */
    static Set<String> installedProviders(ClassLoader classLoader) {
        Set<String> names = new TreeSet<>();
        if (classLoader != null) {
            ServiceLoader.load(ChatModelFactory.class, classLoader).forEach(f -> names.add(f.provider()));
        }
        ServiceLoader.load(ChatModelFactory.class, ChatModelFactory.class.getClassLoader())
                .forEach(f -> names.add(f.provider()));
        return names;
    }

    /**
     * The provider name this factory serves, lower case, such as {@code scripted} or {@code openai}.
     */
    String provider();

    /**
     * A blocking chat model for {@code modelName} (the part after the colon; null when the reference had none),
     * configured from the endpoint options.
     */
    ChatModel chatModel(String modelName, LlmConfiguration cfg);

    /**
     * A streaming chat model for {@code modelName}, used when the endpoint has {@code streaming=true}.
     */
    StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg);

    /**
     * A blocking chat model, with the Camel context to read provider settings from (Camel properties). The component
     * calls this one; by default it calls {@link #chatModel(String, LlmConfiguration)}.
     */
    default ChatModel chatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        return chatModel(modelName, cfg);
    }

    /**
     * A streaming chat model, with the Camel context to read provider settings from. The component calls this one; by
     * default it calls {@link #streamingChatModel(String, LlmConfiguration)}.
     */
    default StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg, CamelContext context) {
        return streamingChatModel(modelName, cfg);
    }

    /**
     * Whether a call can wait on anything (a network, a simulated latency). Calls of models that never wait run on
     * the caller's thread instead of being handed to the component's executor.
     */
    default boolean waits(LlmConfiguration cfg) {
        return true;
    }

    /**
     * Whether the models of this factory end a call that takes longer than {@code cfg.getTimeout()} by themselves,
     * failing it with a timeout (LangChain4j's {@code TimeoutException}, say, from an HTTP client that holds the whole
     * exchange to that limit). Their blocking calls then run on the caller's thread: nothing has to watch them from
     * another one.
     */
    default boolean enforcesTimeout(LlmConfiguration cfg) {
        return false;
    }

    /**
     * The price of a call in integer micro-dollars (1 USD = 1,000,000); 0 when the provider has no price table.
     */
    default long costMicros(String modelName, long inputTokens, long outputTokens) {
        return 0L;
    }
}
