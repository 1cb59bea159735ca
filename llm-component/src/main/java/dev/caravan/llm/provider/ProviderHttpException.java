package dev.caravan.llm.provider;

import dev.langchain4j.exception.HttpException;

/**
 * An error response of a provider. It is LangChain4j's {@link HttpException} (status code, body as the message), so
 * LangChain4j's exception mapping and the component's error taxonomy read it as before, plus the response's
 * {@code Retry-After} header, which LangChain4j's own clients drop. Credentials the request carried are masked in the
 * body.
 */
public class ProviderHttpException extends HttpException {

    private static final long serialVersionUID = 1L;

    private final String retryAfter;
    private final String retryAfterMillis;

    public ProviderHttpException(int statusCode, String body, String retryAfter) {
        this(statusCode, body, retryAfter, null);
    }

    /** @param retryAfterMillis the {@code retry-after-ms} header OpenAI (and Azure OpenAI) send beside it, or null */
    public ProviderHttpException(int statusCode, String body, String retryAfter, String retryAfterMillis) {
        super(statusCode, body);
        this.retryAfter = retryAfter;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** The error body as the provider sent it (credentials masked). */
    public String body() {
        return getMessage();
    }

    /** The {@code Retry-After} header as sent (delay-seconds or an HTTP-date), or null when the response had none. */
    public String retryAfter() {
        return retryAfter;
    }

    /** The {@code retry-after-ms} header as sent (milliseconds), or null when the response had none. */
    public String retryAfterMillis() {
        return retryAfterMillis;
    }
}
