package dev.caravan.app.serve;

import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.app.triggers.TriggerStatus;
import dev.caravan.app.triggers.TriggerStatuses;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Caravan's own meters on {@code /observe/metrics}, beside Camel's routes and the JVM: the event relay (its backlog,
 * for the alert "events wait for Kafka") and each trigger's lag and whether its route runs (its counts are in
 * {@code GET /api/v1/triggers}). The relay's are read at each scrape; the triggers' are refreshed by
 * {@link #refreshTriggers}, every 15 s by default ({@value #TRIGGERS_REFRESH}), since a lag is a call to Kafka or the
 * database (cached and bounded by {@code TriggerLags}), not a field to read.
 */
final class CaravanMeters {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanMeters.class);

    /** How often the triggers' meters are refreshed (property {@value}, milliseconds, default 15,000). */
    static final String TRIGGERS_REFRESH = "caravan.triggers.metrics.refresh-millis";

    private final TriggerStatuses triggers;
    private final MultiGauge triggerLag;
    private final MultiGauge slotLag;
    private final MultiGauge triggerUp;

    CaravanMeters(MeterRegistry registry, KafkaEventRelay relay, TriggerStatuses triggers) {
        this.triggers = triggers;
        Gauge.builder("caravan.events.backlog", relay, KafkaEventRelay::backlog)
                .description("Run events in this member's outboxes that Kafka has not acknowledged yet")
                .register(registry);
        Gauge.builder("caravan.events.unconfirmed.runs", relay, KafkaEventRelay::unconfirmedRuns)
                .description("Runs of this member with events Kafka has not acknowledged yet").register(registry);
        Gauge.builder("caravan.events.waiting", relay, r -> r.waitingForKafka().toMillis() / 1000.0)
                .baseUnit("seconds")
                .description("How long the oldest unacknowledged event has waited for Kafka (0 when none waits)")
                .register(registry);
        FunctionCounter.builder("caravan.events.published", relay, KafkaEventRelay::published)
                .description("Run events Kafka acknowledged").register(registry);
        FunctionCounter.builder("caravan.events.refused", relay, KafkaEventRelay::refused)
                .description("Run events Kafka refused for good (kept in the run's event log)").register(registry);
        Map<String, ToDoubleFunction<KafkaEventRelay>> replacements = Map.of(
                "stalled", KafkaEventRelay::producersReplacedAfterStall,
                "failed", KafkaEventRelay::producersReplacedAfterFailure);
        replacements.forEach((reason, count) -> FunctionCounter
                .builder("caravan.events.producer.replaced", relay, count)
                .tags("reason", reason)
                .description("Kafka producers the relay replaced: stalled, its events waited the stall timeout while "
                             + "Kafka answered; failed, a send failed")
                .register(registry));
        Gauge.builder("caravan.platform.events.backlog", relay, KafkaEventRelay::platformBacklog)
                .description("Lane, kill-switch and trigger events waiting for Kafka in memory").register(registry);
        FunctionCounter.builder("caravan.platform.events.published", relay, KafkaEventRelay::platformPublished)
                .description("Lane, kill-switch and trigger events Kafka acknowledged").register(registry);
        FunctionCounter.builder("caravan.platform.events.lost", relay, KafkaEventRelay::platformLost)
                .description("Lane, kill-switch and trigger events dropped while Kafka was away, or refused")
                .register(registry);
        triggerLag = MultiGauge.builder("caravan.trigger.lag.records")
                .description("Records on a Kafka trigger's topic its consumer group has not committed").register(registry);
        slotLag = MultiGauge.builder("caravan.trigger.slot.lag").baseUnit("bytes")
                .description("How far a cdc trigger's replication slot is behind the write-ahead log").register(registry);
        triggerUp = MultiGauge.builder("caravan.trigger.up")
                .description("1 while a trigger's route runs, else 0").register(registry);
    }

    /** Reads every trigger's status once and sets its meters; a trigger no longer deployed loses its own. */
    void refreshTriggers() {
        try {
            List<TriggerStatus> all = triggers.all();
            triggerLag.register(rows(all.stream().filter(t -> t.lag() != null && t.lag().records() != null).toList(),
                    t -> t.lag().records()), true);
            slotLag.register(rows(all.stream().filter(t -> t.slotLag() != null && t.slotLag().bytes() != null)
                    .toList(), t -> t.slotLag().bytes()), true);
            triggerUp.register(rows(all, t -> TriggerStatus.STARTED.equals(t.state()) ? 1 : 0), true);
        } catch (RuntimeException e) {
            // the next refresh tries again; the meters keep their last values meanwhile
            LOG.debug("Cannot refresh the triggers' meters", e);
        }
    }

    private static List<MultiGauge.Row<?>> rows(List<TriggerStatus> statuses, ToDoubleFunction<TriggerStatus> value) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>(statuses.size());
        for (TriggerStatus t : statuses) {
            double v = value.applyAsDouble(t);
            rows.add(MultiGauge.Row.of(Tags.of("workflow", t.workflow(), "trigger", t.id(), "kind", t.kind()), v));
        }
        return rows;
    }
}
