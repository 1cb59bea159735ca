package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.CaravanCli;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The commands that talk to a running server ({@code caravan runs|gate|cancel|retry|lanes|kill|deploy}), run
 * in-process against a real server with API keys and its embedded broker, which the tests also stop and start again
 * under a following {@code runs tail}.
 */
class ServerCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "ops-cli-key";
    private static final Duration TAIL_TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    static CaravanServer server;
    static int port;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What one command did. */
    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
        }
    }

    /** A command whose output can be read while it runs. */
    record Running(CompletableFuture<Integer> code, ByteArrayOutputStream out, ByteArrayOutputStream err) {
        String outText() {
            return out.toString(StandardCharsets.UTF_8);
        }

        Result await() throws Exception {
            int c = code.get(TAIL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return new Result(c, outText(), err.toString(StandardCharsets.UTF_8));
        }
    }

    @BeforeAll
    static void start() throws Exception {
        port = ServerIT.freePort();
        server = startServer();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static CaravanServer startServer() throws Exception {
        Path workflows = Path.of(ServerCommandsIT.class.getResource("/serve/workflows").toURI());
        Path gated = Path.of(ServerCommandsIT.class.getResource("/serve/gated").toURI());
        return CaravanServer.start(new ServeOptions("127.0.0.1", port, dir.resolve("data"), List.of(workflows, gated),
                Map.of("caravan.kafka.embedded.port", "0",
                        CaravanServer.EVENTS_HEARTBEAT_MILLIS, "300",
                        ApiKeys.PROPERTY, "ops:" + ApiKeys.hash(KEY),
                        ApiRoutes.ADMIN_TENANTS, "ops"),
                workflows.getParent()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    // --- runs -------------------------------------------------------------------------------------------------

    @Test
    void listsAndShowsACompletedRun() throws Exception {
        String runId = completedHelloRun("Ada");

        Result list = cli("runs", "list", "--workflow", "hello", "--limit", "50");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.outLines().get(0)).startsWith("RUN").contains("WORKFLOW", "STATUS", "CREATED");
        assertThat(list.outLines()).anySatisfy(l -> assertThat(l).startsWith(runId).contains("hello", "completed"));
        assertThat(list.outLines()).noneMatch(l -> l.contains("approval"));

        Result json = cli("runs", "list", "--status", "completed", "--limit", "1", "--json");
        assertThat(json.code()).isZero();
        JsonNode page = JSON.readTree(json.out());
        assertThat(page.get("runs")).hasSize(1);
        assertThat(page.get("runs").get(0).get("status").asText()).isEqualTo("completed");

        Result show = cli("runs", "show", runId);
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.outLines()).contains("run " + runId + " (workflow hello)", "status: completed", "nodes:",
                "output:", "Hello, Ada! Welcome aboard the caravan.");
        assertThat(show.outLines()).anySatisfy(l -> assertThat(l).matches("  greet +agent +completed +1"));

        Result showJson = cli("runs", "show", runId, "--json");
        assertThat(JSON.readTree(showJson.out()).get("output").asText()).isEqualTo(
                "Hello, Ada! Welcome aboard the caravan.");
        assertThat(show.out() + show.err() + showJson.out()).doesNotContain(KEY);
    }

    @Test
    void reportsAnUnknownRunAsTheServersProblem() throws Exception {
        Result show = cli("runs", "show", "no-such-run");
        assertThat(show.code()).isEqualTo(2);
        assertThat(show.out()).isEmpty();
        assertThat(show.err()).startsWith("caravan: ").contains("no-such-run").endsWith("(RUN_NOT_FOUND)"
                + System.lineSeparator());
        Result bad = cli("runs", "list", "--status", "done");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("(REQUEST_INVALID)");
    }

    @Test
    void tailsAGatedRunUntilItIsApprovedWithGateApprove() throws Exception {
        String runId = startRun("approval", "{\"to\": \"Bo\"}");
        Running tail = start("runs", "tail", runId);
        await().atMost(Duration.ofSeconds(30)).until(() -> tail.outText().contains("approve: awaiting approval"));
        assertThat(tail.code()).isNotDone();

        Result approve = cli("gate", "approve", runId, "approve", "--comment", "fine", "--by", "ada");
        assertThat(approve.code()).as(approve.err()).isZero();
        assertThat(approve.out()).startsWith("approved approve of run " + runId + "; the run is ");

        Result tailed = tail.await();
        assertThat(tailed.code()).as(tailed.err()).isZero();
        List<String> lines = tailed.outLines();
        assertThat(lines.get(0)).isEqualTo("run " + runId + " (workflow approval)");
        assertThat(lines).contains("  draft: started (agent)", "  approve: awaiting approval: Send this to Bo? "
                + "Your order ships today, Bo.", "  approve: approved by ada (fine)", "  send: started (set)");
        assertThat(lines.get(lines.size() - 1)).startsWith("run completed");
        assertThat(lines).doesNotHaveDuplicates();

        Result again = cli("gate", "reject", runId, "approve");
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).contains("(RUN_CONFLICT)");
    }

    @Test
    void tailFollowsTheRunAcrossAServerRestartWithoutGapOrDuplicate() throws Exception {
        String runId = startRun("approval", "{\"to\": \"Cy\"}");
        Running tail = start("runs", "tail", runId, "--json");
        await().atMost(Duration.ofSeconds(30)).until(() -> tail.outText().contains("caravan.approval.requested"));

        server.close();
        server = null;
        server = startServer(); // the same port and data directory; tail reconnects after the last event it printed
        Result approve = cli("gate", "approve", runId, "approve");
        assertThat(approve.code()).as(approve.err()).isZero();

        Result tailed = tail.await();
        assertThat(tailed.code()).as(tailed.err()).isZero();
        assertThat(tailed.err()).contains("lost the event stream of http://127.0.0.1:" + port);
        List<JsonNode> events = new ArrayList<>();
        for (String line : tailed.outLines()) {
            events.add(JSON.readTree(line));
        }
        assertThat(events).extracting(e -> e.get("sequence").asLong())
                .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events).extracting(e -> e.get("type").asText()).contains("caravan.approval.resolved");
        assertThat(events.get(events.size() - 1).get("type").asText()).isEqualTo("caravan.run.completed");
        assertThat(events).allSatisfy(e -> assertThat(e.get("runid").asText()).isEqualTo(runId));
    }

    // --- cancel and retry -------------------------------------------------------------------------------------

    @Test
    void cancelsAPausedRunAndRefusesToCancelItTwice() throws Exception {
        String runId = startRun("approval", "{\"to\": \"Di\"}");
        awaitStatus(runId, "awaiting_approval");
        Result cancel = cli("cancel", runId, "--reason", "customer withdrew");
        assertThat(cancel.code()).as(cancel.err()).isZero();
        assertThat(cancel.out()).isEqualTo("cancelled run " + runId + "; the run is cancelled" + System.lineSeparator());

        Result tail = cli("runs", "tail", runId);
        assertThat(tail.code()).as("a cancelled run").isEqualTo(1);
        assertThat(tail.outLines()).anySatisfy(l -> assertThat(l).startsWith("run cancelled")
                .contains("customer withdrew"));

        Result again = cli("cancel", runId);
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).startsWith("caravan: ").contains("(RUN_CONFLICT)");
    }

    @Test
    void retriesACompletedRunFromANode() throws Exception {
        String runId = completedHelloRun("Flo");
        Result retry = cli("retry", runId, "--from", "greet");
        assertThat(retry.code()).as(retry.err()).isZero();
        assertThat(retry.out()).startsWith("retrying run " + runId + " from node greet; the run is ");

        Result tail = cli("runs", "tail", runId, "--json");
        assertThat(tail.code()).as(tail.err()).isZero();
        List<String> types = tail.outLines().stream().map(l -> read(l).get("type").asText()).toList();
        assertThat(types).contains("caravan.run.retrying");
        assertThat(types.get(types.size() - 1)).isEqualTo("caravan.run.completed");
        assertThat(types.stream().filter("caravan.run.completed"::equals)).hasSize(2);

        Result unknown = cli("retry", runId, "--from", "nowhere");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("(NODE_NOT_FOUND)");
        Result missing = cli("retry", runId);
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--from=NODE'");
    }

    // --- lanes, kill switches, deploy -------------------------------------------------------------------------

    @Test
    void createsShowsAndCleansUpALane() throws Exception {
        Result create = cli("lanes", "create", "cli-lane", "--cap", "2");
        assertThat(create.code()).as(create.err()).isZero();
        assertThat(create.out()).startsWith("created lane cli-lane (active, cap 2, 0 running, 0 queued)");
        assertThat(cli("lanes", "create", "cli-lane").out()).startsWith("exists already: lane cli-lane (active, cap 2");

        Result show = cli("lanes", "show", "cli-lane");
        assertThat(show.code()).isZero();
        assertThat(show.outLines()).contains("lane cli-lane (active, cap 2, 0 running, 0 queued)", "running: -",
                "queued: -", "memory keys: -");
        assertThat(JSON.readTree(cli("lanes", "show", "cli-lane", "--json").out()).get("cap").asInt())
                .isEqualTo(2);

        Result cleanup = cli("lanes", "cleanup", "cli-lane", "--mode", "cancel");
        assertThat(cleanup.code()).as(cleanup.err()).isZero();
        assertThat(cleanup.out()).startsWith("removed lane cli-lane");
        Result gone = cli("lanes", "show", "cli-lane");
        assertThat(gone.code()).isEqualTo(2);
        assertThat(gone.err()).contains("(LANE_NOT_FOUND)");
        assertThat(cli("lanes", "cleanup", "x", "--mode", "later").err()).contains("(REQUEST_INVALID)");
    }

    @Test
    void setsListsAndClearsKillSwitches() throws Exception {
        Result set = cli("kill", "set", "--workflow", "hello", "--reason", "runaway costs");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.outLines()).contains("workflow hello: runaway costs");
        assertThat(cli("kill", "list").outLines()).containsExactly("workflow hello: runaway costs");
        HttpResponse<String> refused = post("/api/v1/workflows/run", "{\"workflow\": \"hello\", \"input\": "
                + "{\"name\": \"Gus\"}}");
        assertThat(refused.statusCode()).isEqualTo(409);

        Result clear = cli("kill", "clear", "--workflow", "hello");
        assertThat(clear.code()).as(clear.err()).isZero();
        assertThat(clear.out()).isEqualTo("no kill switch is set" + System.lineSeparator());
        assertThat(JSON.readTree(cli("kill", "list", "--json").out()).get("killSwitches")).isEmpty();

        Result both = cli("kill", "set", "--workflow", "hello", "--all");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        assertThat(cli("kill", "set").code()).isEqualTo(2);
    }

    @Test
    void deploysAValidFileAndPrintsTheProblemsOfAnInvalidOne() throws Exception {
        Path valid = dir.resolve("greeter.caravan.yaml");
        Files.writeString(valid, """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  description: Greets.
                  name: greeter
                spec:
                  nodes:
                    - id: greet
                      agent:
                        model: scripted
                        prompt: "hi"
                        scripted:
                          replies: ["Hello."]
                  output: ${{ nodes.greet.output }}
                """);
        Result deploy = cli("deploy", valid.toString());
        assertThat(deploy.code()).as(deploy.err()).isZero();
        assertThat(deploy.out()).startsWith("deployed greeter (created, hash ");
        assertThat(cli("deploy", valid.toString()).out()).startsWith("deployed greeter (unchanged, hash ");
        assertThat(completedRunOutput(startRun("greeter", "{}"))).isEqualTo("Hello.");

        Path invalid = dir.resolve("broken-cli.caravan.yaml");
        Files.writeString(invalid, """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: broken-cli
                spec:
                  nodes:
                    - id: first
                      needs: [nowhere]
                      set: { a: 1 }
                    - id: second
                      frobnicate: true
                      set: { b: 2 }
                """);
        Result refused = cli("deploy", invalid.toString());
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.out()).isEmpty();
        List<String> lines = Arrays.asList(refused.err().split("\\R"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(invalid + ":8:").contains("nowhere"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(invalid + ":11:").contains("frobnicate"));
        assertThat(lines.get(lines.size() - 1)).startsWith("caravan: ").endsWith("(DEFINITION_INVALID)");
        assertThat(cli("deploy", dir.resolve("missing.caravan.yaml").toString()).err()).startsWith(
                "caravan: cannot read ");
    }

    // --- keys and reachability --------------------------------------------------------------------------------

    @Test
    void saysWhatIsWrongWithAWrongApiKeyWithoutPrintingIt() {
        Result wrong = run("runs", "list", "--server", server.url(), "--api-key", "not-the-key-42");
        assertThat(wrong.code()).isEqualTo(2);
        assertThat(wrong.err()).startsWith("caravan: ").contains("(UNAUTHORIZED)").contains("--api-key")
                .doesNotContain("not-the-key-42");
        Result none = run("runs", "list", "--server", server.url());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("(UNAUTHORIZED)").contains("give an API key");
    }

    @Test
    void namesTheServerAndHowToStartOneWhenNothingListens() throws Exception {
        String url = "http://127.0.0.1:" + ServerIT.freePort();
        for (String[] args : List.of(new String[] {"runs", "list"}, new String[] {"runs", "tail", "some-run"},
                new String[] {"gate", "approve", "r", "n"}, new String[] {"kill", "list"})) {
            Result r = run(Stream.concat(Arrays.stream(args), Stream.of("--server", url, "--api-key", KEY))
                    .toArray(String[]::new));
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(69);
            assertThat(r.err()).startsWith("caravan: cannot reach a caravan server at " + url)
                    .contains("caravan serve").contains("--server").doesNotContain(KEY);
        }
        assertThat(run("runs", "list", "--server", "ftp://x").err()).contains("is not a server URL");
    }

    @Test
    void printsABashCompletionScriptThatKnowsTheServerCommands() {
        Result completion = run("completion");
        assertThat(completion.code()).isZero();
        assertThat(completion.out()).contains("complete -F").contains("runs").contains("tail").contains("--server");
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** A command against the test server, with its key. */
    private static Result cli(String... args) {
        return run(Stream.concat(Arrays.stream(args), Stream.of("--server", server.url(), "--api-key", KEY))
                .toArray(String[]::new));
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = cli(out, err).execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Running start(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String url = server.url();
        String[] all = Stream.concat(Arrays.stream(args), Stream.of("--server", url, "--api-key", KEY))
                .toArray(String[]::new);
        return new Running(CompletableFuture.supplyAsync(() -> cli(out, err).execute(all)), out, err);
    }

    private static CaravanCli cli(ByteArrayOutputStream out, ByteArrayOutputStream err) {
        return new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), new ByteArrayInputStream(new byte[0]), null);
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static String completedHelloRun(String name) throws Exception {
        String runId = startRun("hello", "{\"name\": \"" + name + "\"}");
        awaitStatus(runId, "completed");
        return runId;
    }

    private static String completedRunOutput(String runId) throws Exception {
        return awaitStatus(runId, "completed").get("output").asText();
    }

    private static JsonNode awaitStatus(String runId, String status) throws Exception {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> runJson(runId).path("status").asText().equals(status));
        return runJson(runId);
    }

    private static String startRun(String workflow, String input) throws Exception {
        HttpResponse<String> started = post("/api/v1/workflows/run", "{\"workflow\": \"" + workflow
                + "\", \"input\": " + input + "}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return JSON.readTree(started.body()).get("runId").asText();
    }

    private static JsonNode runJson(String runId) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/workflows/" + runId))
                .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
