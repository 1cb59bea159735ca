package dev.caravan.llm.provider;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * An SSE body on its way to the parser, keeping aside the lines that are not SSE fields ({@code data:}, {@code event:},
 * {@code id:}, {@code retry:}, comments, blank lines). A parser skips those lines; a server that ends a stream with a
 * bare JSON error object (Gemini) writes exactly such lines.
 */
final class UnframedLines extends FilterInputStream {

    /** The most kept of unframed lines: an error object is small. */
    private static final int MAX_KEPT = 16 * 1024;
    /** Enough of a line to tell whether it is an SSE field: "retry:" and "event:" are the longest names. */
    private static final int PREFIX = 6;

    /** Line starts that make an SSE line: field names, a comment's colon, the CR of a blank CRLF line. */
    private static final String[] FIELDS = { "data:", "event:", "id:", "retry:", ":", "\r" };

    // what is known of the current line
    private static final int UNDECIDED = 0;
    private static final int FIELD = 1;
    private static final int UNFRAMED = 2;

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    /** The start of the current line while it is not yet known whether it is an SSE field. */
    private final byte[] prefix = new byte[PREFIX];
    private int prefixLength;
    private int state = UNDECIDED;

    UnframedLines(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            see((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        int end = offset + n;
        for (int i = offset; i < end; i++) {
            if (state == FIELD) {
                // most bytes are the rest of a data line: skip to its end in a tight loop
                while (i < end && buffer[i] != '\n') {
                    i++;
                }
                if (i == end) {
                    break;
                }
            }
            see(buffer[i]);
        }
        return n;
    }

    private void see(byte b) {
        if (b == '\n') {
            endLine();
            return;
        }
        if (state == UNFRAMED) {
            keep(b);
        } else if (state == UNDECIDED) {
            prefix[prefixLength++] = b;
            if (isField()) {
                state = FIELD;
            } else if (!couldBeField() || prefixLength == PREFIX) {
                state = UNFRAMED;
                keepPrefix();
            }
        }
    }

    private void endLine() {
        if (state == UNDECIDED && prefixLength > 0) {
            // a line shorter than the field name it started like: not a field either
            keepPrefix();
            state = UNFRAMED;
        }
        if (state == UNFRAMED) {
            keep((byte) '\n');
        }
        prefixLength = 0;
        state = UNDECIDED;
    }

    private void keepPrefix() {
        for (int i = 0; i < prefixLength; i++) {
            keep(prefix[i]);
        }
    }

    private void keep(byte b) {
        if (kept.size() < MAX_KEPT) {
            kept.write(b);
        }
    }

    /** Whether the line so far starts with an SSE field name, a comment colon, or is the CR of a blank CRLF line. */
    private boolean isField() {
        for (String name : FIELDS) {
            if (prefixLength >= name.length() && startsWith(name, name.length())) {
                return true;
            }
        }
        return false;
    }

    /** Whether the line so far could still become an SSE field. */
    private boolean couldBeField() {
        for (String name : FIELDS) {
            if (prefixLength < name.length() && startsWith(name, prefixLength)) {
                return true;
            }
        }
        return false;
    }

    private boolean startsWith(String name, int length) {
        for (int i = 0; i < length; i++) {
            if (prefix[i] != name.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The unframed lines when they hold a JSON error object ({@code {"error": ...}}), else null. Call after the body
     * was read to its end.
     */
    String errorObject() {
        endLine();
        String text = kept.toString(StandardCharsets.UTF_8).strip();
        return text.startsWith("{") && text.endsWith("}") && text.contains("\"error\"") ? text : null;
    }
}
