package dev.caravan.app.serve;

import dev.caravan.app.kafka.KafkaEventRelay;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.time.Duration;
import java.util.Map;

/**
 * The event relay and its backlog. Down once events have waited for Kafka with no acknowledgement longer than
 * {@link #STALLED_AFTER}; a liveness and readiness check of its own neither way: runs go on while Kafka is away (their events wait in their
 * outboxes), so the pod stays in service and is not restarted for it, but the overall health says so.
 */
final class EventRelayHealthCheck extends AbstractHealthCheck {

    static final Duration STALLED_AFTER = Duration.ofSeconds(60);

    private final KafkaEventRelay relay;

    EventRelayHealthCheck(KafkaEventRelay relay) {
        super("caravan", "event-relay");
        this.relay = relay;
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
        Duration waiting = relay.waitingForKafka();
        builder.detail("topic", relay.topic())
                .detail("backlog", relay.backlog())
                .detail("runs.unconfirmed", relay.unconfirmedRuns())
                .detail("published", relay.published())
                .detail("refused", relay.refused())
                .detail("waiting.ms", waiting.toMillis())
                .detail("runs.stalled", relay.stalledRuns())
                .detail("producer.replaced.stalled", relay.producersReplacedAfterStall())
                .detail("producer.replaced.failed", relay.producersReplacedAfterFailure())
                .detail("platform.topic", relay.platformTopic())
                .detail("platform.backlog", relay.platformBacklog())
                .detail("platform.published", relay.platformPublished())
                .detail("platform.lost", relay.platformLost());
        if (waiting.compareTo(STALLED_AFTER) > 0) {
            builder.message("run events have waited for Kafka for " + waiting.toSeconds() + " s"
                            + (relay.lastError() == null ? "" : ": " + relay.lastError())).down();
        } else {
            builder.up();
        }
    }
}
