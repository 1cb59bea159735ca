package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.event.RunEvent;
import dev.caravan.event.TraceParent;
import dev.caravan.state.ValueStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code GET /api/v1/workflows/{runId}/events} on a server with API keys and its embedded broker (so events move from
 * the runs' outboxes to their event logs as the relay publishes them): the JSON pages, and the Server-Sent Events
 * stream read over a real connection, dropped and resumed.
 */
class RunEventsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACME_KEY = "acme-events-key";
    private static final String OTHER_KEY = "other-events-key";
    private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static CaravanServer server;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(RunEventsIT.class.getResource("/serve/workflows").toURI());
        Path gated = Path.of(RunEventsIT.class.getResource("/serve/gated").toURI());
        server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                List.of(workflows, gated), Map.of(
                        "caravan.kafka.embedded.port", "0",
                        CaravanServer.EVENTS_HEARTBEAT_MILLIS, "300",
                        ApiKeys.PROPERTY, "acme:" + ApiKeys.hash(ACME_KEY) + ", other:" + ApiKeys.hash(OTHER_KEY)),
                workflows.getParent()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void servesACompletedRunsEventsAsCloudEventsAPageAtATime() throws Exception {
        String runId = completedHelloRun("Ada");
        HttpResponse<String> r = send(get(events(runId)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("Authorization"));
        JsonNode page = JSON.readTree(r.body());
        assertThat(page.get("next").isNull()).isTrue();
        List<JsonNode> all = new ArrayList<>();
        page.get("events").forEach(all::add);
        assertThat(all).hasSizeGreaterThanOrEqualTo(4);
        assertThat(sequences(all)).containsExactlyElementsOf(oneTo(all.size()));
        assertThat(all.get(0).get("type").asText()).isEqualTo("caravan.run.started");
        assertThat(all.get(all.size() - 1).get("type").asText()).isEqualTo("caravan.run.completed");
        assertThat(all).extracting(e -> e.get("type").asText()).contains("caravan.node.started",
                "caravan.node.completed");
        JsonNode first = all.get(0);
        assertThat(first.get("specversion").asText()).isEqualTo("1.0");
        assertThat(first.get("id").asText()).isEqualTo(runId + "-1");
        assertThat(first.get("runid").asText()).isEqualTo(runId);
        assertThat(first.get("tenantid").asText()).isEqualTo("acme");
        assertThat(first.get("source").asText()).isEqualTo("/caravan/workflows/hello");

        // two at a time, following next
        List<JsonNode> paged = new ArrayList<>();
        String next = events(runId) + "?limit=2";
        int pages = 0;
        while (next != null) {
            JsonNode p = JSON.readTree(send(get(next)).body());
            assertThat(p.get("events").size()).isBetween(1, 2);
            p.get("events").forEach(paged::add);
            next = p.get("next").isNull() ? null : p.get("next").asText();
            pages++;
        }
        assertThat(pages).isEqualTo((all.size() + 1) / 2);
        assertThat(paged).isEqualTo(all);

        JsonNode tail = JSON.readTree(send(get(events(runId) + "?after=2&limit=1")).body());
        assertThat(sequences(tail.get("events"))).containsExactly(3L);
        assertThat(tail.get("next").asText()).isEqualTo(events(runId) + "?after=3&limit=1");
        JsonNode past = JSON.readTree(send(get(events(runId) + "?after=" + all.size())).body());
        assertThat(past.get("events")).isEmpty();
        assertThat(past.get("next").isNull()).isTrue();
    }

    @Test
    void aRunStartedWithATraceparentCarriesTheCallersTraceIdOnEveryEventAndAMalformedOneIsIgnored() throws Exception {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        String traceparent = "00-" + trace + "-00f067aa0ba902b7-01";
        String traced = startTraced("/workflows/run", "{\"workflow\": \"hello\", \"input\": {\"name\": \"Tia\"}}",
                traceparent);
        String agent = startTraced("/agent/run", "{\"model\": \"scripted\", \"prompt\": \"Hi\"}", traceparent);
        // ignored as the trace context specification has it: the run starts, in a trace of its own
        String malformed = startTraced("/workflows/run", "{\"workflow\": \"hello\", \"input\": {\"name\": \"Mo\"}}",
                "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01");

        for (String runId : List.of(traced, agent, malformed)) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> run(runId).path("status").asText().equals("completed"));
            List<JsonNode> page = new ArrayList<>();
            JSON.readTree(send(get(events(runId))).body()).get("events").forEach(page::add);
            assertThat(page).hasSizeGreaterThanOrEqualTo(3);
            String runTrace = runId.equals(malformed) ? null : trace;
            // the caller's trace id; the run's and its nodes' span ids as without one
            assertThat(page).allSatisfy(e -> assertThat(e.get("traceparent").asText())
                    .isEqualTo(TraceParent.of(runId, e.path("node").textValue(), runTrace)));
        }
        assertThat(JSON.readTree(send(get(events(malformed))).body()).at("/events/0/traceparent").asText())
                .startsWith("00-" + malformed.replace("-", "") + "-");
    }

    @Test
    void refusesPagesItCannotServe() throws Exception {
        String runId = completedHelloRun("Bo");
        for (String query : List.of("?after=-1", "?after=two", "?limit=0", "?limit=1001", "?limit=x",
                "?after=1&after=2")) {
            ServerIT.assertProblem(send(get(events(runId) + query)), 400, "REQUEST_INVALID");
        }
        ServerIT.assertProblem(send(get(events(UUID.randomUUID().toString()))), 404, "RUN_NOT_FOUND");
        ServerIT.assertProblem(send(get(events(runId)).setHeader("Authorization", "Bearer " + OTHER_KEY)), 404,
                "RUN_NOT_FOUND");
        ServerIT.assertProblem(send(HttpRequest.newBuilder(URI.create(server.url() + events(runId))).GET()), 401,
                "UNAUTHORIZED");
        ServerIT.assertProblem(send(get(events(runId)).method("DELETE", HttpRequest.BodyPublishers.noBody())), 405,
                "METHOD_NOT_ALLOWED");
    }

    @Test
    void refusesStreamsItCannotServeWithProblems() throws Exception {
        String runId = completedHelloRun("Cy");
        ServerIT.assertProblem(send(stream(UUID.randomUUID().toString())), 404, "RUN_NOT_FOUND");
        ServerIT.assertProblem(send(stream(runId).setHeader("Authorization", "Bearer " + OTHER_KEY)), 404,
                "RUN_NOT_FOUND");
        ServerIT.assertProblem(send(HttpRequest.newBuilder(URI.create(server.url() + events(runId)))
                .header("Accept", "text/event-stream").GET()), 401, "UNAUTHORIZED");
        ServerIT.assertProblem(send(stream(runId).header("Last-Event-ID", "later")), 400, "REQUEST_INVALID");
        ServerIT.assertProblem(send(HttpRequest.newBuilder(URI.create(server.url() + events(runId) + "?after=-5"))
                .header("Authorization", "Bearer " + ACME_KEY).header("Accept", "text/event-stream").GET()), 400,
                "REQUEST_INVALID");
    }

    @Test
    void streamsACompletedRunAndResumesAfterTheLastEventIdWithoutGapOrDuplicate() throws Exception {
        String runId = completedHelloRun("Di");
        List<JsonNode> page = new ArrayList<>();
        JSON.readTree(send(get(events(runId))).body()).get("events").forEach(page::add);
        int n = page.size();

        assertTimeoutPreemptively(STREAM_TIMEOUT, () -> {
            List<SseEvent> whole;
            try (EventStream s = open(stream(runId))) {
                assertThat(s.response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                        .startsWith("text/event-stream"));
                assertThat(s.response.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("Authorization"));
                whole = s.readToEnd();
            }
            assertThat(whole).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(n));
            for (int i = 0; i < n; i++) {
                assertThat(whole.get(i).type()).isEqualTo(page.get(i).get("type").asText());
                assertThat(whole.get(i).data()).isEqualTo(page.get(i));
            }

            int k = 2;
            List<SseEvent> seen = new ArrayList<>();
            try (EventStream s = open(stream(runId))) {
                for (int i = 0; i < k; i++) {
                    seen.add(s.next());
                }
            }
            try (EventStream s = open(stream(runId).header("Last-Event-ID", String.valueOf(k)))) {
                seen.addAll(s.readToEnd());
            }
            assertThat(seen).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(n));

            // ?after= starts there too, as for a client that cannot set headers
            try (EventStream s = open(HttpRequest.newBuilder(URI.create(server.url() + events(runId) + "?after="
                    + (n - 1))).header("Authorization", "Bearer " + ACME_KEY).header("Accept", "text/event-stream"))) {
                assertThat(s.readToEnd()).extracting(SseEvent::id).containsExactly((long) n);
            }
        });
    }

    @Test
    void showsLargeValuesThemselvesNotTheirReferences() throws Exception {
        String name = "N".repeat(40_000); // over the 16 KiB a record holds inline
        String runId = completedHelloRun(name);
        assertThat(server.engine().store().events(runId, 0, 1).get(0).data())
                .as("the store holds a reference").matches(ValueStore::entriesHoldReferences);
        JsonNode started = JSON.readTree(send(get(events(runId) + "?limit=1")).body()).get("events").get(0);
        assertThat(started.get("type").asText()).isEqualTo("caravan.run.started");
        assertThat(started.at("/data/input/name").asText()).isEqualTo(name);
        assertTimeoutPreemptively(STREAM_TIMEOUT, () -> {
            try (EventStream s = open(stream(runId))) {
                List<SseEvent> all = s.readToEnd();
                assertThat(all.get(0).data()).isEqualTo(started);
                assertThat(all.get(all.size() - 1).data().at("/data/output").asText()).contains(name);
                assertThat(all).extracting(e -> e.data().toString()).noneMatch(d -> d.contains("$ref"));
            }
            // and as they are made: the events after the gate come while the stream is open
            String gated = startRun("approval", "{\"to\": \"" + name + "\"}");
            try (EventStream s = open(stream(gated))) {
                List<SseEvent> all = new ArrayList<>(s.readUntil(e -> e.type().equals("caravan.run.paused")));
                server.engine().runs().resolveGate(gated, "approve", true, "tester", null).join();
                all.addAll(s.readToEnd());
                assertThat(all).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(all.size()));
                assertThat(all.get(all.size() - 1).data().at("/data/output/text").asText()).contains(name);
                assertThat(all).extracting(e -> e.data().toString()).noneMatch(d -> d.contains("$ref"));
            }
        });
    }

    @Test
    void keepsTheStreamOpenWhileTheRunWaitsAtAGateAndEndsAfterItCompletes() throws Exception {
        String runId = startRun("approval", "{\"to\": \"Ed\"}");
        assertTimeoutPreemptively(STREAM_TIMEOUT, () -> {
            try (EventStream s = open(stream(runId))) {
                List<SseEvent> got = new ArrayList<>(s.readUntil(e -> e.type().equals("caravan.run.paused")));
                assertThat(got).extracting(SseEvent::type).contains("caravan.approval.requested");
                // the run waits and the stream stays: keep-alive comments come while no event does
                int before = s.keepAlives;
                s.awaitKeepAlive();
                assertThat(s.keepAlives).isGreaterThan(before);
                assertThat(run(runId).get("status").asText()).isEqualTo("awaiting_approval");

                server.engine().runs().resolveGate(runId, "approve", true, "tester", "fine").join();
                got.addAll(s.readToEnd());
                assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(got.size()));
                assertThat(got.get(got.size() - 1).type()).isEqualTo("caravan.run.completed");
                assertThat(got).extracting(SseEvent::type).contains("caravan.approval.resolved");
            }
        });
        assertThat(run(runId).get("status").asText()).isEqualTo("completed");
    }

    @Test
    void resumesALiveRunWithTheEventsMadeWhileTheClientWasAway() throws Exception {
        String runId = startRun("approval", "{\"to\": \"Flo\"}");
        assertTimeoutPreemptively(STREAM_TIMEOUT, () -> {
            List<SseEvent> seen = new ArrayList<>();
            try (EventStream s = open(stream(runId))) {
                seen.addAll(s.readUntil(e -> e.type().equals("caravan.approval.requested")));
            }
            // the gate is resolved while nobody listens: the events it makes wait in the store
            server.engine().runs().resolveGate(runId, "approve", true, "tester", null).join();
            try (EventStream s = open(stream(runId).header("Last-Event-ID", String.valueOf(seen.size())))) {
                seen.addAll(s.readToEnd());
            }
            assertThat(seen).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(seen.size()));
            assertThat(seen.get(seen.size() - 1).type()).isEqualTo("caravan.run.completed");
            List<JsonNode> page = new ArrayList<>();
            JSON.readTree(send(get(events(runId))).body()).get("events").forEach(page::add);
            assertThat(seen).extracting(SseEvent::data).isEqualTo(page);
        });
    }

    @Test
    void followsARunThroughTheStoreWhenItsEventsDoNotReachThisMembersBusAndLetsGoOfClientsThatLeft()
            throws Exception {
        // a member that does not execute the run hears none of its events on its bus: what it sends, it read
        AtomicInteger listening = new AtomicInteger();
        Function<Consumer<RunEvent>, AutoCloseable> silentBus = subscriber -> {
            listening.incrementAndGet();
            return listening::decrementAndGet;
        };
        Vertx vertx = Vertx.vertx();
        try {
            String runId = startRun("approval", "{\"to\": \"Gus\"}");
            HttpServer member = vertx.createHttpServer().requestHandler(request -> new RunEventStream(vertx,
                    request.response(), server.engine().store(), server.engine().values(), silentBus, runId,
                    RunEventsApi.sequence(request.getHeader("Last-Event-ID"), "Last-Event-ID"), Duration.ofMillis(100),
                    Duration.ofSeconds(15)).start());
            int port = member.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).actualPort();
            URI uri = URI.create("http://127.0.0.1:" + port + "/");
            assertTimeoutPreemptively(STREAM_TIMEOUT, () -> {
                List<SseEvent> got = new ArrayList<>();
                try (EventStream s = open(HttpRequest.newBuilder(uri))) {
                    got.addAll(s.readUntil(e -> e.type().equals("caravan.run.paused")));
                    assertThat(listening).hasValue(1);
                }
                // the client went away: the stream stops listening
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(listening).hasValue(0));

                try (EventStream s = open(HttpRequest.newBuilder(uri).header("Last-Event-ID",
                        String.valueOf(got.size())))) {
                    server.engine().runs().resolveGate(runId, "approve", true, "tester", null).join();
                    got.addAll(s.readToEnd());
                }
                assertThat(got).extracting(SseEvent::id).containsExactlyElementsOf(oneTo(got.size()));
                assertThat(got.get(got.size() - 1).type()).isEqualTo("caravan.run.completed");
                assertThat(listening).hasValue(0);
            });
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** One event of a stream: its id (the sequence number), its type, and its data (the CloudEvent). */
    record SseEvent(long id, String type, JsonNode data) {
    }

    /** A Server-Sent Events response read line by line; closing it drops the connection. */
    static final class EventStream implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BufferedReader lines;
        int keepAlives;

        EventStream(HttpResponse<InputStream> response) {
            this.response = response;
            this.lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        /** The next event, or null when the server ended the stream. */
        SseEvent next() throws IOException {
            Long id = null;
            String type = null;
            String data = null;
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        assertThat(id).as("every event has an id").isNotNull();
                        return new SseEvent(id, type, JSON.readTree(data));
                    }
                } else if (line.startsWith(":")) {
                    assertThat(line).isEqualTo(": keep-alive");
                    keepAlives++;
                } else if (line.startsWith("id: ")) {
                    id = Long.parseLong(line.substring(4));
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    assertThat(data).as("one data line per event").isNull();
                    data = line.substring(6);
                } else {
                    throw new AssertionError("unexpected line in the stream: " + line);
                }
            }
            return null;
        }

        List<SseEvent> readUntil(Predicate<SseEvent> last) throws IOException {
            List<SseEvent> out = new ArrayList<>();
            SseEvent e;
            do {
                e = next();
                assertThat(e).as("the stream ended before the event awaited").isNotNull();
                out.add(e);
            } while (!last.test(e));
            return out;
        }

        List<SseEvent> readToEnd() throws IOException {
            List<SseEvent> out = new ArrayList<>();
            for (SseEvent e = next(); e != null; e = next()) {
                out.add(e);
            }
            return out;
        }

        /** Reads until a keep-alive comment arrives; no event may come meanwhile. */
        void awaitKeepAlive() throws IOException {
            int before = keepAlives;
            String line;
            while (keepAlives == before && (line = lines.readLine()) != null) {
                if (line.startsWith(":")) {
                    keepAlives++;
                } else {
                    assertThat(line).as("nothing but keep-alives while the run waits").isEmpty();
                }
            }
        }

        @Override
        public void close() throws IOException {
            lines.close();
        }
    }

    private static EventStream open(HttpRequest.Builder request) throws Exception {
        HttpResponse<InputStream> r = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        return new EventStream(r);
    }

    private static String completedHelloRun(String name) throws Exception {
        String runId = startRun("hello", "{\"name\": \"" + name + "\"}");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> run(runId).path("status").asText().equals("completed"));
        return runId;
    }

    private static String startRun(String workflow, String input) throws Exception {
        HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/workflows/run"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ACME_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"workflow\": \"" + workflow + "\", \"input\": " + input
                        + "}")));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return JSON.readTree(started.body()).get("runId").asText();
    }

    /** Starts a run with a POST to {@code path} under {@code /api/v1} with a {@code traceparent} header; its id. */
    private static String startTraced(String path, String body, String traceparent) throws Exception {
        HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1" + path))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ACME_KEY)
                .header("traceparent", traceparent)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return JSON.readTree(started.body()).get("runId").asText();
    }

    private static JsonNode run(String runId) throws Exception {
        return JSON.readTree(send(get("/api/v1/workflows/" + runId)).body());
    }

    private static String events(String runId) {
        return "/api/v1/workflows/" + runId + "/events";
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + ACME_KEY)
                .GET();
    }

    private static HttpRequest.Builder stream(String runId) {
        return get(events(runId)).header("Accept", "text/event-stream");
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Long> sequences(Iterable<JsonNode> events) {
        List<Long> out = new ArrayList<>();
        events.forEach(e -> out.add(e.get("sequence").asLong()));
        return out;
    }

    private static List<Long> oneTo(int n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }
}
