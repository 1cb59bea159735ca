package dev.caravan.app.cli;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Renders the events of one run (and of its sub-workflow runs) as human-readable progress lines: nodes starting
 * and finishing with timings, streamed agent output, tool calls, approvals, cost and tokens. Called on the event
 * dispatcher thread, one event at a time. What the run put in its events (model output, input, messages) is printed
 * through {@link TerminalText#safe}, and each of its lines carries the node's label, so it can neither act on the
 * terminal nor pass for a line of its own.
 */
final class Progress implements Consumer<RunEvent> {

    private static final int PREVIEW = 200;

    private final PrintStream err;
    private final String runId;
    private final Set<String> streamed = new HashSet<>();
    private String openDelta;

    Progress(PrintStream err, String runId) {
        this.err = err;
        this.runId = runId;
    }

    @Override
    public synchronized void accept(RunEvent e) {
        boolean top = e.runId().equals(runId);
        String label = label(e);
        Map<?, ?> data = e.data() instanceof Map<?, ?> m ? m : Map.of();
        if (EventTypes.NODE_OUTPUT_DELTA.equals(e.type())) {
            delta(label, String.valueOf(data.get("text")));
            return;
        }
        endDelta();
        if (EventTypes.NODE_OUTPUT_DISCARDED.equals(e.type())) {
            node(label, "(the last " + data.get("chars") + " characters are void: the model failed mid-reply ("
                    + data.get("reason") + "); it starts again)");
            return;
        }
        switch (e.type()) {
            case EventTypes.RUN_STARTED -> {
                if (top) {
                    line("run " + e.runId() + " (workflow " + e.workflow() + ")");
                } else {
                    node(label, "sub-workflow " + e.workflow() + " started as run " + e.runId());
                }
            }
            case EventTypes.RUN_RESUMED -> {
                if (top) {
                    line("run resumed" + suffix(data.get("reason")));
                }
            }
            case EventTypes.RUN_PAUSED -> {
                if (top) {
                    line("run paused (" + data.get("status") + ")");
                }
            }
            case EventTypes.RUN_COMPLETED -> {
                String summary = timing(data.get("durationMs"), data.get("tokens"), data.get("costMicros"));
                if (top) {
                    line("run completed" + summary);
                } else {
                    node(label, "sub-workflow completed" + summary);
                }
            }
            case EventTypes.RUN_FAILED -> {
                String where = data.get("node") == null ? "" : " at node " + data.get("node");
                String what = errorText(data.get("errorClass"), data.get("message"));
                if (!top) { // the run's own failure is reported by the command when it ends
                    node(label, "sub-workflow failed" + where + ": " + what);
                }
            }
            case EventTypes.RUN_CANCELLED -> {
                if (top) {
                    line("run cancelled" + suffix(data.get("reason")));
                } else {
                    node(label, "sub-workflow cancelled" + suffix(data.get("reason")));
                }
            }
            case EventTypes.RUN_RETRYING -> line("run retrying" + (data.get("from") == null ? ""
                    : " from node " + data.get("from")));
            case EventTypes.NODE_STARTED -> {
                Object attempt = data.get("attempt");
                String kind = data.get("kind") == null ? "" : String.valueOf(data.get("kind"));
                boolean retry = attempt instanceof Number n && n.intValue() > 1;
                node(label, "started" + (kind.isEmpty() ? "" : " (" + kind + (retry ? ", attempt " + attempt : "") + ")"));
            }
            case EventTypes.NODE_COMPLETED -> {
                Object output = data.get("output");
                if ("agent".equals(data.get("kind")) && !streamed.contains(label) && output != null) {
                    node(label, preview(output));
                }
                node(label, "completed" + timing(data.get("durationMs"), data.get("tokens"), data.get("costMicros")));
            }
            case EventTypes.NODE_SKIPPED -> node(label, "skipped" + suffix(data.get("reason")));
            case EventTypes.NODE_FAILED -> {
                String text = "failed" + attemptText(data.get("attempt")) + ": "
                        + errorText(data.get("errorClass"), data.get("message"));
                if (Boolean.TRUE.equals(data.get("willRetry"))) {
                    text += ", retrying" + (data.get("retryInMs") instanceof Number n ? " in " + millis(n.longValue()) : "");
                }
                node(label, text);
            }
            case EventTypes.NODE_WAITING -> {
                Object due = data.get("dueAt") != null ? data.get("dueAt") : data.get("until");
                node(label, "waiting" + (due == null ? "" : " until " + due));
            }
            case EventTypes.APPROVAL_REQUESTED -> node(label, "awaiting approval" + suffix(data.get("message")));
            case EventTypes.APPROVAL_RESOLVED -> node(label,
                    (Boolean.TRUE.equals(data.get("approved")) ? "approved" : "rejected")
                            + (data.get("by") == null ? "" : " by " + data.get("by"))
                            + (data.get("comment") == null ? "" : " (" + data.get("comment") + ")"));
            case EventTypes.TOOL_CALL_REQUESTED -> node(label, "calls tool " + data.get("tool") + " "
                    + preview(data.get("arguments")));
            case EventTypes.TOOL_CALL_COMPLETED -> node(label, "tool " + data.get("tool") + " returned "
                    + preview(data.get("result")));
            case EventTypes.TOOL_CALL_FAILED -> node(label, "tool " + data.get("tool") + " failed: "
                    + preview(data.get("result")));
            case EventTypes.COST_UPDATED -> {
                // shown with node completion and at the end of the run
            }
            default -> {
                if (e.node() != null) {
                    node(label, "event " + e.type());
                }
            }
        }
        err.flush();
    }

    /** Ends an open line of streamed output. */
    synchronized void finish() {
        endDelta();
        err.flush();
    }

    private String label(RunEvent e) {
        String path = e.runId().equals(runId) || !e.runId().startsWith(runId + ":")
                ? "" : e.runId().substring(runId.length() + 1).replace(':', '/');
        if (e.node() == null) {
            return path;
        }
        return path.isEmpty() ? e.node() : path + "/" + e.node();
    }

    private void delta(String label, String text) {
        streamed.add(label);
        String prefix = "  " + TerminalText.safe(label) + ": ";
        if (!label.equals(openDelta)) {
            endDelta();
            err.print(prefix);
            openDelta = label;
        }
        err.print(TerminalText.safe(text).replace("\n", "\n" + prefix));
        err.flush();
    }

    private void endDelta() {
        if (openDelta != null) {
            err.println();
            openDelta = null;
        }
    }

    private void line(String text) {
        err.println(TerminalText.safe(text).replace("\n", "\n  "));
    }

    private void node(String label, String text) {
        String prefix = "  " + (label.isEmpty() ? "" : TerminalText.safe(label) + ": ");
        err.println(prefix + TerminalText.safe(text).replace("\n", "\n" + prefix));
    }

    private static String suffix(Object value) {
        return value == null || String.valueOf(value).isBlank() ? "" : ": " + value;
    }

    private static String attemptText(Object attempt) {
        return attempt instanceof Number n && n.intValue() > 1 ? " (attempt " + n + ")" : "";
    }

    static String errorText(Object errorClass, Object message) {
        String cls = errorClass == null ? "" : String.valueOf(errorClass);
        int dot = cls.lastIndexOf('.');
        String simple = dot >= 0 ? cls.substring(dot + 1) : cls;
        String msg = message == null ? "" : String.valueOf(message);
        return simple.isEmpty() ? msg : msg.isEmpty() ? simple : simple + ": " + msg;
    }

    private static String timing(Object durationMs, Object tokens, Object costMicros) {
        StringBuilder b = new StringBuilder();
        if (durationMs instanceof Number d) {
            b.append(" in ").append(millis(d.longValue()));
        }
        List<String> parts = new ArrayList<>();
        if (tokens instanceof Number t && t.longValue() > 0) {
            parts.add(t.longValue() + " tokens");
        }
        if (costMicros instanceof Number c && c.longValue() > 0) {
            parts.add(usd(c.longValue()));
        }
        if (!parts.isEmpty()) {
            b.append(" (").append(String.join(", ", parts)).append(')');
        }
        return b.toString();
    }

    static String millis(long ms) {
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return BigDecimal.valueOf(ms, 3).setScale(1, RoundingMode.HALF_UP).toPlainString() + " s";
        }
        long s = ms / 1000;
        return (s / 60) + " min " + (s % 60) + " s";
    }

    /** Micro-dollars as dollars: {@code $0.000085}, {@code $1.25}. */
    static String usd(long micros) {
        BigDecimal d = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        if (d.scale() < 2) {
            d = d.setScale(2);
        }
        return "$" + d.toPlainString();
    }

    private static String preview(Object value) {
        String s = value instanceof String str ? str : Json.write(value);
        s = s.replace('\n', ' ').strip();
        return s.length() <= PREVIEW ? s : s.substring(0, PREVIEW) + "...";
    }
}
