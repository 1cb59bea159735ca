package dev.caravan.test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;

/**
 * An HTTP (or HTTPS) server on 127.0.0.1 at a free port, for tests whose calls must leave the process: a handler
 * per path, stopped by {@link #close()}, or after the tests of the class when registered on a static field with
 * {@code @RegisterExtension}.
 */
public final class LocalHttpServer implements AfterAllCallback, AutoCloseable {

    private final HttpServer server;
    private final String scheme;

    private LocalHttpServer(HttpServer server, String scheme) {
        this.server = server;
        this.scheme = scheme;
    }

    /** A server answering requests under {@code path} with the handler. */
    public static LocalHttpServer start(String path, HttpHandler handler) {
        try {
            return started(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0), "http", path, handler);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start a server on 127.0.0.1", e);
        }
    }

    /** An HTTPS server with the keys of the SSL context, answering requests under {@code path} with the handler. */
    public static LocalHttpServer startHttps(SSLContext keys, String path, HttpHandler handler) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(keys));
            return started(server, "https", path, handler);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start a server on 127.0.0.1", e);
        }
    }

    private static LocalHttpServer started(HttpServer server, String scheme, String path, HttpHandler handler) {
        server.createContext(path, handler);
        server.start();
        return new LocalHttpServer(server, scheme);
    }

    /** Answers 200 with the body, of the given content type, and ends the exchange. */
    public static void reply(HttpExchange exchange, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
        exchange.close();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The server's root URL, without a trailing slash: {@code http://127.0.0.1:PORT}. */
    public String url() {
        return scheme + "://127.0.0.1:" + port();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
