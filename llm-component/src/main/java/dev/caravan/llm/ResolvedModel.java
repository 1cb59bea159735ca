package dev.caravan.llm;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;

/**
 * One model of an endpoint's chain, with the LangChain4j model its factory made (blocking or streaming).
 * {@code waits} tells that a blocking call can wait on anything ({@link ChatModelFactory#waits}), and
 * {@code enforcesTimeout} that the model ends a call over the timeout by itself ({@link ChatModelFactory#enforcesTimeout}).
 * {@code circuitKey} is the key of the model's circuit breaker: provider:model, or the provider alone.
 */
record ResolvedModel(String ref, String provider, String modelName, ChatModelFactory factory, ChatModel chatModel,
        StreamingChatModel streamingChatModel, boolean waits, boolean enforcesTimeout, String circuitKey) {

    ResolvedModel(String ref, String provider, String modelName, ChatModelFactory factory, ChatModel chatModel,
                  StreamingChatModel streamingChatModel, boolean waits, boolean enforcesTimeout) {
        // the key is used on every call: made once
        this(ref, provider, modelName, factory, chatModel, streamingChatModel, waits, enforcesTimeout,
             modelName != null ? provider + ":" + modelName : provider);
    }

    /** The model name for headers: the part after the colon, or the provider when there was none. */
    String displayName() {
        return modelName != null ? modelName : provider;
    }
}
