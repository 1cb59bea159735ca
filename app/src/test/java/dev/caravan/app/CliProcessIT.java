package dev.caravan.app;

import static dev.caravan.app.CaravanCliTest.APPROVAL;
import static dev.caravan.app.CaravanCliTest.HELLO;
import static dev.caravan.app.CaravanCliTest.SLOW;
import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.app.CaravanCliTest.Result;
import dev.caravan.event.CloudEventJson;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The CLI in processes of its own, as a user runs it: killed, interrupted, or two commands at once. */
public class CliProcessIT {

    /** The CLI in a process of its own, as a user runs it. */
    public static Process cliProcess(String... args) throws IOException {
        return cliProcess(List.of(), args);
    }

    /** The CLI in a process of its own with these JVM options (-Dkey=value), stdout and stderr merged. */
    public static Process cliProcess(List<String> jvmOptions, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "java.se", "--add-opens", "java.base/java.lang=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), CaravanCli.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    @Test
    void aRunKilledMidwayIsFinishedByALaterCommandWithoutRedoingRecordedNodes(@TempDir Path dir) throws Exception {
        String data = dir.resolve("state").toString();
        Process doomed = cliProcess("run", SLOW, "--data-dir", data);
        BufferedReader progress = new BufferedReader(
                new InputStreamReader(doomed.getInputStream(), StandardCharsets.UTF_8));
        String runId = null;
        for (String line = progress.readLine(); line != null; line = progress.readLine()) {
            if (line.startsWith("run ")) {
                runId = line.split(" ")[1];
            }
            if (line.contains("think: started")) {
                break;
            }
        }
        assertThat(runId).isNotNull();
        doomed.destroyForcibly(); // SIGKILL while the agent thinks
        doomed.waitFor();

        Result resumed = run("run", SLOW, "--data-dir", data, "--resume", runId, "--json");

        assertThat(resumed.code()).as(resumed.err()).isZero();
        List<CloudEvent> events = resumed.outLines().stream().map(CloudEventJson::parse).toList();
        assertThat(events).anyMatch(e -> e.getType().equals("caravan.run.resumed"));
        assertThat(events).filteredOn(e -> e.getType().equals("caravan.node.started"))
                .extracting(CloudEvent::getSubject).as("the recorded node is not run again").containsExactly("think", "last");
        assertThat(events).filteredOn(e -> e.getType().equals("caravan.run.completed")).singleElement()
                .satisfies(e -> assertThat(new String(e.getData().toBytes(), StandardCharsets.UTF_8))
                        .contains("Thought it through."));
    }

    @Test
    void twoCommandsCannotShareADataDirectory(@TempDir Path dir) throws Exception {
        String data = dir.resolve("state").toString();
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // the first command holds the directory while it waits for an answer at its gate
        CompletableFuture<Result> first = CompletableFuture.supplyAsync(
                () -> run(question -> {
                    asked.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return true;
                }, "", "run", APPROVAL, "--data-dir", data, "-q", "--input", "{\"to\": \"bob\"}"));
        assertThat(asked.await(60, TimeUnit.SECONDS)).isTrue();

        // the second command is another process, as it would be
        Process second = cliProcess("run", HELLO, "--data-dir", data, "--input", "{\"name\": \"Ada\"}");
        String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = second.waitFor();

        release.countDown();
        assertThat(code).as(output).isEqualTo(2);
        assertThat(output).contains("is in use by another caravan command").contains("--ephemeral");
        assertThat(first.get(60, TimeUnit.SECONDS).code()).isZero();
    }

    @Test
    void ctrlCPrintsTheCommandThatResumesTheRunAndExits130(@TempDir Path dir) throws Exception {
        String data = dir.resolve("state").toString();
        Process p = cliProcess("run", SLOW, "--data-dir", data);
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String runId = null;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("run ")) {
                runId = line.split(" ")[1];
            }
            if (line.contains("think: started")) {
                break;
            }
        }
        assertThat(runId).isNotNull();
        assertThat(new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor()).isZero();
        StringBuilder rest = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            rest.append(line).append('\n');
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(rest.toString()).isEqualTo(130);
        String command = "caravan run " + SLOW + " --data-dir " + data + " --resume " + runId;
        assertThat(rest.toString()).contains("caravan: interrupted; run " + runId + " is kept in ")
                .contains("  " + command + "\n");

        Result resumed = run("run", SLOW, "--data-dir", data, "--resume", runId, "-q");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("Thought it through.");
    }

}
