package dev.caravan.llm;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A failed model call, classified so routes and the engine can decide what to do: {@link #kind()} says what
 * happened, {@link #category()} whose fault it is, {@link #retryable()} whether trying again (or the next model in
 * the fallback chain) may succeed. The original provider exception, if any, is the cause. Messages are redacted of
 * anything that looks like a credential.
 */
public class LlmException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Whose fault a failure is. */
    public enum Category {
        /** The model provider failed or refused the call. */
        PROVIDER,
        /** Caravan's runtime stopped the call (cancelled, over budget, unusable output). */
        RUNTIME,
        /** A tool call could not be carried out. */
        TOOL
    }

    /** What went wrong. */
    public enum Kind {
        /** The provider rate-limited the call (HTTP 429). */
        RATE_LIMIT(Category.PROVIDER, true),
        /** The provider is overloaded (HTTP 503/529). */
        OVERLOADED(Category.PROVIDER, true),
        /** The credentials were missing, wrong or not allowed to use the model (HTTP 401/403). */
        AUTH(Category.PROVIDER, false),
        /** The provider rejected the request (HTTP 400/404/422, content filter). */
        BAD_REQUEST(Category.PROVIDER, false),
        /** The provider failed (HTTP 5xx). */
        SERVER(Category.PROVIDER, true),
        /** The call took longer than the endpoint's timeout. */
        TIMEOUT(Category.PROVIDER, true),
        /** The call was interrupted or cancelled. */
        CANCELLED(Category.RUNTIME, false),
        /**
         * The circuit breaker of the model is open after repeated retryable failures: the call was not sent, and the
         * next model of the fallback chain is tried at once.
         */
        CIRCUIT_OPEN(Category.RUNTIME, true),
        /**
         * A limit was reached before the call could go on (a cost or token budget, or maxToolRounds); nothing was sent.
         */
        BUDGET(Category.RUNTIME, false),
        /** The model called a tool that was not offered. */
        UNKNOWN_TOOL(Category.TOOL, false),
        /** The model called a tool with arguments that are not valid JSON or do not match the tool's schema. */
        INVALID_ARGUMENTS(Category.TOOL, false),
        /** A tool could not be run. */
        TOOL_FAILED(Category.TOOL, false),
        /** The reply did not match the requested structured output, even after a repair round. */
        INVALID_OUTPUT(Category.RUNTIME, false);

        private final Category category;
        private final boolean retryable;

        Kind(Category category, boolean retryable) {
            this.category = category;
            this.retryable = retryable;
        }

        public Category category() {
            return category;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    // bearer tokens, sk-/xai-/AIza-style keys, and key=value / "api_key": "..." pairs
    private static final Pattern SECRETS = Pattern.compile(
            "(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]{8,}"
                    + "|\\b(sk|xai|gsk|pk)-[A-Za-z0-9_-]{8,}"
                    + "|\\bAIza[A-Za-z0-9_-]{20,}"
                    + "|((?:api[_-]?key|x-api-key|x-goog-api-key|access[_-]?token|secret|password)\"?\\s*[:=]\\s*\"?)[^\\s\"&,}]+");

    private final Kind kind;
    private final Duration retryAfter;

    public LlmException(Kind kind, String message) {
        this(kind, message, null);
    }

    public LlmException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, null);
    }

    /**
     * @param retryAfter how long the provider asked to wait before trying again (its {@code Retry-After}), or null
     */
    public LlmException(Kind kind, String message, Throwable cause, Duration retryAfter) {
        super(redact(message), cause);
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (retryAfter != null && retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
        }
        this.kind = kind;
        this.retryAfter = retryAfter;
    }

    /** What went wrong. */
    public Kind kind() {
        return kind;
    }

    /** Whose fault it is: provider, runtime or tool. */
    public Category category() {
        return kind.category();
    }

    /** Whether the same call may succeed when tried again or on the next model of the fallback chain. */
    public boolean retryable() {
        return kind.retryable();
    }

    /**
     * How long the provider asked to wait before the same call is tried again (an HTTP {@code Retry-After} header,
     * read when the response arrived); empty when it did not say.
     */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    /**
     * Replaces anything in {@code text} that looks like a credential with {@code ***}.
     */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        return SECRETS.matcher(text).replaceAll(m -> {
            if (m.group(1) != null) {
                return Matcher.quoteReplacement(m.group(1) + "***");
            }
            if (m.group(3) != null) {
                return Matcher.quoteReplacement(m.group(3) + "***");
            }
            return "***";
        });
    }

    @Override
    public String toString() {
        return getClass().getName() + "[" + kind + "]: " + getMessage();
    }
}
