package dev.caravan.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.cli.Prompter;
import dev.caravan.event.CloudEventJson;
import dev.caravan.json.Json;
import dev.caravan.test.LocalHttpServer;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class CaravanCliTest {

    static final String HELLO = "../routes/examples/hello.caravan.yaml";
    static final String APPROVAL = "src/test/resources/workflows/approval.caravan.yaml";
    static final String PARENT = "src/test/resources/workflows/parent.caravan.yaml";
    static final String FAILING = "src/test/resources/workflows/failing.caravan.yaml";
    static final String STRUCTURED = "src/test/resources/workflows/structured.caravan.yaml";
    static final String SLOW = "src/test/resources/workflows/slow.caravan.yaml";
    static final String LARGE = "src/test/resources/workflows/large.caravan.yaml";
    static final String BROKEN = "src/test/resources/invalid/broken.caravan.yaml";

    /** What one command did. */
    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\R"));
        }
    }

    static Result run(Prompter prompter, String stdin, String... args) {
        if (args.length > 0 && args[0].equals("run") && !List.of(args).contains("--data-dir")) {
            // runs keep nothing between tests unless a test gives them a data directory
            args = Stream.concat(Arrays.stream(args), Stream.of("--ephemeral"))
                    .toArray(String[]::new);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), prompter).execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** No terminal: nobody answers. */
    static Result run(String... args) {
        return run(question -> null, "", args);
    }

    // --- run ---

    @Test
    void runsHelloAndPrintsTheOutput() {
        Result r = run("run", HELLO, "--input", "{\"name\": \"Ada\"}");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Hello, Ada! Welcome aboard the caravan." + System.lineSeparator());
        assertThat(r.err()).contains("greet: started").contains("greet: completed in").contains("run completed")
                .doesNotContain("Exception");
    }

    @Test
    void printsObjectOutputAsPrettyJson() throws Exception {
        Result r = run("run", STRUCTURED, "-q", "-i", "{\"items\": [1, 2, 3]}");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(Json.MAPPER.readValue(r.out(), Map.class)).isEqualTo(Map.of("count", 3, "label", "n=3"));
        assertThat(r.outLines()).hasSizeGreaterThan(1);
    }

    @Test
    void readsInputFromAFileAndFromStdin(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.json");
        Files.writeString(in, "{\"name\": \"Bo\"}");
        Result fromFile = run("run", HELLO, "-q", "--input", "@" + in);
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        Result fromStdin = run(q -> null, "{\"name\": \"Bo\"}", "run", HELLO, "-q", "--input", "@-");
        assertThat(fromStdin.code()).as(fromStdin.err()).isZero();
        assertThat(fromFile.out()).isEqualTo("Hello, Bo! Welcome aboard the caravan." + System.lineSeparator());
        assertThat(fromStdin.out()).isEqualTo(fromFile.out());
    }

    @Test
    void jsonPrintsOnlyCloudEventsWithContiguousSequences() {
        Result r = run("run", HELLO, "--json", "--input", "{\"name\": \"Ada\"}");
        assertThat(r.code()).as(r.err()).isZero();
        List<CloudEvent> events = r.outLines().stream().map(CloudEventJson::parse).collect(Collectors.toList());
        assertThat(events).isNotEmpty();
        String runId = (String) events.get(0).getExtension("runid");
        for (int i = 0; i < events.size(); i++) {
            CloudEvent e = events.get(i);
            assertThat(e.getSpecVersion().toString()).isEqualTo("1.0");
            assertThat(((Number) e.getExtension("sequence")).longValue()).isEqualTo(i + 1);
            assertThat(e.getId()).isEqualTo(runId + "-" + (i + 1));
            assertThat(e.getSource().toString()).isEqualTo("/caravan/workflows/hello");
            assertThat(e.getExtension("workflow")).isEqualTo("hello");
            assertThat(e.getExtension("tenantid")).isNotNull();
        }
        assertThat(events.get(0).getType()).isEqualTo("caravan.run.started");
        CloudEvent last = events.get(events.size() - 1);
        assertThat(last.getType()).isEqualTo("caravan.run.completed");
        assertThat(last.getDataContentType()).isEqualTo("application/json");
        JsonNode data = readTree(last.getData().toBytes());
        assertThat(data.get("output").asText()).isEqualTo("Hello, Ada! Welcome aboard the caravan.");
        CloudEvent nodeDone = events.stream().filter(e -> e.getType().equals("caravan.node.completed")).findFirst()
                .orElseThrow();
        assertThat(nodeDone.getSubject()).isEqualTo("greet");
        assertThat(nodeDone.getExtension("node")).isEqualTo("greet");
        // progress is off: stderr has no progress lines either
        assertThat(r.err()).doesNotContain("greet: started");
    }

    @Test
    void printsALargeOutputInFullAlsoInJsonEvents() {
        // 20,000 characters: over the 16 KiB a run record holds inline, so the engine keeps it by reference
        String text = "z".repeat(20_000);
        String input = "{\"text\": \"" + text + "\"}";
        Result plain = run("run", LARGE, "-q", "-i", input);
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(plain.out()).isEqualTo(text + System.lineSeparator());

        Result json = run("run", LARGE, "--json", "-i", input);
        assertThat(json.code()).as(json.err()).isZero();
        List<CloudEvent> events = json.outLines().stream().map(CloudEventJson::parse).toList();
        JsonNode started = readTree(events.get(0).getData().toBytes());
        assertThat(started.get("input").get("text").asText()).isEqualTo(text);
        CloudEvent copied = events.stream().filter(e -> e.getType().equals("caravan.node.completed")).findFirst()
                .orElseThrow();
        assertThat(readTree(copied.getData().toBytes()).get("output").get("text").asText()).isEqualTo(text);
        CloudEvent last = events.get(events.size() - 1);
        assertThat(last.getType()).isEqualTo("caravan.run.completed");
        assertThat(readTree(last.getData().toBytes()).get("output").asText()).isEqualTo(text);
    }

    @Test
    void jsonIncludesEventsOfSubWorkflowRuns() {
        Result r = run("run", PARENT, "--json", "--approve", "approve");
        assertThat(r.code()).as(r.err()).isZero();
        List<CloudEvent> events = r.outLines().stream().map(CloudEventJson::parse).collect(Collectors.toList());
        String runId = (String) events.get(0).getExtension("runid");
        List<CloudEvent> child = events.stream().filter(e -> !runId.equals(e.getExtension("runid"))).toList();
        assertThat(child).isNotEmpty().allSatisfy(e -> {
            assertThat((String) e.getExtension("runid")).startsWith(runId + ":");
            assertThat(e.getExtension("parentrunid")).isEqualTo(runId);
        });
        List<Long> parentSequences = events.stream().filter(e -> runId.equals(e.getExtension("runid")))
                .map(e -> ((Number) e.getExtension("sequence")).longValue()).toList();
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= parentSequences.size(); i++) {
            expected.add(i);
        }
        assertThat(parentSequences).isEqualTo(expected);
    }

    @Test
    void gateWithoutDecisionExitsThree() {
        Result r = run("run", APPROVAL, "--input", "{\"to\": \"bob\"}");
        assertThat(r.code()).as(r.err()).isEqualTo(3);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("awaits approval").contains("approve: Send to bob?")
                .contains("--approve approve");
    }

    @Test
    void aRunAwaitingApprovalIsKeptAndALaterCommandContinuesIt(@TempDir Path dir) throws Exception {
        String data = dir.resolve("state").toString();
        Result waiting = run("run", APPROVAL, "--data-dir", data, "--input", "{\"to\": \"bob\"}");
        assertThat(waiting.code()).as(waiting.err()).isEqualTo(3);
        Matcher id = Pattern.compile("--resume (\\S+) --approve approve")
                .matcher(waiting.err());
        assertThat(id.find()).as(waiting.err()).isTrue();

        Result approved = run("run", APPROVAL, "--data-dir", data, "--resume", id.group(1), "--approve", "approve");
        assertThat(approved.code()).as(approved.err()).isZero();
        assertThat(Json.MAPPER.readValue(approved.out(), Map.class)).isEqualTo(Map.of("sent", true, "to", "bob"));

        Result again = run("run", APPROVAL, "--data-dir", data, "--resume", id.group(1));
        assertThat(again.code()).as("a finished run stays finished").isZero();
        assertThat(run("run", APPROVAL, "--data-dir", data, "--resume", "no-such-run").err())
                .contains("no run no-such-run");
    }

    @Test
    void aRunWhoseFileChangedIsKeptUntilItIsMigrated(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("approval.caravan.yaml");
        Files.copy(Path.of(APPROVAL), file);
        String data = dir.resolve("state").toString();
        Result waiting = run("run", file.toString(), "--data-dir", data, "--input", "{\"to\": \"bob\"}");
        Matcher id = Pattern.compile("--resume (\\S+) --approve approve")
                .matcher(waiting.err());
        assertThat(id.find()).as(waiting.err()).isTrue();
        Files.writeString(file, Files.readString(file).replace("sent: true", "sent: \"yes\""));

        Result held = run("run", file.toString(), "--data-dir", data, "--resume", id.group(1), "--approve", "approve");
        assertThat(held.code()).as(held.err()).isEqualTo(2);
        assertThat(held.out()).isEmpty();
        assertThat(held.err()).contains("run " + id.group(1) + " started on another version of " + file)
                .contains("--resume " + id.group(1) + " --migrate");

        Result migrated = run("run", file.toString(), "--data-dir", data, "--resume", id.group(1), "--migrate",
                "--approve", "approve");
        assertThat(migrated.code()).as(migrated.err()).isZero();
        assertThat(Json.MAPPER.readValue(migrated.out(), Map.class)).isEqualTo(Map.of("sent", "yes", "to", "bob"));
        assertThat(run("run", file.toString(), "--migrate").err()).contains("--migrate needs --resume");
    }

    @Test
    void modelRunsTheScriptedExampleOnARealProvider() throws Exception {
        // an OpenAI-compatible server answering with OpenAI's own recorded stream (agents stream their replies)
        byte[] reply = Files.readAllBytes(Path.of(
                "src/test/resources/fixtures/llm/openai/chat-completion-stream-recorded.sse"));
        List<String> asked = new CopyOnWriteArrayList<>();
        try (LocalHttpServer server = LocalHttpServer.start("/", exchange -> {
            asked.add(exchange.getRequestURI().getPath() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            LocalHttpServer.reply(exchange, "text/event-stream", reply);
        })) {
            Result none = run("run", HELLO, "--input", "{\"name\": \"Ada\"}", "--model", "openai:gpt-4o-mini");
            assertThat(none.code()).isEqualTo(2);
            assertThat(none.err()).contains("cannot deploy: No API key for provider 'openai'")
                    .contains("OPENAI_API_KEY");

            Result r = run("run", HELLO, "--input", "{\"name\": \"Ada\"}", "--model", "openai:gpt-4o-mini",
                    "-p", "caravan.llm.openai.base-url=" + server.url() + "/v1",
                    "-p", "caravan.llm.openai.api-key=sk-test-not-a-real-key");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("I'm unable to provide real-time weather updates");
            assertThat(asked).singleElement().asString().startsWith("/v1/chat/completions ");
            Map<?, ?> request = Json.MAPPER.readValue(asked.get(0).substring(asked.get(0).indexOf(' ') + 1), Map.class);
            assertThat(request.get("model")).isEqualTo("gpt-4o-mini");
            assertThat(request.get("stream")).isEqualTo(true);
            assertThat(request.get("messages").toString()).contains("Greet the person named in the message")
                    .contains("content=Ada");
        }
    }

    @Test
    void approvedGateLetsTheRunComplete() throws Exception {
        Result r = run("run", APPROVAL, "--input", "{\"to\": \"bob\"}", "--approve", "approve");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Json.MAPPER.readValue(r.out(), Map.class)).isEqualTo(Map.of("sent", true, "to", "bob"));
        assertThat(r.err()).contains("approve: approved");
    }

    @Test
    void rejectedGateSkipsWhatNeedsIt() {
        Result r = run("run", APPROVAL, "--input", "{\"to\": \"bob\"}", "--reject", "approve");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("approve: rejected").contains("send: skipped");
    }

    @Test
    void rejectedGateIsSkippedInJsonEvents() {
        Result r = run("run", APPROVAL, "--json", "--input", "{\"to\": \"bob\"}", "--reject", "approve");
        assertThat(r.code()).as(r.err()).isZero();
        List<CloudEvent> events = r.outLines().stream().map(CloudEventJson::parse).toList();
        assertThat(events).anyMatch(e -> e.getType().equals("caravan.node.skipped") && "send".equals(e.getSubject()));
        assertThat(events).anyMatch(e -> e.getType().equals("caravan.approval.resolved"));
    }

    @Test
    void gatesInSubWorkflowRunsAreDecidedByNodeKey() {
        Result waiting = run("run", PARENT);
        assertThat(waiting.code()).as(waiting.err()).isEqualTo(3);
        assertThat(waiting.err()).contains("child/approve");

        Result approved = run("run", PARENT, "-q", "--approve", "child/approve");
        assertThat(approved.code()).as(approved.err()).isZero();
        assertThat(approved.out()).contains("\"sent\" : true");
    }

    @Test
    void asksOnTheTerminal() {
        List<String> asked = new ArrayList<>();
        Result r = run(q -> {
            asked.add(q);
            return true;
        }, "", "run", APPROVAL, "--input", "{\"to\": \"bob\"}");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(asked).containsExactly("Approve approve? Send to bob?");

        Result no = run(q -> false, "", "run", APPROVAL, "-q", "--input", "{\"to\": \"bob\"}");
        assertThat(no.code()).as(no.err()).isZero();
        assertThat(no.out()).isEmpty();
    }

    @Test
    void failingNodeExitsOneNamingNodeAndError() {
        Result r = run("run", FAILING);
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("failed at node ask").contains("LlmException").contains("bad key")
                .doesNotContain("\tat ").doesNotContain("Message History");
    }

    @Test
    void invalidWorkflowExitsTwoNamingFileLineColumn() {
        Result r = run("run", BROKEN);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains(BROKEN + ":12:").contains("nowhere");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void invalidInputExitsTwoListingProblems() {
        Result missing = run("run", HELLO, "--input", "{}");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("invalid input for workflow hello").contains("name");

        Result notJson = run("run", HELLO, "--input", "{name:");
        assertThat(notJson.code()).isEqualTo(2);
        assertThat(notJson.err()).contains("not valid JSON").doesNotContain("\tat ");
    }

    @Test
    void unknownFileExitsTwo() {
        Result r = run("run", "no/such.caravan.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no/such.caravan.yaml: no such file").doesNotContain("\tat ");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run("run").code()).isEqualTo(2);
        assertThat(run("run", HELLO, "--nope").code()).isEqualTo(2);
        assertThat(run("frobnicate").code()).isEqualTo(2);
        assertThat(run("run", HELLO, "--timeout", "soon").err()).contains("--timeout");
        assertThat(run("run", APPROVAL, "--approve", "approve", "--reject", "approve").code()).isEqualTo(2);
    }

    // --- validate, compile, version, help ---

    @Test
    void validateReportsEveryFile() {
        Result ok = run("validate", HELLO, APPROVAL);
        assertThat(ok.code()).isZero();
        assertThat(ok.outLines()).containsExactly("OK " + HELLO, "OK " + APPROVAL);

        Result bad = run("validate", HELLO, BROKEN, "missing.caravan.yaml");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.outLines()).containsExactly("OK " + HELLO);
        assertThat(bad.err()).contains(BROKEN + ":12:15: ").contains("missing.caravan.yaml: no such file");
    }

    @Test
    void compilePrintsOrWritesCamelYaml(@TempDir Path dir) throws Exception {
        Result printed = run("compile", HELLO);
        assertThat(printed.code()).as(printed.err()).isZero();
        assertThat(printed.out()).contains("caravan-workflow-hello").contains("caravan-agent:greet");

        Path out = dir.resolve("sub/hello.camel.yaml");
        Result written = run("compile", HELLO, "-o", out.toString());
        assertThat(written.code()).isZero();
        assertThat(written.out()).isEmpty();
        assertThat(Files.readString(out)).isEqualTo(printed.out());

        assertThat(run("compile", BROKEN).code()).isEqualTo(2);
    }

    @Test
    void versionAndHelp() {
        Result v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("caravan 0.").contains("Apache Camel 4.");
        Result help = run("run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--approve=NODE").contains("--json").contains("Exit codes");
        assertThat(run("--help").out()).contains("validate").contains("compile").contains("serve");
    }

    @Test
    void serveHelpShowsItsOptionsAndFormattedExamples() {
        Result help = run("serve", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("--host=HOST").contains("--workflows=DIR").contains("Default: 127.0.0.1")
                .contains("Default: 8080")
                // a footer picocli could not format is printed raw, with the escaped percent sign doubled
                .contains("printf %s \"$KEY\"").doesNotContain("%%s");
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
