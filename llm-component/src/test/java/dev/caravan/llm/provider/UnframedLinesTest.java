package dev.caravan.llm.provider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UnframedLinesTest {

    private static String errorObjectOf(byte[] body) throws IOException {
        UnframedLines lines = new UnframedLines(new ByteArrayInputStream(body));
        try (InputStream in = lines) {
            in.readAllBytes();
        }
        return lines.errorObject();
    }

    @Test
    void keepsTheBareErrorObjectThatEndsAGeminiStream() throws IOException {
        String error = errorObjectOf(ProviderStub.fixture("gemini/vertexai-streaming-failure-error-mid-stream.txt"));

        assertThat(error).startsWith("{").endsWith("}").contains("\"status\": \"CANCELLED\"").doesNotContain("data:")
                .doesNotContain("First");
    }

    @Test
    void findsNothingInWellFormedStreams() throws IOException {
        assertThat(errorObjectOf(ProviderStub.fixture("gemini/googleai-streaming-success-basic-reply-long.txt"))).isNull();
        // data lines with trailing spaces, event lines, an in-stream error event: all SSE
        assertThat(errorObjectOf(ProviderStub.fixture("anthropic/messages-stream-recorded-final-text.sse"))).isNull();
        assertThat(errorObjectOf(ProviderStub.fixture("anthropic/messages-stream-error-overloaded.sse"))).isNull();
        assertThat(errorObjectOf(ProviderStub.fixture("openai/chat-completion-stream-recorded.sse"))).isNull();
    }

    @Test
    void readsCrLfLinesAndAnErrorWithoutAFinalNewline() throws IOException {
        byte[] body = "data: {\"a\":1}\r\n\r\n: keep-alive\r\n{\"error\": {\"code\": 503}}".getBytes(StandardCharsets.UTF_8);

        assertThat(errorObjectOf(body)).isEqualTo("{\"error\": {\"code\": 503}}");
    }

    @Test
    void passesEveryByteThroughUnchanged() throws IOException {
        byte[] fixture = ProviderStub.fixture("gemini/vertexai-streaming-failure-error-mid-stream.txt");

        try (InputStream in = new UnframedLines(new ByteArrayInputStream(fixture))) {
            assertThat(in.readAllBytes()).isEqualTo(fixture);
        }
    }
}
