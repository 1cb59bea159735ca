package dev.caravan.llm.provider;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

/**
 * A chat model whose {@link #chat(ChatRequest, StreamingChatResponseHandler)} makes the same call as its blocking
 * {@code chat(ChatRequest)} and returns at once, answering the handler later without holding a thread while it waits
 * (the scripted model's latency, a model served by a non-blocking client). {@code caravan-llm} calls such a model
 * through the handler whether or not the endpoint streams, so a waiting call holds no thread; its partial responses
 * reach the exchange's listener only when the endpoint streams.
 */
public interface AsyncChatModel extends StreamingChatModel {
}
