package dev.caravan.app;

import dev.caravan.app.CaravanCliTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code caravan run} refuses before a run, {@code caravan validate} refuses too, with the same words: each file
 * here passed validate once and was refused by run.
 */
class ValidateAgreesWithRunTest {

    private static final String REFUSED = "src/test/resources/refused/";
    private static final String REMEMBER = "src/test/resources/lanes/remember-note.caravan.yaml";
    private static final String REMEMBER_GUARDED = "src/test/resources/lanes/remember-guarded.caravan.yaml";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown-provider          | 9:23: unknown model provider 'openia' in agent.model of node 'ask'; expected one of: anthropic, gemini, ollama, openai, scripted
            unknown-fallback-provider | 9:44: unknown model provider 'bogus' in spec.defaults.fallback; expected one of:
            model-without-name        | 9:23: expected agent.model of node 'ask' to be a model reference provider:model (such as openai:gpt-4o-mini) or scripted, found the string 'openai:'
            items-not-a-list          | 10:16: expected map.items of node 'each' to be a list or a ${{ }} expression giving one, found the string 'first, second'
            items-interpolated        | 10:16: expected map.items of node 'each' to be a list or a ${{ }} expression giving one
            wait-until-not-a-time     | 9:22: expected wait.until of node 'pause' to be an RFC 3339 timestamp
            scripted-error-type       | 12:48: expected agent.scripted of node 'ask' reply error type to be one of rate_limit, overloaded, auth, bad_request, server, timeout, found the string 'quota'
            scripted-empty-reply      | 12:31: expected a reply of agent.scripted of node 'ask' to have one of text, json, toolCalls or error
            uri-without-scheme        | 9:20: expected call.uri of node 'send' to be a Camel endpoint URI scheme:path such as direct:send-mail, found the string 'send-mail' (no scheme)
            unknown-component         | 8:7: call.uri of node 'send' names the Camel component 'smtpx', which is not on the class path: add it with --dep camel:smtpx
            tool-unknown-component    | 8:5: uri of tool 'lookup' names the Camel component 'kbx', which is not on the class path
            input-dangling-ref        | 10:23: invalid JSON Schema in spec.input: properties.ticket.$ref: '#/$defs/ticket' points at nothing in this schema
            children/missing-child    | 8:7: workflow of node 'summary' names workflow 'summarise', which no *.caravan.yaml file of
            """)
    void validateRefusesWhatRunRefusesWithTheSameProblem(String name, String problem) {
        String file = REFUSED + name + ".caravan.yaml";

        Result validated = run("validate", file);
        Result ran = run("run", file, "-q");

        assertThat(validated.code()).as(validated.err()).isEqualTo(2);
        assertThat(validated.out()).isEmpty();
        assertThat(validated.err()).startsWith(file + ":" + problem.strip());
        assertThat(ran.code()).as(ran.err()).isEqualTo(2);
        assertThat(ran.out()).isEmpty();
        assertThat(ran.err()).isEqualTo(validated.err());
    }

    @Test
    void rememberWithoutALaneIsAWarningForValidateAndRefusedByRunWithoutLane() {
        String problem = REMEMBER + ":8:7: node 'note' remembers values in the run's lane, and a run outside a lane "
                + "fails there: run it with --lane NAME";

        Result validated = run("validate", REMEMBER);
        Result ran = run("run", REMEMBER, "-q", "--input", "{\"say\": \"hi\"}");

        assertThat(validated.code()).as(validated.err()).isZero();
        assertThat(validated.out()).isEqualTo("OK " + REMEMBER + System.lineSeparator());
        assertThat(validated.err()).isEqualTo(problem.replace(":8:7: ", ":8:7: warning: ") + System.lineSeparator());
        assertThat(ran.code()).as(ran.err()).isEqualTo(2);
        assertThat(ran.err()).isEqualTo(problem + System.lineSeparator());
    }

    @Test
    void runsOfOneLaneShareTheMemoryRememberNodesWrite(@TempDir Path dir) {
        String data = dir.resolve("data").toString();

        Result first = run("run", REMEMBER, "-q", "--lane", "me", "--data-dir", data, "--input", "{\"say\": \"hi\"}");
        Result second = run("run", REMEMBER, "-q", "--lane", "me", "--data-dir", data, "--input", "{\"say\": \"bye\"}");
        Result other = run("run", REMEMBER, "-q", "--lane", "you", "--data-dir", data, "--input", "{\"say\": \"yo\"}");

        assertThat(first.code()).as(first.err()).isZero();
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(other.code()).as(other.err()).isZero();
        assertThat(second.out().replaceAll("\\s", "")).isEqualTo("[\"hi\",\"bye\"]");
        assertThat(other.out().replaceAll("\\s", "")).isEqualTo("[\"yo\"]");
    }

    @Test
    void aGuardedRememberNodeRunsWithoutALaneUntilItIsReachedThenSaysToPassLane() {
        Result skipped = run("run", REMEMBER_GUARDED, "-q", "--input", "{\"keep\": false, \"say\": \"hi\"}");
        Result reached = run("run", REMEMBER_GUARDED, "-q", "--input", "{\"keep\": true, \"say\": \"hi\"}");

        assertThat(run("validate", REMEMBER_GUARDED).err()).isEmpty();
        assertThat(skipped.code()).as(skipped.err()).isZero();
        assertThat(reached.code()).as(reached.err()).isEqualTo(1);
        assertThat(reached.err()).contains("failed at node note:")
                .contains("node 'note' remembers values in the run's lane, and run ")
                .contains(" has none: start the run in a lane (caravan run --lane NAME)");
    }

    @Test
    void refusesLaneWithResume() {
        Result r = run("run", REMEMBER, "--lane", "me", "--resume", "some-run", "--data-dir", "unused");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--lane cannot be given with --resume: run some-run goes on in the lane it "
                + "started in");
    }

    @Test
    void refusesAModelOptionWhoseProviderIsUnknown() {
        Result r = run("run", CaravanCliTest.HELLO, "--model", "openia:gpt-4o", "--input", "{\"name\": \"Ada\"}");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--model openia:gpt-4o: unknown model provider 'openia'; expected one of: "
                + "anthropic, gemini, ollama, openai, scripted");
    }
}
