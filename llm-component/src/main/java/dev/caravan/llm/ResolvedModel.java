package dev.caravan.llm;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;

/** One model of an endpoint's chain, with the LangChain4j model its factory made (blocking or streaming). */
record ResolvedModel(String ref, String provider, String modelName, ChatModelFactory factory, ChatModel chatModel,
        StreamingChatModel streamingChatModel) {

    /** The model name for headers: the part after the colon, or the provider when there was none. */
    String displayName() {
        return modelName != null ? modelName : provider;
    }

    /** The key of the model's circuit breaker: provider:model, or the provider alone. */
    String circuitKey() {
        return modelName != null ? provider + ":" + modelName : provider;
    }
}
