package dev.caravan.app.triggers;

import dev.caravan.compile.TriggerRoutes;
import dev.caravan.component.run.RunComponent;
import dev.caravan.component.run.TriggerActivity;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.Engine;
import dev.caravan.run.WorkflowCatalog;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one place a trigger's status is put together (its route's state, its activity, its lag, its restarts): the
 * health check and {@code GET /api/v1/triggers} render what {@link #all} returns.
 */
public final class TriggerStatuses {

    private final Supplier<Engine> engine;
    private final TriggerLags lags;
    private final TriggerSupervisor supervisor;

    /** @param engine the server's engine, null until it runs */
    public TriggerStatuses(Supplier<Engine> engine, TriggerLags lags, TriggerSupervisor supervisor) {
        this.engine = engine;
        this.lags = lags;
        this.supervisor = supervisor;
    }

    /** Every trigger of the deployed workflows, by workflow name and then in file order. */
    public List<TriggerStatus> all() {
        Engine e = engine.get();
        if (e == null) {
            return List.of();
        }
        CamelContext context = e.camelContext();
        WorkflowCatalog catalog = e.catalog();
        Map<String, TriggerActivity.Snapshot> activity = new HashMap<>();
        for (TriggerActivity.Snapshot s : context.getComponent("caravan-run", RunComponent.class).triggerActivity()) {
            activity.put(s.workflow() + "/" + s.trigger(), s);
        }
        List<TriggerStatus> out = new ArrayList<>();
        for (String name : catalog.names().stream().sorted().toList()) {
            Workflow wf = catalog.get(name);
            for (Trigger t : wf == null ? List.<Trigger>of() : wf.triggers()) {
                String routeId = TriggerRoutes.routeId(wf, t);
                if (context.getRoute(routeId) == null) {
                    // a workflow registered without its triggers (caravan.triggers.enabled off)
                    continue;
                }
                ServiceStatus status = context.getRouteController().getRouteStatus(routeId);
                TriggerActivity.Snapshot a = activity.get(wf.name() + "/" + t.id());
                out.add(new TriggerStatus(wf.name(), t.id(), t.kind(), routeId,
                        status == null ? "Missing" : status.name(),
                        a == null ? 0 : a.received(), a == null ? 0 : a.started(), a == null ? 0 : a.skipped(),
                        a == null ? 0 : a.failed(), a == null ? null : a.lastEventAt(),
                        a == null ? null : a.lastError(),
                        t instanceof Trigger.Kafka k ? lags.consumerLag(context, wf, k) : null,
                        t instanceof Trigger.Cdc c ? lags.slotLag(context, wf, c) : null,
                        supervisor.restarts(routeId)));
            }
        }
        return out;
    }
}
