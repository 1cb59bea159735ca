package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.SlotLag;
import dev.caravan.compile.TriggerRoutes;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import dev.caravan.event.EventTypes;
import dev.caravan.event.PseudoRunIds;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import dev.caravan.run.WorkflowCatalog;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Route;
import org.apache.camel.Service;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaConsumer;
import org.apache.camel.component.kafka.TaskHealthState;
import org.apache.camel.spi.RouteError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps trigger routes running: a trigger route that failed (it failed to start, was stopped because of an error, its
 * Kafka consumer's every fetch task ended, or no consumer has read a cdc trigger's replication slot for
 * {@code cdcGrace} while the route runs: Debezium's engine ends without telling the route) is started again with
 * exponential backoff, from
 * {@code firstBackoff} doubling up to {@code maxBackoff}, for as long as it fails. A route stopped on purpose (stopped
 * without an error) is left alone.
 *
 * <p>Camel's own {@code SupervisingRouteController} restarts routes that fail while Camel starts; trigger routes are
 * added later, when a workflow is deployed, and the failures that matter here come while they run, so the server
 * supervises them itself, on one thread, looking every {@code checkEvery}.
 *
 * <p>Each failure and restart is a WARN line and an event of no run ({@link Engine#platformEvents}: the bus, and
 * Kafka with a relay): {@code caravan.trigger.failed} and {@code caravan.trigger.restarted}, under the pseudo run id
 * {@code trigger:<workflow>/<id>@<member>}, with data {@code {attempt, reason, nextAttemptInMillis}}. Their sequence
 * is counted in memory from 1 per trigger and member; the member's UUID, new at each start, keeps the event ids of two
 * members, or of one member before and after a restart, apart.
 */
public final class TriggerSupervisor implements Service {

    private static final Logger LOG = LoggerFactory.getLogger(TriggerSupervisor.class);

    /** How often trigger routes are looked at (property {@value}, milliseconds, default 1,000). */
    public static final String CHECK_MILLIS = "caravan.triggers.supervise.check-millis";
    /**
     * How long a running cdc trigger's replication slot may go unread before its route is restarted (property
     * {@value}, milliseconds, default 30,000): Debezium takes seconds to open it when the route starts.
     */
    public static final String CDC_GRACE_MILLIS = "caravan.triggers.supervise.cdc-grace-millis";

    /** What the supervisor knows of one trigger; touched by its thread only, but for {@link #restarts}. */
    private static final class Supervised {
        final String workflow;
        final String trigger;
        long sequence;
        volatile long restarts;
        int attempt;
        long nextAttemptAt;
        long restartedAt;
        long slotUnreadSince;
        String reason;

        Supervised(String workflow, String trigger) {
            this.workflow = workflow;
            this.trigger = trigger;
        }
    }

    private final Supplier<Engine> engine;
    private final TriggerLags lags;
    private final Duration checkEvery;
    private final Duration cdcGrace;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Map<String, Supervised> routes = new ConcurrentHashMap<>();
    private ScheduledExecutorService checks;

    /** @param engine the server's engine, null until it runs */
    public TriggerSupervisor(Supplier<Engine> engine, TriggerLags lags, Duration checkEvery, Duration cdcGrace,
            Duration firstBackoff, Duration maxBackoff) {
        this.engine = engine;
        this.lags = lags;
        this.checkEvery = checkEvery;
        this.cdcGrace = cdcGrace;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    /** How often the route was restarted since the member started. */
    public long restarts(String routeId) {
        Supervised s = routes.get(routeId);
        return s == null ? 0 : s.restarts;
    }

    @Override
    public synchronized void start() {
        if (checks == null) {
            checks = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "caravan-trigger-supervisor");
                t.setDaemon(true);
                return t;
            });
            long millis = checkEvery.toMillis();
            checks.scheduleWithFixedDelay(this::checkAll, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public synchronized void stop() {
        if (checks != null) {
            checks.shutdownNow();
            checks = null;
        }
    }

    private void checkAll() {
        try {
            // given, not looked up in the registry on every look
            Engine engine = this.engine.get();
            CamelContext context = engine == null ? null : engine.camelContext();
            if (context == null || !context.isStarted()) {
                return;
            }
            WorkflowCatalog catalog = engine.catalog();
            for (String name : catalog.names()) {
                Workflow wf = catalog.get(name);
                for (Trigger t : wf == null ? List.<Trigger>of() : wf.triggers()) {
                    String routeId = TriggerRoutes.routeId(wf, t);
                    Route route = context.getRoute(routeId);
                    if (route != null) {
                        check(context, engine, wf, t, route, routes.computeIfAbsent(routeId,
                                id -> new Supervised(wf.name(), t.id())));
                    }
                }
            }
        } catch (RuntimeException e) {
            // the next look tries again; the thread must not die of one
            LOG.warn("Cannot look at the trigger routes: {}", e.toString());
        }
    }

    private void check(CamelContext context, Engine engine, Workflow wf, Trigger t, Route route, Supervised s) {
        long now = System.currentTimeMillis();
        ServiceStatus status = context.getRouteController().getRouteStatus(route.getRouteId());
        String failure = failure(route, status);
        if (failure == null && status == ServiceStatus.Started && t instanceof Trigger.Cdc c) {
            failure = unreadSlot(context, wf, c, s, now);
        }
        if (failure == null) {
            // well again by itself, or stopped on purpose meanwhile: no restart is due
            s.reason = null;
            // healthy for as long as the longest wait: the next failure starts the backoff from the beginning
            if (s.attempt > 0 && status == ServiceStatus.Started && now - s.restartedAt >= maxBackoff.toMillis()) {
                s.attempt = 0;
            }
            return;
        }
        if (s.reason == null) {
            // newly failed: say so, and wait the first (or, failing again soon after a restart, a longer) delay
            s.reason = failure;
            s.attempt++;
            long delay = backoff(s.attempt);
            s.nextAttemptAt = now + delay;
            LOG.warn("Trigger {}/{} failed ({}): restarting its route {} in {} ms (attempt {})", s.workflow, s.trigger,
                    failure, route.getRouteId(), delay, s.attempt);
            publish(engine, s, EventTypes.TRIGGER_FAILED, failure, delay);
            return;
        }
        if (now < s.nextAttemptAt) {
            return;
        }
        try {
            if (status == ServiceStatus.Started) {
                context.getRouteController().stopRoute(route.getRouteId());
            }
            context.getRouteController().startRoute(route.getRouteId());
            s.restarts++;
            s.restartedAt = now;
            s.slotUnreadSince = 0;
            LOG.warn("Trigger {}/{} restarted: its route {} runs again (attempt {}, after: {})", s.workflow,
                    s.trigger, route.getRouteId(), s.attempt, s.reason);
            publish(engine, s, EventTypes.TRIGGER_RESTARTED, s.reason, null);
            s.reason = null;
        } catch (Exception e) {
            s.attempt++;
            long delay = backoff(s.attempt);
            s.nextAttemptAt = now + delay;
            s.reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            LOG.warn("Trigger {}/{} did not restart ({}): trying again in {} ms (attempt {})", s.workflow, s.trigger,
                    s.reason, delay, s.attempt);
            publish(engine, s, EventTypes.TRIGGER_FAILED, s.reason, delay);
        }
    }

    /**
     * Why the route needs a restart, or null: it failed to start, or was stopped with an error, or it runs but its
     * Kafka consumer's fetch tasks have all ended. Stopped with no error is stopped on purpose.
     */
    private static String failure(Route route, ServiceStatus status) {
        if (status == ServiceStatus.Stopped || status == ServiceStatus.Suspended) {
            RouteError error = route.getLastError();
            if (error != null && error.getException() != null) {
                Throwable e = error.getException();
                return (error.getPhase() == RouteError.Phase.START ? "its route failed to start: "
                        : "its route stopped on an error: ") + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            return null;
        }
        Consumer consumer = route.getConsumer();
        if (status == ServiceStatus.Started && consumer instanceof KafkaConsumer kafka) {
            List<TaskHealthState> tasks = kafka.healthStates();
            if (!tasks.isEmpty() && tasks.stream().allMatch(TaskHealthState::isTerminated)) {
                Exception last = tasks.get(0).getLastError();
                return "its Kafka consumer stopped" + (last == null ? "" : ": " + last.getClass().getSimpleName()
                        + ": " + last.getMessage());
            }
        }
        return null;
    }

    /**
     * Why a running cdc trigger needs a restart, or null: no consumer has read its replication slot for
     * {@code cdcGrace}. A slot that cannot be looked at (the database away) is Debezium's to wait for, not a failure.
     */
    private String unreadSlot(CamelContext context, Workflow wf, Trigger.Cdc c, Supervised s, long now) {
        SlotLag slot = lags.slotLag(context, wf, c);
        if (slot.error() != null || slot.active()) {
            s.slotUnreadSince = 0;
            return null;
        }
        if (s.slotUnreadSince == 0) {
            s.slotUnreadSince = now;
        }
        return now - s.slotUnreadSince >= cdcGrace.toMillis() ? "no consumer has read its replication slot "
                + slot.slot() + " for " + (now - s.slotUnreadSince) + " ms: Debezium stopped" : null;
    }

    /** {@code firstBackoff} doubled for each attempt after the first, at most {@code maxBackoff}. */
    long backoff(int attempt) {
        long first = firstBackoff.toMillis();
        long delay = first << Math.min(attempt - 1, 20);
        return Math.min(maxBackoff.toMillis(), delay < first ? maxBackoff.toMillis() : delay);
    }

    private void publish(Engine engine, Supervised s, String type, String reason, Long nextAttemptInMillis) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("attempt", s.attempt);
        data.put("reason", reason);
        data.put("nextAttemptInMillis", nextAttemptInMillis);
        s.sequence++;
        engine.platformEvents().publish(List.of(new RunEvent(type, eventRunId(engine, s.workflow, s.trigger),
                s.sequence, System.currentTimeMillis(), s.workflow, null, null, null, null, data)));
    }

    /**
     * A trigger's events travel on the run event bus under the pseudo run id {@code trigger:<workflow>/<id>@<member>}:
     * this member's counter, which starts at 1 when the member starts, numbers them.
     */
    public static String eventRunId(Engine engine, String workflow, String trigger) {
        return PseudoRunIds.trigger(workflow, trigger,
                engine.hazelcast().getCluster().getLocalMember().getUuid().toString());
    }
}
