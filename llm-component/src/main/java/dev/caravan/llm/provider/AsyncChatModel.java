package dev.caravan.llm.provider;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.List;
import java.util.Set;

/**
 * A chat model whose {@link #chat(ChatRequest, StreamingChatResponseHandler)} makes the same call as its blocking
 * {@code chat(ChatRequest)} and returns at once, answering the handler later without holding a thread while it waits
 * (the scripted model's latency, a model served by a non-blocking client). {@code caravan-llm} calls such a model
 * through the handler whether or not the endpoint streams, so a waiting call holds no thread; its partial responses
 * reach the exchange's listener only when the endpoint streams.
 *
 * <p>Both of LangChain4j's model interfaces give the settings below a default: an implementation takes the blocking
 * model's, here, and overrides only what it has of its own.
 */
public interface AsyncChatModel extends ChatModel, StreamingChatModel {

    @Override
    default ChatRequestParameters defaultRequestParameters() {
        return ChatModel.super.defaultRequestParameters();
    }

    @Override
    default List<ChatModelListener> listeners() {
        return ChatModel.super.listeners();
    }

    @Override
    default ModelProvider provider() {
        return ChatModel.super.provider();
    }

    @Override
    default Set<Capability> supportedCapabilities() {
        return ChatModel.super.supportedCapabilities();
    }
}
