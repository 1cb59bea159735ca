package dev.caravan.app.kafka;

import dev.caravan.event.EventSink;
import dev.caravan.event.PseudoRunIds;
import dev.caravan.event.RunEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes the events that belong to no run (lanes', kill switches', triggers': their {@code runid} is a pseudo id,
 * see {@link PseudoRunIds}) to Kafka, in the same binary mode as run events, keyed by that pseudo id so each
 * lane's or switch's events keep their order.
 *
 * <p>They have no outbox: the state they report (a lane, a switch) is itself in the cluster. So they are delivered at
 * least once while the member lives, and waiting for Kafka is bounded: the producer retries what it holds for as long
 * as Kafka is away, and beyond {@link #QUEUE_CAPACITY} events waiting here new ones are dropped, counted and logged.
 * Events still waiting when the member dies are lost.
 */
final class PlatformEventPublisher implements EventSink {

    private static final Logger LOG = LoggerFactory.getLogger(PlatformEventPublisher.class);

    static final int QUEUE_CAPACITY = 10_000;
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final EventTopic eventTopic;
    private final BinaryCloudEvents records = new BinaryCloudEvents();
    private final BlockingQueue<RunEvent> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile long lastDropWarning;
    private volatile String lastError;
    private volatile boolean running;
    private KafkaProducer<String, byte[]> producer;
    private final SendingThread thread = new SendingThread("caravan-platform-events");

    PlatformEventPublisher(String bootstrapServers, String topic, int partitions) {
        this.eventTopic = new EventTopic(bootstrapServers, topic, partitions);
    }

    String topic() {
        return eventTopic.name();
    }

    @Override
    public void publish(List<RunEvent> events) {
        // on a partition thread: never wait
        if (!running) {
            return;
        }
        for (RunEvent e : events) {
            if (!queue.offer(e)) {
                dropped.incrementAndGet();
                long now = System.nanoTime();
                if (now - lastDropWarning >= WARN_EVERY_NANOS) {
                    lastDropWarning = now;
                    LOG.warn("{} lane, kill-switch and trigger events wait for Kafka at {}: dropped {} so far "
                             + "(the lanes and switches themselves are unaffected){}", queue.size(),
                            eventTopic.bootstrapServers(), dropped.get(), lastError == null ? "" : ": " + lastError);
                }
            }
        }
    }

    synchronized void start() {
        if (running) {
            return;
        }
        producer = eventTopic.producer();
        running = true;
        thread.start(this::relay);
    }

    void stop() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        thread.stop();
        producer.close(Duration.ofSeconds(2));
    }

    /** Events waiting here or in the producer. */
    long backlog() {
        return queue.size() + inFlight.get();
    }

    long published() {
        return published.get();
    }

    /** Events dropped because too many waited for Kafka. */
    long dropped() {
        return dropped.get();
    }

    /** Events Kafka refused for good (too large). */
    long refused() {
        return refused.get();
    }

    private void relay() {
        long backoffMillis = 250;
        boolean topicReady = false;
        RunEvent next = null;
        while (running) {
            try {
                if (!topicReady) {
                    try {
                        eventTopic.ensure(producer);
                        topicReady = true;
                    } catch (ExecutionException | RuntimeException e) {
                        lastError = String.valueOf(e instanceof ExecutionException ? e.getCause() : e);
                        TimeUnit.MILLISECONDS.sleep(backoffMillis);
                        backoffMillis = Math.min(5_000, backoffMillis * 2);
                        continue;
                    }
                }
                if (next == null) {
                    next = queue.poll(1, TimeUnit.SECONDS);
                    if (next == null) {
                        continue;
                    }
                }
                if (send(next)) {
                    next = null;
                    backoffMillis = 250;
                } else {
                    // not taken (no metadata, or the producer's buffer is full): this event again, so order holds
                    TimeUnit.MILLISECONDS.sleep(backoffMillis);
                    backoffMillis = Math.min(5_000, backoffMillis * 2);
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    /**
     * Hands the event to the producer; false when it did not take it (no metadata within {@code max.block.ms}, a full
     * buffer: {@link SendingThread#send}).
     */
    private boolean send(RunEvent e) {
        inFlight.incrementAndGet();
        Exception notQueued = thread.send(producer, records.record(eventTopic.name(), e), (metadata, failure) -> {
            inFlight.decrementAndGet();
            if (failure == null) {
                published.incrementAndGet();
            } else {
                // retriable failures are retried for as long as Kafka is away: this one is for good
                lastError = failure.toString();
                refused.incrementAndGet();
                LOG.error("Kafka refused event {} ({}): it is not on the topic{}", e.id(), e.type(),
                        failure instanceof RecordTooLargeException ? " (too large)" : "", failure);
            }
        });
        if (notQueued != null) {
            inFlight.decrementAndGet();
            lastError = notQueued.toString();
            return false;
        }
        return true;
    }
}
