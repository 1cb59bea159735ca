package dev.caravan.llm.provider;

import dev.langchain4j.exception.LangChain4jException;

/**
 * A stream that the provider ended with a bare JSON error object instead of events, after a successful status (Gemini
 * does this with a {@code google.rpc} error when a stream fails midway). An SSE parser skips such lines, so without this
 * the reply would look complete. The message is the error object (credentials masked).
 */
public class ProviderStreamException extends LangChain4jException {

    private static final long serialVersionUID = 1L;

    public ProviderStreamException(String errorObject) {
        super(errorObject);
    }

    /** The error object as the provider sent it. */
    public String errorObject() {
        return getMessage();
    }
}
