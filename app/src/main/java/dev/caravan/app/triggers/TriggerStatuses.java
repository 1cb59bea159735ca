package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.ConsumerLag;
import dev.caravan.app.triggers.TriggerStatus.SlotLag;
import dev.caravan.compile.TriggerRoutes;
import dev.caravan.component.run.RunComponent;
import dev.caravan.component.run.TriggerActivity;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.Engine;
import dev.caravan.run.WorkflowCatalog;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.PropertiesComponent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The one place a trigger's status is put together (its route's state, its activity, its lag, its restarts): the
 * health check and {@code GET /api/v1/triggers} render what {@link #all} returns. Lag is read when asked, at most once
 * per trigger within {@code cacheFor}, and each read gives up after {@code timeout}.
 */
public final class TriggerStatuses implements Service {

    /** How long a lag read is reused (property {@value}, milliseconds, default 3,000). */
    public static final String CACHE_MILLIS = "caravan.triggers.lag.cache-millis";
    /** How long a lag read may take (property {@value}, milliseconds, default 2,000). */
    public static final String TIMEOUT_MILLIS = "caravan.triggers.lag.timeout-millis";

    private record Cached(Object lag, long readAtNanos) {
    }

    private final Supplier<CamelContext> camel;
    private final TriggerSupervisor supervisor;
    private final Duration cacheFor;
    private final SlotLags slots;
    private final Duration timeout;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private ConsumerLags consumers;

    public TriggerStatuses(Supplier<CamelContext> camel, TriggerSupervisor supervisor, Duration cacheFor,
            Duration timeout) {
        this.camel = camel;
        this.supervisor = supervisor;
        this.cacheFor = cacheFor;
        this.timeout = timeout;
        this.slots = new SlotLags(timeout);
    }

    /** Every trigger of the deployed workflows, by workflow name and then in file order. */
    public List<TriggerStatus> all() {
        CamelContext context = camel.get();
        WorkflowCatalog catalog = Engine.of(context).catalog();
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
                ConsumerLag lag = t instanceof Trigger.Kafka k
                        ? (ConsumerLag) cached(routeId, () -> consumers(context).read(k.topic(), k.group())) : null;
                SlotLag slotLag = t instanceof Trigger.Cdc c
                        ? (SlotLag) cached(routeId, () -> slotLag(context, TriggerRoutes.slotName(wf, c))) : null;
                out.add(new TriggerStatus(wf.name(), t.id(), t.kind(), routeId,
                        status == null ? "Missing" : status.name(),
                        a == null ? 0 : a.received(), a == null ? 0 : a.started(), a == null ? 0 : a.skipped(),
                        a == null ? 0 : a.failed(), a == null ? null : a.lastEventAt(),
                        a == null ? null : a.lastError(), lag, slotLag, supervisor.restarts(routeId)));
            }
        }
        return out;
    }

    private Object cached(String routeId, Supplier<Object> read) {
        long now = System.nanoTime();
        Cached c = cache.get(routeId);
        if (c == null || now - c.readAtNanos() > cacheFor.toNanos()) {
            c = new Cached(read.get(), System.nanoTime());
            cache.put(routeId, c);
        }
        return c.lag();
    }

    /** The lag reader on the brokers Kafka triggers consume from: the kafka component's. */
    private synchronized ConsumerLags consumers(CamelContext context) {
        if (consumers == null) {
            consumers = new ConsumerLags(context.getComponent("kafka", KafkaComponent.class).getConfiguration()
                    .getBrokers(), timeout);
        }
        return consumers;
    }

    private SlotLag slotLag(CamelContext context, String slot) {
        PropertiesComponent p = context.getPropertiesComponent();
        SlotLags.Database db = new SlotLags.Database(
                p.resolveProperty(TriggerRoutes.CDC_HOSTNAME).orElse("localhost"),
                p.resolveProperty(TriggerRoutes.CDC_PORT).orElse("5432"),
                p.resolveProperty(TriggerRoutes.CDC_DATABASE).orElse(""),
                p.resolveProperty(TriggerRoutes.CDC_USER).orElse(""),
                p.resolveProperty(TriggerRoutes.CDC_PASSWORD).orElse(""));
        return slots.read(db, slot);
    }

    @Override
    public void start() {
        // lag readers are made on first use
    }

    /** Closes the Kafka client with Camel. */
    @Override
    public synchronized void stop() {
        if (consumers != null) {
            consumers.close();
            consumers = null;
        }
    }
}
