package dev.caravan.dsl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * Where things are in a file's text, as editors count: lines from SnakeYAML's marks, and characters inside a scalar
 * (an expression's column inside a quoted string), counted in code points.
 */
final class SourcePositions {

    private final String file;
    private final String content;
    private final int[] lineStarts;

    SourcePositions(String file, String content) {
        this.file = file;
        this.content = content;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 >= content.length() || content.charAt(i + 1) != '\n'))) {
                starts.add(i + 1);
            }
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A mark's position; the start of the file without one. */
    Position of(Optional<Mark> mark) {
        return mark.map(m -> new Position(file, m.getLine() + 1, m.getColumn() + 1)).orElse(new Position(file, 1, 1));
    }

    /**
     * The position of character {@code offset} of a scalar's value: exact for single-line plain and quoted scalars and
     * for literal block scalars; the scalar's start otherwise.
     */
    Position at(ScalarNode s, int offset) {
        Position start = of(s.getStartMark());
        Optional<Mark> sm = s.getStartMark();
        Optional<Mark> em = s.getEndMark();
        if (sm.isEmpty() || em.isEmpty() || offset < 0) {
            return start;
        }
        String value = s.getValue();
        int off = Math.min(offset, value.length());
        int line = sm.get().getLine();
        ScalarStyle style = s.getScalarStyle();
        boolean singleLine = line == em.get().getLine();
        if (style == ScalarStyle.PLAIN && singleLine) {
            return new Position(file, line + 1, sm.get().getColumn() + 1 + value.codePointCount(0, off));
        }
        if ((style == ScalarStyle.SINGLE_QUOTED || style == ScalarStyle.DOUBLE_QUOTED) && singleLine) {
            return inQuoted(line, sm.get().getColumn(), off, style == ScalarStyle.SINGLE_QUOTED);
        }
        if (style == ScalarStyle.LITERAL) {
            return inLiteral(value, line, off, start);
        }
        return start;
    }

    /** Walks a quoted scalar's source to the {@code off}-th character of its value, past escapes. */
    private Position inQuoted(int line, int column, int off, boolean single) {
        int src = charIndex(line, column) + 1;
        int v = 0;
        while (v < off && src < content.length()) {
            char c = content.charAt(src);
            if (single && c == '\'' && src + 1 < content.length() && content.charAt(src + 1) == '\'') {
                src += 2;
            } else if (!single && c == '\\' && src + 1 < content.length()) {
                char e = content.charAt(src + 1);
                src += e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
            } else {
                src++;
            }
            v++;
        }
        int lineStart = lineStarts[line];
        return new Position(file, line + 1, content.codePointCount(lineStart, Math.min(src, content.length())) + 1);
    }

    /** A literal block scalar's lines start at its first content line, each indented as that one. */
    private Position inLiteral(String value, int line, int off, Position start) {
        int valueLine = 0;
        int lineStartInValue = 0;
        for (int i = 0; i < off; i++) {
            if (value.charAt(i) == '\n') {
                valueLine++;
                lineStartInValue = i + 1;
            }
        }
        int indent = -1;
        for (int l = line + 1; l < lineStarts.length; l++) {
            String text = lineText(l);
            if (!text.isBlank()) {
                indent = text.length() - text.stripLeading().length();
                break;
            }
        }
        int srcLine = line + 1 + valueLine;
        if (indent < 0 || srcLine >= lineStarts.length) {
            return start;
        }
        return new Position(file, srcLine + 1, indent + 1 + value.codePointCount(lineStartInValue, off));
    }

    private int charIndex(int line, int column) {
        int start = lineStarts[Math.min(line, lineStarts.length - 1)];
        try {
            return content.offsetByCodePoints(start, column);
        } catch (IndexOutOfBoundsException e) {
            return start;
        }
    }

    private String lineText(int line) {
        int start = lineStarts[line];
        int end = line + 1 < lineStarts.length ? lineStarts[line + 1] : content.length();
        String t = content.substring(start, end);
        return t.replace("\n", "").replace("\r", "");
    }
}
