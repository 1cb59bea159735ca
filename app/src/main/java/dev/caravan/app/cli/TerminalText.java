package dev.caravan.app.cli;

/**
 * Text from a run (model output, input, gate messages, errors) made safe to print on a terminal. Escape sequences
 * (ESC, CSI, OSC), BEL, backspace, a carriage return or a bidi override in that text would let whoever wrote it
 * rewrite what the terminal shows, for instance the gate an approver is about to approve; printed here they show as
 * escapes instead (ESC as <code>&#92;u001b</code>), and do nothing.
 */
public final class TerminalText {

    private TerminalText() {
    }

    /**
     * The text with every character a terminal acts on shown as a <code>&#92;uXXXX</code> escape: C0 controls except newline
     * and tab, DEL, C1 controls, bidi controls and invisible separators. Newlines stay, so multi-line text stays
     * readable; a CR LF pair is a newline.
     */
    public static String safe(String text) {
        if (text == null || clean(text, true)) {
            return text;
        }
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                continue;
            }
            if (c != '\n' && c != '\t' && unsafe(c)) {
                escape(b, c);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * A JSON text with the characters JSON allows unescaped in strings but a terminal acts on (DEL, C1 controls, bidi
     * controls, invisible separators) escaped, so it stays the same JSON. Control characters below U+0020 cannot
     * appear raw in JSON, so they are left as the writer escaped them.
     */
    public static String json(String json) {
        if (clean(json, false)) {
            return json;
        }
        StringBuilder b = new StringBuilder(json.length() + 16);
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c >= 0x20 && unsafe(c)) {
                escape(b, c);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean clean(String text, boolean keepNewlines) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (unsafe(c) && !(keepNewlines && (c == '\n' || c == '\t'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean unsafe(char c) {
        return c < 0x20 || c >= 0x7f && c <= 0x9f
               || c == '\u061c' || c == '\u200e' || c == '\u200f' // Arabic letter mark, LRM, RLM
               || c >= '\u202a' && c <= '\u202e'                  // embeddings and overrides (U+202E: RLO)
               || c >= '\u2066' && c <= '\u2069'                  // isolates
               || c == '\u2028' || c == '\u2029'                  // line and paragraph separators
               || c == '\u200b' || c == '\u2060' || c == '\ufeff'; // zero-width space, word joiner, BOM
    }

    private static void escape(StringBuilder b, char c) {
        b.append("\\u").append(String.format("%04x", (int) c));
    }
}
