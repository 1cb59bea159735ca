package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.ConsumerLag;
import dev.caravan.app.triggers.TriggerStatus.SlotLag;
import dev.caravan.compile.TriggerRoutes;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.PropertiesComponent;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * How far triggers are behind their sources: a Kafka trigger's consumer lag, a cdc trigger's replication slot lag.
 * Read when asked (by the health check, the API, the supervisor), never per event; a read is reused for
 * {@code cacheFor}, and gives up after {@code timeout} with the reason instead of a number.
 */
public final class TriggerLags implements Service {

    /** How long a lag read is reused (property {@value}, milliseconds, default 3,000). */
    public static final String CACHE_MILLIS = "caravan.triggers.lag.cache-millis";
    /** How long a lag read may take (property {@value}, milliseconds, default 2,000). */
    public static final String TIMEOUT_MILLIS = "caravan.triggers.lag.timeout-millis";

    private record Cached(Object lag, long readAtNanos) {
    }

    private final Duration cacheFor;
    private final Duration timeout;
    private final SlotLags slots;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private ConsumerLags consumers;

    public TriggerLags(Duration cacheFor, Duration timeout) {
        this.cacheFor = cacheFor;
        this.timeout = timeout;
        this.slots = new SlotLags(timeout);
    }

    /** The consumer lag of a Kafka trigger, read from the brokers its route consumes from (the kafka component's). */
    public ConsumerLag consumerLag(CamelContext context, Workflow wf, Trigger.Kafka k) {
        return (ConsumerLag) cached(TriggerRoutes.routeId(wf, k),
                () -> consumers(context).read(k.topic(), k.group()));
    }

    /** The slot lag of a cdc trigger, read from the database its route reads ({@code caravan.triggers.cdc.*}). */
    public SlotLag slotLag(CamelContext context, Workflow wf, Trigger.Cdc c) {
        return (SlotLag) cached(TriggerRoutes.routeId(wf, c), () -> {
            PropertiesComponent p = context.getPropertiesComponent();
            SlotLags.Database db = new SlotLags.Database(
                    p.resolveProperty(TriggerRoutes.CDC_HOSTNAME).orElse("localhost"),
                    p.resolveProperty(TriggerRoutes.CDC_PORT).orElse("5432"),
                    p.resolveProperty(TriggerRoutes.CDC_DATABASE).orElse(""),
                    p.resolveProperty(TriggerRoutes.CDC_USER).orElse(""),
                    p.resolveProperty(TriggerRoutes.CDC_PASSWORD).orElse(""));
            return slots.read(db, TriggerRoutes.slotName(wf, c));
        });
    }

    private Object cached(String routeId, Supplier<Object> read) {
        Cached c = cache.get(routeId);
        if (c == null || System.nanoTime() - c.readAtNanos() > cacheFor.toNanos()) {
            c = new Cached(read.get(), System.nanoTime());
            cache.put(routeId, c);
        }
        return c.lag();
    }

    private synchronized ConsumerLags consumers(CamelContext context) {
        if (consumers == null) {
            consumers = new ConsumerLags(context.getComponent("kafka", KafkaComponent.class).getConfiguration()
                    .getBrokers(), timeout);
        }
        return consumers;
    }

    @Override
    public void start() {
        // the readers are made on first use
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
