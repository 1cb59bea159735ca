package dev.caravan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.serve.CaravanServer;
import dev.caravan.app.serve.ServeOptions;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Issue 14's figures through {@code caravan serve} in-process (H2 under a temporary folder, the embedded broker and
 * member, the relay on), driven over HTTP by the JDK's client:
 * <ul>
 * <li>{@code -Dbench.mode=runs} [default]: {@code bench.runs} [5000] W1 diamond runs started by
 * {@code POST /api/v1/workflows/run} from {@code bench.clients} [64] concurrent clients; runs/s from the first request
 * until the last run completed;</li>
 * <li>{@code -Dbench.mode=sse}: {@code bench.runs} [300] W2 gate runs, each followed on
 * {@code GET /api/v1/workflows/{id}/events} as Server-Sent Events; the gate is resolved in-process and the time until
 * the client reads {@code caravan.approval.resolved} is the added latency (median and p99).</li>
 * </ul>
 *
 * <pre>java [hazelcast flags] -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   -Dbench.mode=runs dev.caravan.bench.ApiBench</pre>
 */
public final class ApiBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ApiBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = System.getProperty("bench.mode", "runs");
        Path dir = Files.createTempDirectory("caravan-api-bench");
        Path workflows = Files.createDirectories(dir.resolve("workflows"));
        for (String file : List.of("w1-diamond.caravan.yaml", "w2-gate.caravan.yaml")) {
            Files.writeString(workflows.resolve(file), CaravanWorkloads.resource("workloads/" + file));
        }
        int port = freePort();
        try (CaravanServer server = CaravanServer.start(new ServeOptions("127.0.0.1", port, dir.resolve("data"),
                List.of(workflows), Map.of("caravan.kafka.embedded.port", "0"), dir),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            if (mode.equals("sse")) {
                sse(server, http, Integer.getInteger("bench.runs", 300));
            } else {
                runs(server, http, Integer.getInteger("bench.runs", 5_000), Integer.getInteger("bench.clients", 64));
            }
        }
        System.exit(0);
    }

    private static void runs(CaravanServer server, HttpClient http, int runs, int clients) throws Exception {
        String body = JSON.writeValueAsString(Map.of("workflow", "w1-diamond", "input", Map.of("text",
                Workloads.INPUT)));
        // warm-up
        drive(server, http, body, Math.min(1_000, runs), clients);
        long begin = System.nanoTime();
        List<String> ids = drive(server, http, body, runs, clients);
        long posted = System.nanoTime();
        for (String id : ids) {
            while (true) {
                RunRecord r = server.engine().store().get(id);
                if (r != null && r.status() == RunStatus.COMPLETED) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(1);
            }
        }
        long done = System.nanoTime();
        System.out.printf("api runs: %d diamond runs from %d clients: all accepted in %.2f s, all completed in %.2f s:"
                          + " %.0f runs/s%n", runs, clients, (posted - begin) / 1e9, (done - begin) / 1e9,
                runs / ((done - begin) / 1e9));
    }

    /** Posts {@code runs} starts, {@code clients} at a time; the run ids. */
    private static List<String> drive(CaravanServer server, HttpClient http, String body, int runs, int clients)
            throws Exception {
        Semaphore slots = new Semaphore(clients);
        ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        URI uri = URI.create(server.url() + "/api/v1/workflows/run");
        for (int i = 0; i < runs; i++) {
            slots.acquire();
            http.sendAsync(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                        try {
                            if (e != null || r.statusCode() != 202) {
                                failures.add(e != null ? e.toString() : r.statusCode() + " " + r.body());
                            } else {
                                ids.add(JSON.readTree(r.body()).get("runId").asText());
                            }
                        } catch (Exception parse) {
                            failures.add(parse.toString());
                        } finally {
                            slots.release();
                        }
                    });
        }
        slots.acquire(clients);
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " starts failed, e.g. " + failures.peek());
        }
        return new ArrayList<>(ids);
    }

    private static void sse(CaravanServer server, HttpClient http, int runs) throws Exception {
        long[] latencies = new long[runs];
        String body = JSON.writeValueAsString(Map.of("workflow", "w2-gate", "input", Map.of()));
        for (int i = 0; i < runs; i++) {
            HttpResponse<String> started = http.send(HttpRequest.newBuilder(
                            URI.create(server.url() + "/api/v1/workflows/run")).header("Content-Type",
                            "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String id = JSON.readTree(started.body()).get("runId").asText();
            while (server.engine().store().get(id).status() != RunStatus.AWAITING_APPROVAL) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            HttpResponse<Stream<String>> stream = http.send(HttpRequest.newBuilder(
                            URI.create(server.url() + "/api/v1/workflows/" + id + "/events"))
                    .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
            long[] resolvedAt = new long[1];
            CompletableFuture<Long> seen = new CompletableFuture<>();
            Thread reader = new Thread(() -> readUntilClosed(stream.body(), line -> {
                if (line.startsWith("data:") && !seen.isDone()) {
                    try {
                        JsonNode event = JSON.readTree(line.substring(5));
                        if (event.get("type").asText().equals("caravan.approval.requested")) {
                            // the history is read: the stream is live from here
                            // on another thread: the resolution goes on with the run on the thread that asks for it
                            resolvedAt[0] = System.nanoTime();
                            CompletableFuture.runAsync(() -> server.engine().runs()
                                    .resolveGate(id, "ok", true, "bench", null));
                        } else if (event.get("type").asText().equals("caravan.approval.resolved")) {
                            seen.complete(System.nanoTime());
                        }
                    } catch (Exception e) {
                        seen.completeExceptionally(e);
                    }
                }
            }));
            reader.start();
            latencies[i] = seen.get(30, TimeUnit.SECONDS) - resolvedAt[0];
            stream.body().close();
            reader.join(5_000);
        }
        Arrays.sort(latencies);
        System.out.printf("sse: %d gate resolutions to the client's approval.resolved event: median %.2f ms, p99 %.2f"
                          + " ms (resolving the gate in-process included)%n", runs, latencies[runs / 2] / 1e6,
                latencies[(int) (runs * 0.99)] / 1e6);
    }

    /** Reads lines until the stream ends, or is closed here once the event was seen. */
    private static void readUntilClosed(Stream<String> lines, Consumer<String> each) {
        try {
            lines.forEach(each);
        } catch (UncheckedIOException closed) {
            // the bench closed the stream: done
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
