package dev.caravan.app.serve;

import dev.caravan.app.triggers.TriggerStatus;
import dev.caravan.app.triggers.TriggerStatuses;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The workflows' triggers: each trigger route's state, and what it received (events, runs started, skipped, failed,
 * the last event's time and the last failure), its lag (Kafka consumer lag, replication slot lag) and restarts, as
 * {@link TriggerStatuses} puts them together. Down while a trigger route is not started; a liveness and readiness
 * check of its own neither way, since the API and the other triggers serve on.
 */
final class TriggersHealthCheck extends AbstractHealthCheck {

    private final TriggerStatuses statuses;

    TriggersHealthCheck(TriggerStatuses statuses) {
        super("caravan", "triggers");
        this.statuses = statuses;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        List<String> stopped = new ArrayList<>();
        for (TriggerStatus t : statuses.all()) {
            builder.detail(t.route() + ".status", t.state());
            if (!t.running()) {
                stopped.add(t.route());
            }
            String key = t.workflow() + "/" + t.id();
            builder.detail(key + ".received", t.received())
                    .detail(key + ".started", t.started())
                    .detail(key + ".skipped", t.skipped())
                    .detail(key + ".failed", t.failed())
                    .detail(key + ".restarts", t.restarts());
            if (t.lastEventAt() != null) {
                builder.detail(key + ".lastEventAt", t.lastEventAt().toString());
            }
            if (t.lastError() != null) {
                builder.detail(key + ".lastError", t.lastError());
            }
            if (t.lag() != null) {
                detailOrError(builder, key + ".lag", t.lag().records(), t.lag().error());
            }
            if (t.slotLag() != null) {
                detailOrError(builder, key + ".slotLag", t.slotLag().bytes(), t.slotLag().error());
                builder.detail(key + ".slotActive", t.slotLag().active());
            }
        }
        if (stopped.isEmpty()) {
            builder.up();
        } else {
            builder.message("trigger routes not started: " + String.join(", ", stopped)).down();
        }
    }

    /** A lag read, or why it could not be read ({@code <key>Error}). */
    private static void detailOrError(HealthCheckResultBuilder builder, String key, Long value, String error) {
        if (value != null) {
            builder.detail(key, value);
        } else {
            builder.detail(key + "Error", error);
        }
    }
}
