package dev.caravan.app;

import dev.caravan.app.CaravanCliTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.caravan.app.CaravanCliTest.APPROVAL;
import static dev.caravan.app.CaravanCliTest.HELLO;
import static dev.caravan.app.CaravanCliTest.PARENT;
import static dev.caravan.app.CaravanCliTest.SLOW;
import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** caravan run's options as people use them, and how the command ends when things go wrong. */
class RunOptionsTest {

    // --- --input ---

    @Test
    void refusesInputWithTextAfterTheJson() {
        Result r = run("run", HELLO, "--input", "{\"name\": \"Ada\"} x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("caravan: --input has more text after its JSON value (line 1, column 17); "
                + "expected exactly one JSON value" + System.lineSeparator());
        assertThat(run("run", HELLO, "--input", "{\"name\": \"Ada\"}}").err()).contains("(line 1, column 16)");
        assertThat(run("run", HELLO, "-q", "--input", " {\"name\": \"Ada\"}\n ").code()).as("whitespace is fine").isZero();
    }

    @Test
    void reportsInvalidInputJsonByLineAndColumnWithoutJacksonsSource(@TempDir Path dir) throws IOException {
        Result unclosed = run("run", HELLO, "--input", "{\"name\": \"Ada\"");
        assertThat(unclosed.code()).isEqualTo(2);
        assertThat(unclosed.err()).startsWith("caravan: --input is not valid JSON (line 1, column 15): ")
                .contains("start marker at line 1, column 1").doesNotContain("REDACTED").doesNotContain("Source");

        Path file = dir.resolve("in.json");
        Files.writeString(file, "{\"name\": \"Ada\",\n \"tags\": {\"a\": 1\n");
        Result fromFile = run("run", HELLO, "--input", "@" + file);
        assertThat(fromFile.code()).isEqualTo(2);
        assertThat(fromFile.err()).startsWith("caravan: --input @" + file + " is not valid JSON (line 3, column 1)")
                .contains("start marker at line 2, column 10").doesNotContain("REDACTED");
    }

    // --- --resume ---

    @Test
    void refusesInputWithResume(@TempDir Path dir) {
        Result r = run("run", APPROVAL, "--data-dir", dir.toString(), "--resume", "some-run", "--input", "{}");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("caravan: --input cannot be given with --resume: run some-run goes on with the "
                + "input it started with" + System.lineSeparator());
    }

    // --- --approve / --reject ---

    @Test
    void refusesAnUnknownGateNamingTheGatesThatExist() {
        Result typo = run("run", APPROVAL, "--input", "{\"to\": \"bob\"}", "--approve", "aprove");
        assertThat(typo.code()).isEqualTo(2);
        assertThat(typo.out()).isEmpty();
        assertThat(typo.err()).isEqualTo("caravan: --approve aprove: workflow approval has no gate aprove; its gates: "
                + "approve" + System.lineSeparator());

        Result child = run("run", PARENT, "--reject", "child/nope");
        assertThat(child.code()).isEqualTo(2);
        assertThat(child.err()).contains("--reject child/nope: workflow parent has no gate child/nope; its gates: "
                + "child/approve");

        Result none = run("run", HELLO, "--input", "{\"name\": \"Ada\"}", "--approve", "approve");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("workflow hello has no gate approve (it has no gates)");
    }

    @Test
    void acceptsEveryWayOfNamingAnExistingGate() {
        for (String name : new String[] {"approve", "child/approve", "child:approve"}) {
            Result r = run("run", PARENT, "-q", "--approve", name);
            assertThat(r.code()).as("%s: %s", name, r.err()).isZero();
        }
    }

    // --- --timeout ---

    @Test
    void timeoutReturnsWithinTheLimitPlusStartUp() {
        // the agent thinks for 4 s; the command gives up after 1 s and must not wait for the agent to stop
        long[] runStarted = {0};
        long begin = System.nanoTime();
        Result r = runWatching(line -> {
            if (line.startsWith("run ") && runStarted[0] == 0) {
                runStarted[0] = System.nanoTime();
            }
        }, "run", SLOW, "--ephemeral", "--timeout", "1s");
        long end = System.nanoTime();

        assertThat(r.code()).as(r.err()).isEqualTo(124);
        assertThat(r.err()).contains("did not finish within 1s; it was cancelled");
        long startUp = runStarted[0] - begin;
        // before, Camel's graceful shutdown waited 2 s more for the cancelled run's agent
        assertThat(TimeUnit.NANOSECONDS.toMillis(end - begin - startUp)).as("after start-up").isLessThan(2_500);
    }

    // --- the data directory ---

    @Test
    void aDataDirectoryDeletedUnderARunningRunIsAnError(@TempDir Path dir) {
        Path data = dir.resolve("state");
        Result r = runWatching(line -> {
            if (line.contains("think: started")) {
                deleteTree(data);
            }
        }, "run", SLOW, "--data-dir", data.toString());

        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("caravan: the data directory " + data + " was deleted while run ")
                .contains("the run cannot be kept there, so the command stopped");
    }

    /** Runs a command in this JVM, handing each line it writes on stderr to {@code onLine} as it is written. */
    private static Result runWatching(Consumer<String> onLine, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputStream watched = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                err.write(b);
                if (b == '\n') {
                    onLine.accept(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        };
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(watched, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]), question -> null).execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
