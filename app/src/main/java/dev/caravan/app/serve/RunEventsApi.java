package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.util.RawValue;
import dev.caravan.event.CloudEventJson;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import dev.caravan.state.RunRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code GET /api/v1/workflows/{runId}/events} does apart from HTTP: the run's events as CloudEvents, a page at a
 * time in sequence order ({@link #page}); and the checks its event stream ({@link EventStreams}) shares with the page.
 */
final class RunEventsApi {

    /** Events per page when the request does not say. */
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    private final Supplier<Engine> engine;

    RunEventsApi(Supplier<Engine> engine) {
        this.engine = engine;
    }

    /**
     * {@code GET /api/v1/workflows/{runId}/events?after=&limit=}: up to {@code limit} events with a sequence number
     * above {@code after}; {@code next} asks for the page after, null when the run has made no event after this page
     * (yet).
     */
    ApiResponse page(String tenant, String runId, Map<String, String> query) {
        long after = sequence(query.get("after"), "after");
        int limit = limit(query.get("limit"));
        owned(tenant, runId);
        // one more than asked: whether it comes says whether there is a next page
        Engine e = engine.get();
        List<RunEvent> found = e.store().events(runId, after, limit + 1);
        List<RunEvent> events = found.size() > limit ? found.subList(0, limit) : found;
        List<Object> page = new ArrayList<>(events.size());
        for (RunEvent event : events) {
            // with the values of references (large inputs and outputs); written as it is, not parsed to be written again
            page.add(new RawValue(CloudEventJson.toJson(e.values().resolve(event))));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("events", page);
        body.put("next", found.size() > limit
                ? path(runId) + "?after=" + events.get(events.size() - 1).sequence() + "&limit=" + limit
                : null);
        return ApiResponse.of(200, body);
    }

    /** The run, when the caller's tenant owns it; a run of another tenant is not found, as an unknown one. */
    RunRecord owned(String tenant, String runId) {
        return RunApi.owned(engine.get(), tenant, runId);
    }

    static String path(String runId) {
        return RunApi.BASE + "/workflows/" + runId + "/events";
    }

    /**
     * A sequence number a client sends ({@code after}, {@code Last-Event-ID}): 0 or more; absent means 0, before the
     * first event.
     */
    static long sequence(String value, String name) {
        if (value == null) {
            return 0;
        }
        long n;
        try {
            n = Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0) {
            throw new ApiException(400, "REQUEST_INVALID", "Invalid request", name + " must be the sequence number "
                    + "of an event (a whole number, 0 for the start), not " + shown(value));
        }
        return n;
    }

    private static int limit(String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX_LIMIT) {
            throw new ApiException(400, "REQUEST_INVALID", "Invalid request", "limit must be a number from 1 to "
                    + MAX_LIMIT);
        }
        return n;
    }

    /** A value the client sent, cut short: a detail never carries a long text back. */
    private static String shown(String value) {
        return "'" + (value.length() > 20 ? value.substring(0, 20) + "..." : value) + "'";
    }
}
