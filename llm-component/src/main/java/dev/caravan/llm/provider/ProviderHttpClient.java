package dev.caravan.llm.provider;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.DefaultServerSentEventParser;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * The HTTP transport of the remote providers, on {@link java.net.http.HttpClient}: LangChain4j's provider modules still
 * build the requests and read the replies. Unlike LangChain4j's own JDK client it
 * <ul>
 * <li>keeps an error response's {@code Retry-After} header on the exception ({@link ProviderHttpException}),</li>
 * <li>masks the credentials the request carried wherever the error body echoes them,</li>
 * <li>holds a blocking call to its timeout until the body is read (the JDK's request timeout ends with the headers), on
 * the caller's thread ({@link CallDeadline}),</li>
 * <li>reports an SSE stream that ends in a bare JSON error object as an error ({@link ProviderStreamException}), not
 * as a complete reply.</li>
 * </ul>
 * It never logs requests or responses.
 */
public final class ProviderHttpClient implements HttpClient {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderHttpClient.class);

    /** The most of an error body kept. */
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** Request headers whose values are credentials. */
    private static final Set<String> CREDENTIAL_HEADERS = Set.of(
            "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key");
    /** Shorter values are not masked: no real credential is that short, and masking them would garble the body. */
    private static final int MIN_CREDENTIAL_LENGTH = 8;

    private final java.net.http.HttpClient delegate;
    private final Duration timeout;

    ProviderHttpClient(java.net.http.HttpClient delegate, Duration timeout) {
        this.delegate = delegate;
        this.timeout = timeout;
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        java.net.http.HttpRequest jdk = toJdk(request, false);
        HttpResponse<byte[]> response;
        CallDeadline deadline = timeout == null ? null : new CallDeadline(timeout);
        try {
            response = delegate.send(jdk, BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            if (deadline != null && deadline.end()) {
                throw new TimeoutException("No complete response within " + timeout.toMillis() + " ms");
            }
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the provider's response", e);
        } catch (IOException e) {
            endQuietly(deadline);
            throw failure(e);
        } catch (RuntimeException e) {
            endQuietly(deadline);
            throw e;
        }
        endQuietly(deadline);
        if (!successful(response.statusCode())) {
            throw error(request, response, new String(response.body(), StandardCharsets.UTF_8));
        }
        return SuccessfulHttpResponse.builder()
                .statusCode(response.statusCode())
                .headers(response.headers().map())
                .body(response.body())
                .build();
    }

    /** Ends a deadline whose call ended otherwise than by its interrupt (an answer, an I/O failure). */
    private static void endQuietly(CallDeadline deadline) {
        if (deadline != null) {
            deadline.end();
        }
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        delegate.sendAsync(toJdk(request, true), BodyHandlers.ofInputStream()).whenComplete((response, failure) -> {
            if (failure != null) {
                tell(listener, () -> listener.onError(failure(failure)));
            } else if (!successful(response.statusCode())) {
                ProviderHttpException error = error(request, response, readError(response.body()));
                tell(listener, () -> listener.onError(error));
            } else {
                stream(request, response, parser, listener);
            }
        });
    }

    private static void stream(
            HttpRequest request, HttpResponse<InputStream> response, ServerSentEventParser parser,
            ServerSentEventListener listener) {
        SuccessfulHttpResponse opened = SuccessfulHttpResponse.builder()
                .statusCode(response.statusCode()).headers(response.headers().map()).build();
        tell(listener, () -> listener.onOpen(opened));
        // only SSE bodies are watched: other parsers (Ollama's NDJSON) see every line and report errors themselves
        UnframedLines unframed = parser.getClass() == DefaultServerSentEventParser.class
                ? new UnframedLines(response.body()) : null;
        try (InputStream body = unframed != null ? unframed : response.body()) {
            parser.parse(body, listener);
        } catch (IOException | RuntimeException e) {
            tell(listener, () -> listener.onError(failure(e)));
            return;
        }
        String errorObject = unframed != null ? unframed.errorObject() : null;
        if (errorObject != null) {
            // instead of onClose, which would complete the reply with the text streamed so far
            ProviderStreamException error = new ProviderStreamException(mask(errorObject, credentials(request)));
            tell(listener, () -> listener.onError(error));
            return;
        }
        tell(listener, listener::onClose);
    }

    /**
     * The JDK request. A stream gets the timeout as its request timeout, which the JDK holds until the headers arrive
     * (the component holds the rest); a blocking call is held by a {@link CallDeadline} instead, as the JDK's response
     * timer would not cover its body.
     */
    private java.net.http.HttpRequest toJdk(HttpRequest request, boolean stream) {
        if (!request.formDataFields().isEmpty() || !request.formDataFiles().isEmpty()) {
            throw new UnsupportedOperationException("Multipart requests are not sent by Caravan's provider transport");
        }
        java.net.http.HttpRequest.Builder builder = java.net.http.HttpRequest.newBuilder(URI.create(request.url()));
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            if (header.getValue() != null) {
                for (String value : header.getValue()) {
                    builder.header(header.getKey(), value);
                }
            }
        }
        builder.method(request.method().name(), request.body() == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(request.body()));
        if (stream && timeout != null) {
            builder.timeout(timeout);
        }
        return builder.build();
    }

    private static boolean successful(int status) {
        return status >= 200 && status < 300;
    }

    private static ProviderHttpException error(HttpRequest request, HttpResponse<?> response, String body) {
        String kept = body.length() > MAX_ERROR_BODY ? body.substring(0, MAX_ERROR_BODY) : body;
        return new ProviderHttpException(response.statusCode(), mask(kept, credentials(request)),
                response.headers().firstValue("Retry-After").orElse(null),
                response.headers().firstValue("retry-after-ms").orElse(null));
    }

    private static String readError(InputStream body) {
        try (InputStream in = body) {
            return new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(the error body could not be read: " + e.getClass().getSimpleName() + ")";
        }
    }

    /** A transport failure as LangChain4j's clients report it: timeouts as its TimeoutException. */
    private static RuntimeException failure(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof HttpTimeoutException) {
            return new TimeoutException(cause);
        } else if (cause instanceof IOException io) {
            return new UncheckedIOException(io);
        } else if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(cause);
    }

    /** The credentials of a request: the values of its credential headers (without an auth scheme) and a key parameter. */
    private static List<String> credentials(HttpRequest request) {
        List<String> answer = new ArrayList<>();
        request.headers().forEach((name, values) -> {
            if (name != null && values != null && CREDENTIAL_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                for (String value : values) {
                    int space = value.indexOf(' ');
                    answer.add(space > 0 ? value.substring(space + 1).trim() : value);
                }
            }
        });
        String query = URI.create(request.url()).getRawQuery();
        if (query != null) {
            for (String parameter : query.split("&")) {
                if (parameter.startsWith("key=")) {
                    answer.add(parameter.substring(4));
                }
            }
        }
        return answer;
    }

    private static String mask(String text, List<String> credentials) {
        String answer = text;
        for (String credential : credentials) {
            if (credential.length() >= MIN_CREDENTIAL_LENGTH) {
                answer = answer.replace(credential, "***");
            }
        }
        return answer;
    }

    /** Calls the listener; its failures must not stop the stream's bookkeeping (LangChain4j's clients do the same). */
    private static void tell(ServerSentEventListener listener, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("The stream listener {} failed: {}", listener.getClass().getName(), e.toString());
        }
    }
}
