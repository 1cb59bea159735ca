package dev.caravan.component.node;

/**
 * Templates inside endpoint URIs. Camel reads {@code {{name}}} in a URI as a property placeholder, so a workflow's
 * {@code ${{ expr }}} is written {@code $[[ expr ]]} in Camel routes; endpoints turn it back before compiling.
 */
public final class UriTemplates {

    private UriTemplates() {
    }

    /** {@code ${{ expr }}} to {@code $[[ expr ]]}. */
    public static String encode(String template) {
        return swap(template, "${{", "}}", "$[[", "]]");
    }

    /** {@code $[[ expr ]]} to {@code ${{ expr }}}; text without {@code $[[} is returned as is. */
    public static String decode(String template) {
        return template == null ? null : swap(template, "$[[", "]]", "${{", "}}");
    }

    /**
     * A template value given as a URI parameter: a JSON object or array (whose strings may hold templates) is
     * structured, anything else is text. Expressions come back in the {@code ${{ }}} form.
     */
    public static Object value(String param) {
        String text = decode(param);
        String t = text.trim();
        if (t.startsWith("{") || t.startsWith("[")) {
            try {
                return dev.caravan.state.Json.parse(t);
            } catch (RuntimeException notJson) {
                return text;
            }
        }
        return text;
    }

    private static String swap(String s, String open, String close, String newOpen, String newClose) {
        int start = s.indexOf(open);
        if (start < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        int pos = 0;
        while (start >= 0) {
            int end = findClose(s, start + open.length(), close);
            if (end < 0) {
                break;
            }
            out.append(s, pos, start).append(newOpen).append(s, start + open.length(), end).append(newClose);
            pos = end + close.length();
            start = s.indexOf(open, pos);
        }
        return out.append(s, pos, s.length()).toString();
    }

    /** The closing delimiter outside CEL string literals and outside brackets the expression opened itself. */
    private static int findClose(String s, int from, String close) {
        char closing = close.charAt(0);
        char opening = closing == '}' ? '{' : '[';
        char quote = 0;
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == opening) {
                depth++;
            } else if (depth == 0 && s.startsWith(close, i)) {
                return i;
            } else if (c == closing) {
                depth--;
            }
        }
        return -1;
    }
}
