package dev.caravan.app.serve;

import dev.caravan.compile.TriggerRoutes;
import dev.caravan.component.run.RunComponent;
import dev.caravan.component.run.TriggerActivity;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The workflows' triggers: each trigger route's state, and what it received (events, runs started, skipped, failed,
 * the last event's time and the last failure). Down while a trigger route is not started; a liveness and readiness
 * check of its own neither way, since the API and the other triggers serve on.
 */
final class TriggersHealthCheck extends AbstractHealthCheck {

    private final CamelContext camel;

    TriggersHealthCheck(CamelContext camel) {
        super("caravan", "triggers");
        this.camel = camel;
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
        for (Route route : camel.getRoutes()) {
            if (route.getRouteId().startsWith(TriggerRoutes.ROUTE_PREFIX)) {
                ServiceStatus status = camel.getRouteController().getRouteStatus(route.getRouteId());
                builder.detail(route.getRouteId() + ".status", String.valueOf(status));
                if (status != ServiceStatus.Started) {
                    stopped.add(route.getRouteId());
                }
            }
        }
        for (TriggerActivity.Snapshot t : camel.getComponent("caravan-run", RunComponent.class).triggerActivity()) {
            String key = t.workflow() + "/" + t.trigger();
            builder.detail(key + ".received", t.received())
                    .detail(key + ".started", t.started())
                    .detail(key + ".skipped", t.skipped())
                    .detail(key + ".failed", t.failed());
            if (t.lastEventAt() != null) {
                builder.detail(key + ".lastEventAt", t.lastEventAt().toString());
            }
            if (t.lastError() != null) {
                builder.detail(key + ".lastError", t.lastError());
            }
        }
        if (stopped.isEmpty()) {
            builder.up();
        } else {
            builder.message("trigger routes not started: " + String.join(", ", stopped)).down();
        }
    }
}
