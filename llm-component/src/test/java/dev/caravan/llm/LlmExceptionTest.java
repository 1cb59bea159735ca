package dev.caravan.llm;

import dev.caravan.llm.LlmException.Category;
import dev.caravan.llm.LlmException.Kind;
import dev.caravan.llm.provider.ScriptedChatModelFactory;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RateLimitException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LlmExceptionTest {

    private final ResolvedModel model = new ResolvedModel("openai:gpt-x", "openai", "gpt-x", new ScriptedChatModelFactory(),
            null, null);

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
        LlmException mapped = LlmProducer.classify(model, rateLimit);

        assertThat(mapped.kind()).isEqualTo(Kind.RATE_LIMIT);
        assertThat(mapped).hasCause(rateLimit).hasMessage("openai:gpt-x failed: too many requests");
        assertThat(LlmProducer.classify(model, new AuthenticationException("no")).kind()).isEqualTo(Kind.AUTH);
        assertThat(LlmProducer.classify(model, new HttpException(529, "overloaded")).kind()).isEqualTo(Kind.OVERLOADED);
        assertThat(LlmProducer.classify(model, new HttpException(502, "bad gateway")).kind()).isEqualTo(Kind.SERVER);
        assertThat(LlmProducer.classify(model, new java.io.IOException("reset")).retryable()).isTrue();
        assertThat(LlmProducer.classify(model, new IllegalStateException("bug")).retryable()).isFalse();
    }
}
