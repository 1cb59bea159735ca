package dev.caravan.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Calls the REST API of a running {@code caravan serve} (see docs/api.md): JSON in and out, the API key as a bearer
 * token, and the server's problems turned into {@link UserException}s that say what went wrong.
 */
final class ServerClient {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    /** One answer: its status and body. */
    record Answer(int status, String body) {

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (JsonProcessingException e) {
                throw new UserException(ExitCodes.FAILED, "the server answered HTTP " + status
                        + " with a body that is not JSON");
            }
        }

        /** Prints the body as it is with {@code --json}, else the line made for a person. */
        void print(PrintStream out, boolean json, String human) {
            out.println(json ? TerminalText.json(body) : TerminalText.safe(human));
        }

        boolean ok() {
            return status < 400;
        }

        ServerProblem problem() {
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(this.body);
            } catch (JsonProcessingException e) {
                body = null;
            }
            return ServerProblem.of(status, body);
        }
    }

    private final URI base;
    private final String apiKey;
    private final HttpClient http;

    ServerClient(ServerOptions options) {
        String url = options.server == null ? ServerOptions.DEFAULT_SERVER : options.server.strip();
        try {
            URI uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            this.base = uri;
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, "--server '" + TerminalText.safe(url)
                    + "' is not a server URL such as " + ServerOptions.DEFAULT_SERVER);
        }
        this.apiKey = options.apiKey == null || options.apiKey.isBlank() ? null : options.apiKey.strip();
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    }

    URI base() {
        return base;
    }

    /** A path segment (run id, node key, lane id, name) escaped for a URL. */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    Answer get(String path) {
        return checked(exchange(request(path).GET()));
    }

    Answer post(String path, Object body) {
        return checked(exchange(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : Json.write(body)))));
    }

    /** A PUT whose refusal the caller reads itself. */
    Answer putYaml(String path, String yaml) {
        return exchange(request(path).header("Content-Type", "application/yaml")
                .PUT(HttpRequest.BodyPublishers.ofString(yaml)));
    }

    /** Opens the Server-Sent Events stream of a path, resuming after {@code lastEventId} when it is over 0. */
    HttpResponse<InputStream> stream(String path, long lastEventId) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(base.getPath() + path))
                .header("Accept", "text/event-stream");
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        if (lastEventId > 0) {
            b.header("Last-Event-ID", String.valueOf(lastEventId));
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The problem of a refused answer, as the CLI reports it; a hint about the key for 401. */
    UserException refusal(Answer answer) {
        ServerProblem p = answer.problem();
        String hint = answer.status() == 401
                ? (apiKey == null ? "; give an API key with --api-key or CARAVAN_API_KEY"
                        : "; check the key given with --api-key or CARAVAN_API_KEY")
                : "";
        return new UserException(p.exitCode(), TerminalText.safe(p.message()) + hint);
    }

    /** What the CLI says when nothing answers at the server's address. */
    UserException unreachable(Exception cause) {
        return new UserException(ExitCodes.UNREACHABLE, "cannot reach a caravan server at " + base
                + " (" + (cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException
                        ? "connection refused or timed out" : cause.getClass().getSimpleName()) + "). Start one with "
                + "'caravan serve --workflows DIR', or name another with --server URL or CARAVAN_SERVER.", cause);
    }

    private Answer checked(Answer answer) {
        if (!answer.ok()) {
            throw refusal(answer);
        }
        return answer;
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(base.getPath() + path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private Answer exchange(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException(ExitCodes.INTERRUPTED, "interrupted", e);
        }
    }
}
