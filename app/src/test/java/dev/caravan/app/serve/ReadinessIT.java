package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Readiness, as Kubernetes reads it while a pod starts: {@code /observe/health/ready} answers 200 only once the server
 * serves its workflows. A client polls it while the server starts, and asks for the workflows whenever it says ready.
 */
class ReadinessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    @Test
    void aServerIsNotReadyBeforeItServesItsWorkflows() throws Exception {
        Path workflows = Path.of(ReadinessIT.class.getResource("/serve/workflows").toURI());
        int port = ServerIT.freePort();
        String base = "http://127.0.0.1:" + port;
        CompletableFuture<CaravanServer> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return CaravanServer.start(new ServeOptions("127.0.0.1", port, dir.resolve("data"),
                        List.of(workflows), Map.of("caravan.kafka.embedded.port", "0"), workflows.getParent()),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        List<Integer> answers = new ArrayList<>();
        List<String> workflowsWhenReady = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (workflowsWhenReady.size() < 3 && System.nanoTime() < deadline) {
                Integer status = status(base + "/observe/health/ready");
                if (status != null && (answers.isEmpty() || !answers.get(answers.size() - 1).equals(status))) {
                    answers.add(status);
                }
                if (status != null && status == 200) {
                    HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/workflows"))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    workflowsWhenReady.add(JSON.readTree(list.body()).path("workflows").toString());
                }
                Thread.sleep(5);
            }
        } finally {
            starting.get(120, TimeUnit.SECONDS).close();
        }
        assertThat(answers).as("readiness answers in the order they changed").endsWith(200).doesNotContain(500);
        assertThat(workflowsWhenReady).isNotEmpty()
                .allSatisfy(list -> assertThat(list).as("the workflows listed while ready").contains("\"hello\""));
    }

    /** The status code, or null while nothing listens. */
    private Integer status(String url) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notListening) {
            return null;
        }
    }
}
