package dev.caravan.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.caravan.dsl.Durations;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * Follows a run's events over the server's Server-Sent Events stream until the run ends. A dropped connection (the
 * server restarted, the network broke) is opened again with backoff and {@code Last-Event-ID} set to the last sequence
 * printed, so every event is printed once and none is missed; the server ends the stream once the run ended.
 */
final class RunTail {

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private final ServerClient client;
    private final String runId;
    private final boolean json;
    private final PrintStream out;
    private final PrintStream err;
    private final Duration reconnectFor;
    private final Progress progress;
    private long last;
    private RunEvent end;

    RunTail(ServerClient client, String runId, boolean json, PrintStream out, PrintStream err, Duration reconnectFor) {
        this.client = client;
        this.runId = runId;
        this.json = json;
        this.out = out;
        this.err = err;
        this.reconnectFor = reconnectFor;
        this.progress = json ? null : new Progress(out, runId);
    }

    /** Prints the run's events until it ends; the exit code says how it ended. */
    int follow() {
        String path = "/api/v1/workflows/" + ServerClient.segment(runId) + "/events";
        boolean connectedOnce = false;
        long lostSince = 0;
        Duration backoff = FIRST_BACKOFF;
        while (true) {
            try {
                HttpResponse<InputStream> r = client.stream(path, last);
                if (r.statusCode() == 200) {
                    connectedOnce = true;
                    lostSince = 0;
                    backoff = FIRST_BACKOFF;
                    read(r.body());
                    if (end != null) {
                        return finish();
                    }
                    // the server ended the stream before the run ended: it is going away; connect again
                } else {
                    ServerClient.Answer answer = new ServerClient.Answer(r.statusCode(), drain(r.body()));
                    if (r.statusCode() < 500) {
                        throw client.refusal(answer);
                    }
                }
            } catch (IOException e) {
                if (!connectedOnce) {
                    throw client.unreachable(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserException(ExitCodes.INTERRUPTED, "interrupted");
            }
            long now = System.nanoTime();
            if (lostSince == 0) {
                lostSince = now;
                err.println("caravan: lost the event stream of " + client.base() + " after event " + last
                        + "; reconnecting");
            } else if (Duration.ofNanos(now - lostSince).compareTo(reconnectFor) > 0) {
                throw new UserException(ExitCodes.UNREACHABLE, "the server at " + client.base()
                        + " did not come back within " + Durations.format(reconnectFor)
                        + "; continue with 'caravan runs tail " + runId + "'");
            }
            pause(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private void read(InputStream body) throws IOException {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            long id = 0;
            StringBuilder data = null;
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null && id > last) {
                        event(id, data.toString());
                    }
                    id = 0;
                    data = null;
                } else if (line.startsWith("id:")) {
                    id = Long.parseLong(field(line, 3));
                } else if (line.startsWith("data:")) {
                    data = data == null ? new StringBuilder() : data.append('\n');
                    data.append(field(line, 5));
                }
                // comments (keep-alives) and event: lines carry nothing the data does not
            }
        }
    }

    private void event(long id, String data) {
        last = id;
        RunEvent e = runEvent(data);
        if (json) {
            out.println(TerminalText.json(data));
            out.flush();
        } else {
            progress.accept(e);
        }
        if (e.runId().equals(runId)) {
            // a retried run ends again later: only its last event says whether it ended
            boolean ended = EventTypes.RUN_COMPLETED.equals(e.type()) || EventTypes.RUN_FAILED.equals(e.type())
                    || EventTypes.RUN_CANCELLED.equals(e.type());
            end = ended ? e : null;
        }
    }

    private int finish() {
        if (progress != null) {
            progress.finish();
            if (EventTypes.RUN_FAILED.equals(end.type())) {
                Map<?, ?> d = end.data() instanceof Map<?, ?> m ? m : Map.of();
                out.println(TerminalText.safe("run failed" + (d.get("node") == null ? "" : " at node " + d.get("node"))
                        + ": " + Progress.errorText(d.get("errorClass"), d.get("message"))));
            }
            out.flush();
        }
        return EventTypes.RUN_COMPLETED.equals(end.type()) ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** A CloudEvent in structured JSON, as the run event it was made from. */
    static RunEvent runEvent(String cloudEvent) {
        Map<String, Object> ce;
        try {
            ce = Json.MAPPER.readValue(cloudEvent, OBJECT);
        } catch (JsonProcessingException e) {
            throw new UserException(ExitCodes.FAILED, "the server sent an event that is not JSON", e);
        }
        return new RunEvent(text(ce, "type"), text(ce, "runid"), ce.get("sequence") instanceof Number n
                ? n.longValue() : 0, time(text(ce, "time")), text(ce, "workflow"), text(ce, "tenantid"),
                text(ce, "laneid"), text(ce, "node"), text(ce, "parentrunid"), ce.get("data"),
                text(ce, "correlationid"));
    }

    private static String text(Map<String, Object> ce, String member) {
        Object v = ce.get(member);
        return v == null ? null : String.valueOf(v);
    }

    private static long time(String iso) {
        try {
            return iso == null ? 0 : OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static String field(String line, int from) {
        return line.length() > from && line.charAt(from) == ' ' ? line.substring(from + 1) : line.substring(from);
    }

    private static String drain(InputStream body) throws IOException {
        try (body) {
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException(ExitCodes.INTERRUPTED, "interrupted");
        }
    }
}
