package dev.caravan.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.event.CloudEventJson;
import dev.caravan.json.Json;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model output and run input that carry terminal escape sequences (a title-setting OSC, a screen-clearing CSI, a
 * carriage return that overwrites the line, a right-to-left override, an 8-bit CSI) cannot rewrite what the person at
 * the terminal sees, the gate they are asked to approve least of all: the CLI shows them escaped.
 */
class TerminalSafetyTest {

    static final String HOSTILE_FLOW = "src/test/resources/workflows/hostile.caravan.yaml";
    static final String HOSTILE = "\u001b]0;evil\u0007title \u001b[2J\rAPPROVED \u202egnp.exe \u009b31m red\nline two";

    /** The characters a terminal would act on: controls but newline and tab, DEL, C1 controls, the RLO override. */
    private static List<String> rawControls(String text) {
        List<String> found = new ArrayList<>();
        text.chars().filter(c -> c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f || c == 0x202e)
                .forEach(c -> found.add(String.format("U+%04X", c)));
        return found;
    }

    private static String input() {
        return Json.write(Map.of("text", HOSTILE));
    }

    @Test
    void showsControlCharactersOfModelOutputAndGateMessagesEscaped() {
        List<String> asked = new ArrayList<>();
        CaravanCliTest.Result r = CaravanCliTest.run(q -> {
            asked.add(q);
            return true;
        }, "", "run", HOSTILE_FLOW, "--input", input());
        assertThat(r.code()).as(r.err()).isZero();

        assertThat(asked).singleElement().satisfies(q -> {
            assertThat(rawControls(q)).isEmpty();
            assertThat(q).startsWith("Approve approve? Send \\u001b]0;evil\\u0007title \\u001b[2J\\u000dAPPROVED "
                    + "\\u202egnp.exe \\u009b31m red\n  line two?");
        });
        assertThat(rawControls(r.err())).isEmpty();
        // the streamed model output and the gate message, each line under its node's label
        assertThat(r.err()).contains("  draft: \\u001b]0;evil\\u0007title \\u001b[2J\\u000dAPPROVED")
                .contains("\n  draft: line two")
                .contains("  approve: awaiting approval: Send \\u001b]0;evil\\u0007title")
                .contains("\n  approve: line two?");
        assertThat(rawControls(r.out())).isEmpty();
        assertThat(r.out()).isEqualTo("\\u001b]0;evil\\u0007title \\u001b[2J\\u000dAPPROVED \\u202egnp.exe "
                + "\\u009b31m red\nline two" + System.lineSeparator());
    }

    @Test
    void aGateNobodyDecidesIsListedEscaped() {
        CaravanCliTest.Result r = CaravanCliTest.run("run", HOSTILE_FLOW, "-q", "--input", input());
        assertThat(r.code()).as(r.err()).isEqualTo(3);
        assertThat(rawControls(r.err())).isEmpty();
        assertThat(r.err()).contains("  approve: Send \\u001b]0;evil\\u0007title \\u001b[2J\\u000dAPPROVED")
                .contains("\n    line two?")
                // the command to decide it repeats the input: the same JSON, escaped the JSON way
                .contains("--input '{\"text\":\"\\u001B]0;evil\\u0007title \\u001B[2J\\rAPPROVED \\u202egnp.exe");
    }

    @Test
    void jsonLinesStayValidJsonWithControlCharactersEscaped() {
        CaravanCliTest.Result r = CaravanCliTest.run("run", HOSTILE_FLOW, "--json", "--approve", "approve",
                "--input", input());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(rawControls(r.out().replace(System.lineSeparator(), ""))).isEmpty();
        List<CloudEvent> events = r.outLines().stream().map(CloudEventJson::parse).toList();
        // the values themselves are exact: escaping is JSON's own
        CloudEvent draft = events.stream().filter(e -> e.getType().equals("caravan.node.completed")
                && "draft".equals(e.getSubject())).findFirst().orElseThrow();
        JsonNode data = Json.MAPPER.valueToTree(Json.parse(new String(draft.getData().toBytes(),
                StandardCharsets.UTF_8)));
        assertThat(data.get("output").asText()).isEqualTo(HOSTILE);
    }
}
