package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code caravan serve} in-process on a free port, with its embedded broker (on a free port too) and member, driven
 * over HTTP as a client would.
 */
class ServerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BODY = 64 * 1024;

    @TempDir
    static Path dir;

    static CaravanServer server;
    static String startOutput;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(ServerIT.class.getResource("/serve/workflows").toURI());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        server = CaravanServer.start(new ServeOptions("127.0.0.1", freePort(), dir.resolve("data"), List.of(workflows),
                Map.of("caravan.kafka.embedded.port", "0", CaravanServer.MAX_BODY_BYTES, String.valueOf(MAX_BODY)),
                workflows.getParent()), new PrintStream(err, true, StandardCharsets.UTF_8));
        startOutput = err.toString(StandardCharsets.UTF_8);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void startsARunAndServesItsOutput() throws Exception {
        HttpResponse<String> started = post("/api/v1/workflows/run",
                "{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}, \"correlationId\": \"c-1\"}", Map.of());
        assertThat(started.statusCode()).isEqualTo(202);
        assertThat(started.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        JsonNode body = JSON.readTree(started.body());
        String runId = body.get("runId").asText();
        assertThat(body.get("status").asText()).isIn("running", "completed");
        assertThat(body.at("/links/self").asText()).isEqualTo("/api/v1/workflows/" + runId);
        assertThat(body.at("/links/events").asText()).isEqualTo("/api/v1/workflows/" + runId + "/events");

        JsonNode run = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> JSON.readTree(get("/api/v1/workflows/" + runId).body()),
                        r -> r.get("status").asText().equals("completed"));
        assertThat(run.get("runId").asText()).isEqualTo(runId);
        assertThat(run.get("workflow").asText()).isEqualTo("hello");
        assertThat(run.get("output").asText()).isEqualTo("Hello, Ada! Welcome aboard the caravan.");
        assertThat(run.at("/input/name").asText()).isEqualTo("Ada");
        assertThat(run.get("correlationId").asText()).isEqualTo("c-1");
        assertThat(run.at("/nodes/greet/status").asText()).isEqualTo("completed");
        assertThat(run.at("/nodes/greet/output").asText()).isEqualTo("Hello, Ada! Welcome aboard the caravan.");
        assertThat(run.get("createdAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(run.get("updatedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }

    @Test
    void anIdempotencyKeyReturnsTheSameRunAndRefusesAnotherBody() throws Exception {
        String key = UUID.randomUUID().toString();
        String request = "{\"workflow\": \"hello\", \"input\": {\"name\": \"Bo\"}}";
        HttpResponse<String> first = post("/api/v1/workflows/run", request, Map.of("Idempotency-Key", key));
        // the same body with its members in another order and other spacing is the same request
        HttpResponse<String> again = post("/api/v1/workflows/run", "{\"input\":{\"name\":\"Bo\"},\"workflow\":\"hello\"}",
                Map.of("Idempotency-Key", key));
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(JSON.readTree(again.body()).get("runId").asText())
                .isEqualTo(JSON.readTree(first.body()).get("runId").asText());

        HttpResponse<String> other = post("/api/v1/workflows/run",
                "{\"workflow\": \"hello\", \"input\": {\"name\": \"Cy\"}}", Map.of("Idempotency-Key", key));
        assertProblem(other, 409, "IDEMPOTENCY_CONFLICT");
    }

    @Test
    void refusesAnIdempotencyKeyThatIsNotVisibleAscii() throws Exception {
        assertProblem(post("/api/v1/workflows/run", "{\"workflow\": \"hello\", \"input\": {\"name\": \"Di\"}}",
                Map.of("Idempotency-Key", "k".repeat(256))), 400, "IDEMPOTENCY_KEY_INVALID");
    }

    @Test
    void refusesALaneThatDoesNotExist() throws Exception {
        JsonNode problem = assertProblem(post("/api/v1/workflows/run",
                "{\"workflow\": \"hello\", \"input\": {\"name\": \"Ed\"}, \"lane\": \"nowhere\"}", Map.of()), 404,
                "LANE_NOT_FOUND");
        assertThat(problem.get("detail").asText()).isEqualTo("there is no lane nowhere");
    }

    @Test
    void refusesMalformedJson() throws Exception {
        HttpResponse<String> r = post("/api/v1/workflows/run", "{\"workflow\": \"hello\",", Map.of());
        JsonNode problem = assertProblem(r, 400, "MALFORMED_JSON");
        assertThat(problem.get("detail").asText()).contains("line 1");
        assertProblem(post("/api/v1/workflows/run", "{\"workflow\": \"hello\"} trailing", Map.of()), 400,
                "MALFORMED_JSON");
        assertProblem(post("/api/v1/workflows/run", "[1, 2]", Map.of()), 400, "REQUEST_INVALID");
        assertProblem(post("/api/v1/workflows/run", "{\"input\": {}}", Map.of()), 400, "REQUEST_INVALID");
    }

    @Test
    void refusesABodyThatIsNotJson() throws Exception {
        // what curl -d sends unless told otherwise
        JsonNode problem = assertProblem(post("/api/v1/workflows/run", "{\"workflow\": \"hello\"}",
                Map.of("Content-Type", "application/x-www-form-urlencoded")), 415, "UNSUPPORTED_MEDIA_TYPE");
        assertThat(problem.get("detail").asText()).contains("Content-Type: application/json");
    }

    @Test
    void refusesABodyOverTheCap() throws Exception {
        String big = "{\"workflow\": \"hello\", \"input\": {\"name\": \"" + "x".repeat((int) MAX_BODY) + "\"}}";
        assertProblem(post("/api/v1/workflows/run", big, Map.of()), 413, "BODY_TOO_LARGE");
    }

    @Test
    void refusesAnUnknownWorkflow() throws Exception {
        JsonNode problem = assertProblem(post("/api/v1/workflows/run", "{\"workflow\": \"nope\"}", Map.of()), 404,
                "WORKFLOW_NOT_FOUND");
        assertThat(problem.get("detail").asText()).contains("nope");
    }

    @Test
    void refusesInputAgainstTheSchemaListingEachViolation() throws Exception {
        JsonNode problem = assertProblem(post("/api/v1/workflows/run",
                "{\"workflow\": \"hello\", \"input\": {\"name\": 42}}", Map.of()), 422, "INPUT_INVALID");
        assertThat(problem.get("errors").isArray()).isTrue();
        assertThat(problem.get("errors").size()).isGreaterThanOrEqualTo(1);
        assertThat(problem.get("errors").get(0).asText()).contains("name");
    }

    @Test
    void answersUnknownRunsAndPathsWithProblems() throws Exception {
        assertProblem(get("/api/v1/workflows/" + UUID.randomUUID()), 404, "RUN_NOT_FOUND");
        assertProblem(get("/api/v1/nothing-here"), 404, "NOT_FOUND");
        HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/workflows"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertProblem(wrongMethod, 405, "METHOD_NOT_ALLOWED");
    }

    @Test
    void listsRunsNewestFirstAPageAtATime() throws Exception {
        List<String> ids = new ArrayList<>();
        for (String name : List.of("Pa", "Qi", "Ro")) {
            ids.add(JSON.readTree(post("/api/v1/workflows/run", "{\"workflow\": \"hello\", \"input\": {\"name\": \""
                    + name + "\"}}", Map.of()).body()).get("runId").asText());
        }
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> get("/api/v1/workflows/" + id).body().contains("\"status\":\"completed\""));
        }

        JsonNode first = JSON.readTree(get("/api/v1/runs?status=completed&workflow=hello&limit=2").body());
        assertThat(first.get("runs")).hasSize(2);
        assertThat(first.get("runs").get(0).get("status").asText()).isEqualTo("completed");
        assertThat(first.get("next").isTextual()).isTrue();
        List<String> seen = new ArrayList<>();
        // as instants: ISO text of a time on a whole second has no fraction, and sorts after a later one that has
        List<Instant> created = new ArrayList<>();
        first.get("runs").forEach(r -> {
            seen.add(r.get("runId").asText());
            created.add(Instant.parse(r.get("createdAt").asText()));
        });
        String cursor = first.get("next").asText();
        while (cursor != null) {
            JsonNode page = JSON.readTree(get("/api/v1/runs?status=completed&workflow=hello&limit=2&after="
                    + URLEncoder.encode(cursor, StandardCharsets.UTF_8)).body());
            assertThat(page.has("runs")).as(page.toString()).isTrue();
            page.get("runs").forEach(r -> {
                seen.add(r.get("runId").asText());
                created.add(Instant.parse(r.get("createdAt").asText()));
            });
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        }
        assertThat(seen).containsAll(ids).doesNotHaveDuplicates();
        assertThat(seen.subList(0, 3)).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(created).as("newest first").isSortedAccordingTo(Comparator.reverseOrder());

        assertProblem(get("/api/v1/runs?status=done"), 400, "REQUEST_INVALID");
        assertProblem(get("/api/v1/runs?limit=0"), 400, "REQUEST_INVALID");
        assertProblem(get("/api/v1/runs?after=nonsense"), 400, "REQUEST_INVALID");
    }

    @Test
    void listsTheDeployedWorkflows() throws Exception {
        HttpResponse<String> r = get("/api/v1/workflows");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode list = JSON.readTree(r.body()).get("workflows");
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("name").asText()).isEqualTo("hello");
        assertThat(list.get(0).get("hash").asText()).isNotBlank();
    }

    @Test
    void reportsAnInvalidWorkflowFileAndSkipsIt() {
        assertThat(startOutput).containsPattern("broken\\.caravan\\.yaml:\\d+:\\d+: .*nowhere");
        assertThat(startOutput).contains("caravan: skipped ");
        assertThat(server.deployedWorkflows()).containsExactly("hello");
    }

    @Test
    void saysWhatItStarted() {
        assertThat(startOutput).contains("API on " + server.url() + "/api/v1");
        assertThat(startOutput).contains("kafka: embedded broker on 127.0.0.1:" + server.kafka().port());
        assertThat(startOutput).contains("hazelcast: member ");
        assertThat(startOutput).contains("workflows: 1 (hello)");
    }

    @Test
    void reportsHealthOfTheMemberAndTheBroker() throws Exception {
        HttpResponse<String> health = get("/observe/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("UP");
        assertThat(get("/observe/health/ready").statusCode()).isEqualTo(200);
        assertThat(get("/observe/health/live").statusCode()).isEqualTo(200);
        String full = get("/observe/health?exposureLevel=full").body();
        assertThat(full).contains("hazelcast-member").contains("kafka-broker").contains("event-relay");
    }

    @Test
    void servesPrometheusMetricsOfTheRoutesAndTheJvm() throws Exception {
        HttpResponse<String> started = post("/api/v1/workflows/run", "{\"workflow\": \"hello\", \"input\": "
                + "{\"name\": \"Metrics\"}}", Map.of());
        assertThat(started.statusCode()).isEqualTo(202);
        Pattern helloCounted = Pattern.compile("camel_exchanges_total\\{[^}]*routeId=\"caravan-workflow-hello\"} [1-9]");

        // the workflow's route is counted once its exchange is done
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/observe/metrics").body(), body -> helloCounted.matcher(body).find());
        HttpResponse<String> metrics = get("/observe/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/plain"));
        assertThat(metrics.body()).contains("# TYPE jvm_memory_used_bytes gauge").contains("process_cpu_usage")
                .contains("camel_route_policy_seconds_count");
        // the relay's own: its backlog to alert on, and what Kafka acknowledged (the run above, at least)
        assertThat(metrics.body()).contains("# TYPE caravan_events_backlog gauge")
                .contains("caravan_events_waiting_seconds").contains("caravan_platform_events_lost_total");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/observe/metrics").body(),
                        body -> Pattern.compile("(?m)^caravan_events_published_total [1-9]").matcher(body).find());
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    static JsonNode assertProblem(HttpResponse<String> r, int status, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/problem+json"));
        JsonNode problem = JSON.readTree(r.body());
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("code").asText()).isEqualTo(code);
        assertThat(problem.get("type").asText()).isEqualTo("urn:caravan:problem:" + code.toLowerCase().replace('_', '-'));
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(problem.get("detail").asText()).isNotBlank();
        return problem;
    }

    static HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (!headers.containsKey("Content-Type")) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
