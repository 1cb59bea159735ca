package dev.caravan.app.cli;

import dev.caravan.json.Json;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TerminalTextTest {

    @Test
    void escapesEveryControlATerminalActsOnButNewlineAndTab() {
        assertThat(TerminalText.safe("a\u001b[2Jb\u0007c\bd\re\u007ff\u009bg\u202eh\u2066i\u200bj\u2028k"))
                .isEqualTo("a\\u001b[2Jb\\u0007c\\u0008d\\u000de\\u007ff\\u009bg\\u202eh\\u2066i\\u200bj\\u2028k");
        assertThat(TerminalText.safe("one\n\ttwo\r\nthree")).isEqualTo("one\n\ttwo\nthree");
    }

    @Test
    void leavesPlainTextAsItIs() {
        String text = "Grüße, 你好 👋 — \"quoted\" \\u001b stays";
        assertThat(TerminalText.safe(text)).isSameAs(text);
        assertThat(TerminalText.safe(null)).isNull();
    }

    @Test
    void escapedJsonIsTheSameJson() {
        String value = "x\u001b]0;t\u0007\u009b\u202e\u2028\u007f\ny";
        String json = Json.write(Map.of("v", value));
        String escaped = TerminalText.json(json);
        assertThat(escaped.chars()).noneMatch(c -> c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x202e || c == 0x2028);
        assertThat(Json.parse(escaped)).isEqualTo(Map.of("v", value));
    }
}
