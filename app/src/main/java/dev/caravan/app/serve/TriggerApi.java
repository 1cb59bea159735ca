package dev.caravan.app.serve;

import dev.caravan.app.triggers.TriggerStatus;
import dev.caravan.app.triggers.TriggerStatuses;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /api/v1/triggers} answers, apart from HTTP: every trigger of the deployed workflows with its route's
 * state, activity, lag and restarts. Triggers belong to workflows, which every tenant sees (as
 * {@code GET /api/v1/workflows} shows them), so the list is the same for every key.
 */
final class TriggerApi {

    private final TriggerStatuses statuses;

    TriggerApi(TriggerStatuses statuses) {
        this.statuses = statuses;
    }

    ApiResponse list() {
        List<Object> out = new ArrayList<>();
        for (TriggerStatus t : statuses.all()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("workflow", t.workflow());
            m.put("id", t.id());
            m.put("kind", t.kind());
            m.put("route", t.route());
            m.put("state", t.state());
            m.put("received", t.received());
            m.put("started", t.started());
            m.put("skipped", t.skipped());
            m.put("failed", t.failed());
            m.put("lastEventAt", t.lastEventAt() == null ? null : t.lastEventAt().toString());
            m.put("lastError", t.lastError());
            m.put("lag", t.lag());
            m.put("slotLag", t.slotLag());
            m.put("restarts", t.restarts());
            out.add(m);
        }
        return ApiResponse.of(200, Map.of("triggers", out));
    }
}
