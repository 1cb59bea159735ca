package dev.caravan.state;

import java.util.List;

/**
 * One page of runs, newest first; {@code next} is the cursor of the page after it, null on the last page. A cursor
 * names the last run of its page (creation time and id), so runs created meanwhile never shift a page: they come
 * before the first.
 */
public record RunPage(List<RunRecord> runs, String next) {

    public RunPage {
        runs = List.copyOf(runs);
    }

    /** Where a page ends: its last run's creation time and id, which order runs with the same time. */
    public record Cursor(long createdAt, String runId) {

        /** The cursor after a run. */
        public static Cursor of(RunRecord r) {
            return new Cursor(r.createdAt(), r.runId());
        }

        /** Reads {@link #toString()}'s form, {@code <createdAt>~<runId>}. */
        public static Cursor parse(String text) {
            int sep = text.indexOf('~');
            try {
                if (sep > 0 && sep < text.length() - 1) {
                    return new Cursor(Long.parseLong(text.substring(0, sep)), text.substring(sep + 1));
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("Not a page cursor: " + text);
        }

        @Override
        public String toString() {
            return createdAt + "~" + runId;
        }
    }
}
