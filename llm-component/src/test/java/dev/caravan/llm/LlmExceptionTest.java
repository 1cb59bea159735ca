package dev.caravan.llm;

import dev.caravan.llm.LlmException.Category;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ProviderHttpException;
import dev.caravan.llm.provider.ProviderStreamException;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.anthropic.internal.api.AnthropicStreamingException;
import dev.langchain4j.model.ollama.OllamaStreamingException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class LlmExceptionTest {

    @Test
    void classifiesKindsIntoCategoriesAndRetryability() {
        assertThat(new LlmException(Kind.RATE_LIMIT, "x").retryable()).isTrue();
        assertThat(new LlmException(Kind.OVERLOADED, "x").retryable()).isTrue();
        assertThat(new LlmException(Kind.SERVER, "x").retryable()).isTrue();
        assertThat(new LlmException(Kind.TIMEOUT, "x").retryable()).isTrue();
        assertThat(new LlmException(Kind.AUTH, "x").retryable()).isFalse();
        assertThat(new LlmException(Kind.BAD_REQUEST, "x").category()).isEqualTo(Category.PROVIDER);
        assertThat(new LlmException(Kind.BUDGET, "x").category()).isEqualTo(Category.RUNTIME);
        assertThat(new LlmException(Kind.UNKNOWN_TOOL, "x").category()).isEqualTo(Category.TOOL);
        assertThat(new LlmException(Kind.INVALID_OUTPUT, "x").retryable()).isFalse();
    }

    @Test
    void redactsAnythingThatLooksLikeACredential() {
        LlmException e = new LlmException(Kind.AUTH,
                "401 for Authorization: Bearer abcdefghijklmnop with key sk-proj-1234567890abcdef and api_key=hunter2hunter2 "
                + "and {\"x-api-key\": \"secret-value-123\"}");

        assertThat(e.getMessage())
                .doesNotContain("abcdefghijklmnop")
                .doesNotContain("1234567890abcdef")
                .doesNotContain("hunter2")
                .doesNotContain("secret-value-123")
                .contains("Bearer ***")
                .contains("api_key=***");
    }

    @Test
    void mapsLangChain4jExceptionsKeepingThemAsTheCause() {
        RateLimitException rateLimit = new RateLimitException("too many requests");
        LlmException mapped = ProviderErrors.classify("openai:gpt-x", rateLimit);

        assertThat(mapped.kind()).isEqualTo(Kind.RATE_LIMIT);
        assertThat(mapped).hasCause(rateLimit).hasMessage("openai:gpt-x failed: too many requests");
        assertThat(ProviderErrors.classify("openai:gpt-x", new AuthenticationException("no")).kind()).isEqualTo(Kind.AUTH);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(529, "overloaded")).kind()).isEqualTo(Kind.OVERLOADED);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(502, "bad gateway")).kind()).isEqualTo(Kind.SERVER);
        assertThat(ProviderErrors.classify("openai:gpt-x", new IOException("reset")).retryable()).isTrue();
        assertThat(ProviderErrors.classify("openai:gpt-x", new IllegalStateException("bug")).retryable()).isFalse();
        // LangChain4j wraps the HttpException: the status decides
        assertThat(ProviderErrors.classify("openai:gpt-x", new RateLimitException(new HttpException(429, "{}"))))
                .satisfies(e -> assertThat(e.kind()).isEqualTo(Kind.RATE_LIMIT))
                .hasMessage("openai:gpt-x failed (HTTP 429): {}");
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(404, "no such model")).kind()).isEqualTo(Kind.BAD_REQUEST);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(422, "invalid")).kind()).isEqualTo(Kind.BAD_REQUEST);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(403, "forbidden")).kind()).isEqualTo(Kind.AUTH);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(500, "{\"type\":\"overloaded_error\"}")).kind())
                .isEqualTo(Kind.OVERLOADED);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(500, "boom")).kind()).isEqualTo(Kind.SERVER);
        assertThat(ProviderErrors.classify("openai:gpt-x",
                new RuntimeException(new HttpTimeoutException("request timed out"))).kind()).isEqualTo(Kind.TIMEOUT);
        assertThat(ProviderErrors.classify("openai:gpt-x", new TimeoutException("slow")).kind())
                .isEqualTo(Kind.TIMEOUT);
        assertThat(ProviderErrors.classify("openai:gpt-x", new HttpException(401, "Incorrect API key provided: sk-live-abcdefghijkl")))
                .satisfies(e -> assertThat(e.kind()).isEqualTo(Kind.AUTH))
                .hasMessageNotContaining("abcdefghijkl");
    }

    @Test
    void keepsTheRetryAfterOfAnErrorResponse() {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        LlmException seconds = ProviderErrors.classify("openai:gpt-x",
                new RateLimitException(new ProviderHttpException(429, "{}", "12")), now);
        LlmException date = ProviderErrors.classify("anthropic:claude",
                new ProviderHttpException(529, "{}", "Sun, 22 Nov 2026 10:00:03 GMT"), now);
        LlmException none = ProviderErrors.classify("openai:gpt-x", new ProviderHttpException(503, "{}", null), now);

        assertThat(seconds.kind()).isEqualTo(Kind.RATE_LIMIT);
        assertThat(seconds.retryAfter()).contains(Duration.ofSeconds(12));
        assertThat(date.kind()).isEqualTo(Kind.OVERLOADED);
        assertThat(date.retryAfter()).contains(Duration.ofSeconds(3));
        assertThat(none.retryAfter()).isEmpty();
    }

    @Test
    void rejectsANegativeRetryAfter() {
        Throwable thrown = Assertions.catchThrowable(
                () -> new LlmException(Kind.RATE_LIMIT, "x", null, Duration.ofSeconds(-1)));

        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessage("retryAfter must not be negative, was PT-1S");
    }

    @Test
    void classifiesErrorsReportedInsideAStreamByTheirOwnType() {
        assertThat(ProviderErrors.classify("anthropic:c", new AnthropicStreamingException("Overloaded", "overloaded_error")))
                .satisfies(e -> assertThat(e.kind()).isEqualTo(Kind.OVERLOADED))
                .hasMessage("anthropic:c failed mid-stream (overloaded_error): Overloaded");
        assertThat(ProviderErrors.classify("anthropic:c", new AnthropicStreamingException("x", "api_error")).kind())
                .isEqualTo(Kind.SERVER);
        assertThat(ProviderErrors.classify("anthropic:c", new AnthropicStreamingException("x", "rate_limit_error")).kind())
                .isEqualTo(Kind.RATE_LIMIT);
        assertThat(ProviderErrors.classify("anthropic:c", new AnthropicStreamingException("x", "invalid_request_error")).kind())
                .isEqualTo(Kind.BAD_REQUEST);
        assertThat(ProviderErrors.classify("ollama:m", new OllamaStreamingException("boom")).kind()).isEqualTo(Kind.SERVER);
        assertThat(ProviderErrors.classify("gemini:g",
                new ProviderStreamException("{\"error\": {\"code\": 429, \"status\": \"RESOURCE_EXHAUSTED\"}}")).kind())
                .isEqualTo(Kind.RATE_LIMIT);
        assertThat(ProviderErrors.classify("gemini:g",
                new ProviderStreamException("{\"error\": {\"code\": 503, \"status\": \"UNAVAILABLE\"}}")).kind())
                .isEqualTo(Kind.OVERLOADED);
        assertThat(ProviderErrors.classify("gemini:g",
                new ProviderStreamException("{\"error\": {\"code\": 400, \"status\": \"INVALID_ARGUMENT\"}}")).kind())
                .isEqualTo(Kind.BAD_REQUEST);
        assertThat(ProviderErrors.classify("gemini:g", new ProviderStreamException("{\"error\": {\"code\": 499}}")).kind())
                .isEqualTo(Kind.SERVER);
        assertThat(ProviderErrors.classify("gemini:g", new ProviderStreamException("{\"error\": \"not rpc\"}")).kind())
                .isEqualTo(Kind.SERVER);
    }
}
