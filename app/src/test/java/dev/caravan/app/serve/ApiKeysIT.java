package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server that takes API keys, pointed at a Kafka it does not start: the key's tenant becomes the run's, and a
 * tenant sees only its own runs.
 */
class ApiKeysIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACME_KEY = "acme-secret-key";
    private static final String OTHER_KEY = "other-secret-key";

    @TempDir
    static Path dir;

    static CaravanServer server;
    static String startOutput;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(ApiKeysIT.class.getResource("/serve/workflows").toURI());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                List.of(workflows), Map.of(
                        CaravanServer.KAFKA_BOOTSTRAP, "127.0.0.1:9",
                        ApiKeys.PROPERTY, "acme:" + ApiKeys.hash(ACME_KEY) + ", other:" + ApiKeys.hash(OTHER_KEY)),
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
    void startsNoBrokerWhenKafkaIsConfigured() {
        assertThat(server.kafka()).isNull();
        assertThat(startOutput).contains("kafka: 127.0.0.1:9 (no broker started)").contains("(2 API keys)");
    }

    @Test
    void refusesRequestsWithoutAValidKeySayingNothingMore() throws Exception {
        JsonNode none = ServerIT.assertProblem(send(get("/api/v1/workflows")), 401, "UNAUTHORIZED");
        JsonNode wrong = ServerIT.assertProblem(send(get("/api/v1/workflows").header("Authorization",
                "Bearer not-a-key")), 401, "UNAUTHORIZED");
        JsonNode basic = ServerIT.assertProblem(send(get("/api/v1/workflows").header("Authorization",
                "Basic " + ACME_KEY)), 401, "UNAUTHORIZED");
        assertThat(wrong.get("detail")).isEqualTo(none.get("detail")).isEqualTo(basic.get("detail"));
        ServerIT.assertProblem(send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/workflows/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"workflow\": \"hello\"}"))), 401, "UNAUTHORIZED");
    }

    @Test
    void runsBelongToTheKeysTenantAndOnlyItSeesThem() throws Exception {
        HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/workflows/run"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ACME_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}}")));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String runId = JSON.readTree(started.body()).get("runId").asText();
        String path = "/api/v1/workflows/" + runId;

        JsonNode run = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> JSON.readTree(send(get(path).header("Authorization", "Bearer " + ACME_KEY)).body()),
                        r -> r.path("status").asText().equals("completed"));
        assertThat(run.get("tenant").asText()).isEqualTo("acme");
        ServerIT.assertProblem(send(get(path).header("Authorization", "Bearer " + OTHER_KEY)), 404, "RUN_NOT_FOUND");
        assertThat(send(get("/api/v1/runs").header("Authorization", "Bearer " + ACME_KEY)).body()).contains(runId);
        assertThat(send(get("/api/v1/runs").header("Authorization", "Bearer " + OTHER_KEY)).body())
                .doesNotContain(runId);
    }

    @Test
    void healthNeedsNoKey() throws Exception {
        assertThat(send(get("/observe/health")).statusCode()).isEqualTo(200);
    }

    @Test
    void metricsNeedNoKeySoThatPrometheusCanScrapeThem() throws Exception {
        assertThat(send(get("/observe/metrics")).statusCode()).isEqualTo(200);
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(server.url() + path)).GET();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
