package dev.caravan.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ProviderHttpException;
import dev.caravan.llm.provider.ProviderStreamException;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.anthropic.internal.api.AnthropicStreamingException;
import dev.langchain4j.model.ollama.OllamaStreamingException;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CancellationException;

/**
 * Maps a provider failure (LangChain4j's exceptions, I/O errors) to an {@link LlmException} kind. The HTTP status of an
 * {@link HttpException} anywhere in the cause chain decides first; then the exception types. The original exception
 * stays the cause, so routes can still {@code onException} on LangChain4j's types; the message is redacted. The
 * {@code Retry-After} of an error response (kept by Caravan's transport, {@link ProviderHttpException}) becomes
 * {@link LlmException#retryAfter()}. Errors reported inside a stream (Anthropic's {@code event: error}, Ollama's
 * {@code {"error": ...}} line, a bare {@code google.rpc} error object ending a Gemini stream) are classified by their
 * own type.
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
        LlmException midStream = midStream(ref, e);
        if (midStream != null) {
            return midStream;
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
        Duration retryAfter = null;
        if (http instanceof ProviderHttpException response) {
            // OpenAI's retry-after-ms says the same as Retry-After, to the millisecond
            retryAfter = RetryAfter.parseMillis(response.retryAfterMillis());
            if (retryAfter == null) {
                retryAfter = RetryAfter.parse(response.retryAfter(), now);
            }
        }
        return new LlmException(kind, message.toString(), e, retryAfter);
    }

    /**
     * An error a provider reported inside a stream it had accepted (HTTP 200), or null when {@code e} is none. Such an
     * error carries no HTTP status: its own type decides, and one that does not say otherwise is a provider failure
     * worth another try (SERVER), as a 5xx would be.
     */
    private static LlmException midStream(String ref, Throwable e) {
        Kind kind;
        String type;
        Throwable error;
        ProviderStreamException bare = find(e, ProviderStreamException.class);
        // in LangChain4j's internal package, but the only carrier of the error event's type
        AnthropicStreamingException anthropic = find(e, AnthropicStreamingException.class);
        OllamaStreamingException ollama = find(e, OllamaStreamingException.class);
        if (bare != null) {
            JsonNode rpc = errorObject(bare.errorObject());
            type = rpc.path("status").asText(null);
            kind = rpcKind(type, rpc.path("code").asInt(0));
            error = bare;
        } else if (anthropic != null) {
            type = anthropic.type();
            kind = anthropicKind(type);
            error = anthropic;
        } else if (ollama != null) {
            // Ollama reports a failure of the model run this way, e.g. "an error was encountered while running the model"
            type = null;
            kind = Kind.SERVER;
            error = ollama;
        } else {
            return null;
        }
        StringBuilder message = new StringBuilder(ref).append(" failed mid-stream");
        if (type != null) {
            message.append(" (").append(type).append(')');
        }
        message.append(": ").append(detail(error));
        return new LlmException(kind, message.toString(), e);
    }

    /** The {@code error} member of a JSON error object, or a missing node. */
    private static JsonNode errorObject(String json) {
        try {
            return LlmJson.tree(json).path("error");
        } catch (JsonProcessingException | RuntimeException notJson) {
            return MissingNode.getInstance();
        }
    }

    /**
     * The kind for a {@code google.rpc} status (Gemini): the canonical code's name, else its HTTP mapping. CANCELLED
     * here means the server cut the stream, not that Caravan cancelled the call: worth another try.
     */
    static Kind rpcKind(String status, int code) {
        if (status == null) {
            return code >= 400 && code != 499 ? byStatus(code, null) : Kind.SERVER;
        }
        return switch (status) {
            case "RESOURCE_EXHAUSTED" -> Kind.RATE_LIMIT;
            case "UNAVAILABLE" -> Kind.OVERLOADED;
            case "DEADLINE_EXCEEDED" -> Kind.TIMEOUT;
            case "UNAUTHENTICATED", "PERMISSION_DENIED" -> Kind.AUTH;
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "NOT_FOUND", "ALREADY_EXISTS", "UNIMPLEMENTED"
                    -> Kind.BAD_REQUEST;
            default -> Kind.SERVER;
        };
    }

    /** The kind for the {@code error.type} of an Anthropic error event. */
    static Kind anthropicKind(String type) {
        if (type == null) {
            return Kind.SERVER;
        }
        return switch (type) {
            case "overloaded_error" -> Kind.OVERLOADED;
            case "rate_limit_error" -> Kind.RATE_LIMIT;
            case "timeout_error" -> Kind.TIMEOUT;
            case "authentication_error", "permission_error" -> Kind.AUTH;
            case "invalid_request_error", "not_found_error", "request_too_large" -> Kind.BAD_REQUEST;
            default -> Kind.SERVER;
        };
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
        } else if (find(e, TimeoutException.class) != null
                   || find(e, java.util.concurrent.TimeoutException.class) != null
                   || find(e, HttpTimeoutException.class) != null
                   || find(e, SocketTimeoutException.class) != null) {
            return Kind.TIMEOUT;
        } else if (mentionsOverload(e.getMessage())) {
            return Kind.OVERLOADED;
        } else if (find(e, InternalServerException.class) != null || find(e, RetriableException.class) != null
                   || find(e, IOException.class) != null) {
            return Kind.SERVER;
        } else if (find(e, InterruptedException.class) != null
                   || find(e, CancellationException.class) != null) {
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
