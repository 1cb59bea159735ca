package dev.caravan.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongSupplier;

/**
 * A local HTTP server on 127.0.0.1 that answers each request with the next queued response (recorded provider fixtures)
 * and records what it received, and when by the test's clock.
 */
final class ProviderStub implements AutoCloseable {

    /** Where the recorded provider fixtures are on the test classpath (see {@code fixtures/SOURCES.md}). */
    static final String FIXTURES = "/fixtures/llm/";

    /** {@code sent}: how many bytes of the body are written before the stub stalls until it is closed; -1 for all. */
    record Response(int status, String contentType, byte[] body, Map<String, String> headers, int sent) {
        Response(int status, String contentType, byte[] body, Map<String, String> headers) {
            this(status, contentType, body, headers, -1);
        }
    }

    /** A request as received; {@code at} is the test clock's time then, in milliseconds. */
    record Received(String method, String uri, Map<String, List<String>> headers, String body, long at) {
        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    private final HttpServer server;
    private final LongSupplier clock;
    private final ConcurrentLinkedQueue<Response> responses = new ConcurrentLinkedQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    final List<Received> received = new CopyOnWriteArrayList<>();

    ProviderStub(LongSupplier clock) {
        this.clock = clock;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    /** The stub's root URL, without a trailing slash. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    static byte[] fixture(String path) {
        try (InputStream in = ProviderStub.class.getResourceAsStream(FIXTURES + path)) {
            if (in == null) {
                throw new IllegalArgumentException("No fixture " + FIXTURES + path + " on the test classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String fixtureText(String path) {
        return new String(fixture(path), StandardCharsets.UTF_8);
    }

    ProviderStub reply(int status, String contentType, String fixturePath, Map<String, String> headers) {
        responses.add(new Response(status, contentType, fixture(fixturePath), headers));
        return this;
    }

    /** Queues a body the test derived from a fixture (it says how, such as putting in the key a real server echoes). */
    ProviderStub replyBody(int status, String contentType, String body, Map<String, String> headers) {
        responses.add(new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), headers));
        return this;
    }

    /**
     * Queues the response of exchange {@code index} of a recording (a JSON array of request/response pairs, such as
     * {@code anthropic/recorded-*.json}): its status, content type and body.
     */
    ProviderStub recorded(String fixturePath, int index) {
        try {
            JsonNode response = new ObjectMapper()
                    .readTree(fixture(fixturePath)).get(index).path("response");
            return replyBody(response.path("status_code").asInt(), response.path("headers").path("content-type").asText(),
                    response.path("body").toString(), Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Queues a response that sends its headers (with the full length) and the first {@code bytes} of the fixture, then
     * stalls until the stub is closed: a server that stops in the middle of the body.
     */
    ProviderStub stalling(String contentType, String fixturePath, int bytes) {
        responses.add(new Response(200, contentType, fixture(fixturePath), Map.of(), bytes));
        return this;
    }

    ProviderStub json(int status, String fixturePath) {
        return reply(status, "application/json", fixturePath, Map.of());
    }

    ProviderStub sse(String fixturePath) {
        return reply(200, "text/event-stream", fixturePath, Map.of());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    Map.copyOf(exchange.getRequestHeaders()), new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    clock.getAsLong()));
        }
        Response r = responses.poll();
        if (r == null) {
            r = new Response(500, "application/json", "{\"error\":\"the stub has no more responses\"}"
                    .getBytes(StandardCharsets.UTF_8), Map.of());
        }
        exchange.getResponseHeaders().set("Content-Type", r.contentType());
        r.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        // streams are sent chunked, like the real servers
        boolean stream = !r.contentType().startsWith("application/json");
        exchange.sendResponseHeaders(r.status(), stream ? 0 : r.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (r.sent() >= 0) {
                out.write(r.body(), 0, r.sent());
                out.flush();
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            out.write(r.body());
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
