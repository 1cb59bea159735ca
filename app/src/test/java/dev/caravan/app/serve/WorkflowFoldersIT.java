package dev.caravan.app.serve;

import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A workflow file changed while the server runs is deployed again; a broken change keeps the running version. */
class WorkflowFoldersIT {

    @Test
    void aChangedWorkflowIsDeployedAgainAndABrokenOneKeepsTheRunningVersion(@TempDir Path dir) throws Exception {
        Path workflows = Files.createDirectories(dir.resolve("workflows"));
        Path file = workflows.resolve("hello.caravan.yaml");
        String original = Files.readString(Path.of(WorkflowFoldersIT.class.getResource(
                "/serve/workflows/hello.caravan.yaml").toURI()));
        Files.writeString(file, original);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (CaravanServer server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(),
                dir.resolve("data"), List.of(workflows), Map.of("caravan.kafka.embedded.port", "0"), dir),
                new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertThat(output(server)).isEqualTo("Hello, Ada! Welcome aboard the caravan.");

            Files.writeString(file, original.replace("Hello, {prompt}! Welcome aboard the caravan.",
                    "Hi {prompt}, and welcome."));
            await().atMost(Duration.ofSeconds(20)).until(() -> output(server).equals("Hi Ada, and welcome."));
            // said once the new version is deployed, so a run may get it a moment before the line is written
            await().atMost(Duration.ofSeconds(5)).until(() -> err.toString(StandardCharsets.UTF_8)
                    .contains("caravan: deployed hello again from "));

            // a broken version is reported where it is broken, and the one that runs stays
            Files.writeString(file, original.replace("model: scripted", "model: [scripted"));
            await().atMost(Duration.ofSeconds(20)).until(() -> err.toString(StandardCharsets.UTF_8)
                    .contains("caravan: kept the running version of "));
            assertThat(err.toString(StandardCharsets.UTF_8)).containsPattern("hello\\.caravan\\.yaml:\\d+:\\d+: ");
            assertThat(output(server)).isEqualTo("Hi Ada, and welcome.");
        }
    }

    private static Object output(CaravanServer server) {
        RunRecord run = server.engine().runs().run(StartRequest.of("hello", Map.of("name", "Ada")));
        return run.output();
    }
}
