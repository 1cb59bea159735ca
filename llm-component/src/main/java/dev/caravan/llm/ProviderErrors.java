package dev.caravan.llm;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ProviderHttpException;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnsupportedFeatureException;

/**
 * Maps a provider failure (LangChain4j's exceptions, I/O errors) to an {@link LlmException} kind. The HTTP status of an
 * {@link HttpException} anywhere in the cause chain decides first; then the exception types. The original exception
 * stays the cause, so routes can still {@code onException} on LangChain4j's types; the message is redacted. The
 * {@code Retry-After} of an error response (kept by Caravan's transport, {@link ProviderHttpException}) becomes
 * {@link LlmException#retryAfter()}.
 */
final class ProviderErrors {

    /** The longest provider error text kept in a message. */
    private static final int MAX_DETAIL = 500;

    private ProviderErrors() {
    }

    /** The LlmException for a failed call of model {@code ref}, now. */
    static LlmException classify(String ref, Throwable e) {
        return classify(ref, e, Instant.now());
    }

    /**
     * The LlmException for a failed call of model {@code ref}; {@code now} dates a {@code Retry-After} given as an
     * HTTP-date.
     */
    static LlmException classify(String ref, Throwable e, Instant now) {
        if (e instanceof LlmException llm) {
            return llm;
        }
        HttpException http = find(e, HttpException.class);
        Kind kind = http != null ? byStatus(http.statusCode(), http.getMessage()) : byType(e);
        StringBuilder message = new StringBuilder(ref).append(" failed");
        if (http != null) {
            message.append(" (HTTP ").append(http.statusCode()).append(')');
        }
        String detail = detail(http != null ? http : e);
        if (detail != null) {
            message.append(": ").append(detail);
        }
        Duration retryAfter = http instanceof ProviderHttpException response ? RetryAfter.parse(response.retryAfter(), now) : null;
        return new LlmException(kind, message.toString(), e, retryAfter);
    }

    /** The kind for an HTTP status; {@code body} tells an overload reported with another status. */
    static Kind byStatus(int status, String body) {
        if (status == 429) {
            return Kind.RATE_LIMIT;
        } else if (status == 401 || status == 403) {
            return Kind.AUTH;
        } else if (status == 408) {
            return Kind.TIMEOUT;
        } else if (status == 503 || status == 529 || (status >= 500 && mentionsOverload(body))) {
            return Kind.OVERLOADED;
        } else if (status >= 500) {
            return Kind.SERVER;
        }
        return Kind.BAD_REQUEST;
    }

    private static Kind byType(Throwable e) {
        if (find(e, RateLimitException.class) != null) {
            return Kind.RATE_LIMIT;
        } else if (find(e, AuthenticationException.class) != null) {
            return Kind.AUTH;
        } else if (find(e, ModelNotFoundException.class) != null || find(e, InvalidRequestException.class) != null
                   || find(e, UnsupportedFeatureException.class) != null) {
            return Kind.BAD_REQUEST;
        } else if (find(e, dev.langchain4j.exception.TimeoutException.class) != null
                   || find(e, java.util.concurrent.TimeoutException.class) != null
                   || find(e, java.net.http.HttpTimeoutException.class) != null
                   || find(e, java.net.SocketTimeoutException.class) != null) {
            return Kind.TIMEOUT;
        } else if (mentionsOverload(e.getMessage())) {
            // e.g. Anthropic's in-stream "event: error" with overloaded_error
            return Kind.OVERLOADED;
        } else if (find(e, InternalServerException.class) != null || find(e, RetriableException.class) != null
                   || find(e, IOException.class) != null) {
            return Kind.SERVER;
        } else if (find(e, InterruptedException.class) != null
                   || find(e, java.util.concurrent.CancellationException.class) != null) {
            return Kind.CANCELLED;
        } else if (find(e, NonRetriableException.class) != null) {
            return Kind.BAD_REQUEST;
        }
        return Kind.BAD_REQUEST;
    }

    private static boolean mentionsOverload(String text) {
        return text != null && text.toLowerCase(Locale.ROOT).contains("overloaded");
    }

    private static String detail(Throwable e) {
        String text = e.getMessage();
        if (text == null || text.isBlank()) {
            text = e.getClass().getSimpleName();
        }
        text = text.strip().replaceAll("\\s+", " ");
        return text.length() > MAX_DETAIL ? text.substring(0, MAX_DETAIL) + "..." : text;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
