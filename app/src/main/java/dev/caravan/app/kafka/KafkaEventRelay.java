package dev.caravan.app.kafka;

import dev.caravan.event.EventTypes;
import dev.caravan.event.PseudoRunIds;
import dev.caravan.event.RunEvent;
import dev.caravan.state.EventRelay;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStore;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes run events from the runs' outboxes to a Kafka topic: CloudEvents in the Kafka binary mode (attributes as
 * {@code ce_*} headers, the data as the value), keyed by run id so a run's events share a partition, through an
 * idempotent producer with {@code acks=all} that retries for as long as Kafka is away. One thread relays, in sequence
 * order per run: an event reaches the producer only after every earlier event of its run did, and an event it never
 * received (a restart, a takeover, a full queue) it reads from the run's outbox first. What the broker acknowledged is
 * confirmed to the store (appended to the run's event log, dropped from its outbox).
 *
 * <p>While Kafka is away nothing grows here without bound: the producer's buffer is bounded, events that do not fit
 * in the relay's queue are dropped from memory (they stay in the outboxes, which a sweep every few seconds reads), and
 * the outboxes are bounded by the run retention. The backlog is a metric ({@link #backlog()}) and a warning in the log.
 *
 * <p>The producer is replaced, and every run sent again from its outbox, when a send fails, and when it is stalled:
 * a run's events waited for an acknowledgement longer than the stall timeout while Kafka answered ({@link StallWatch};
 * a producer can retry a batch for ever and never fail it, KAFKA-14359). The sweep looks for that in its pass over the
 * runs: what each send and acknowledgement adds is a field written on the run's cursor.
 */
public final class KafkaEventRelay implements EventRelay {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventRelay.class);

    public static final String DEFAULT_TOPIC = "caravan.run.events";
    /** Update batches the relay holds in memory; beyond, they wait in the outboxes for the sweep. */
    static final int QUEUE_CAPACITY = 16_384;
    /** The run types after which a run's relay state can go: it finished, or waits for something outside. */
    private static final Set<String> RESTING = Set.of(EventTypes.RUN_COMPLETED, EventTypes.RUN_FAILED,
            EventTypes.RUN_CANCELLED, EventTypes.RUN_PAUSED);
    /** Queued by the producer's thread to wake the relay's for acknowledgements: no events. */
    private static final List<RunEvent> WAKE = List.of();
    /** How many forgotten runs the relay remembers: minutes of runs, far beyond what its queue can lag. */
    private static final int FORGOTTEN_RUNS = 100_000;
    /** How often acknowledged events are confirmed to the store. */
    private static final long CONFIRM_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How often the warning about a backlog is repeated while Kafka is away. */
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * How long a run's events may wait for an acknowledgement, while Kafka answers, before the producer is taken for
     * stalled and replaced: twice the producer's {@code request.timeout.ms} (30 s), so a request lost on the way has
     * been retried by the producer itself first, and the health check's 60 s.
     */
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(60);

    private final String bootstrapServers;
    private final String topic;
    private final BinaryCloudEvents events = new BinaryCloudEvents();
    private final Duration sweepInterval;
    private final BlockingQueue<List<RunEvent>> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    /** Acknowledgements from the producer's thread, handled by the relay's thread. */
    private final ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
    /** Confirmations of resting runs that landed, for the relay's thread to forget them. */
    private final ConcurrentLinkedQueue<Runnable> settled = new ConcurrentLinkedQueue<>();
    /**
     * The runs forgotten last, with their last sequence: an event that reaches the relay after its run was published
     * from the outbox and forgotten is known for old. Only the relay's thread touches it.
     */
    private final Map<String, Long> forgotten = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > FORGOTTEN_RUNS;
        }
    };
    private Confirmers confirmers;
    /** Per run, the highest sequence confirmed and logged: updates drop these from the outbox. */
    private final Map<String, Long> confirmed = new ConcurrentHashMap<>();
    /** Per run, what the relay sent and what the broker acknowledged; only the relay's thread touches it. */
    private final Map<String, Cursor> cursors = new HashMap<>();
    /** The runs with acknowledged events to confirm in the next round; only the relay's thread touches it. */
    private final Map<String, Cursor> unconfirmed = new LinkedHashMap<>();
    private long nextConfirmation = System.nanoTime();
    private final AtomicLong dropped = new AtomicLong();
    /** Events in the queue. */
    private final AtomicLong queued = new AtomicLong();
    /** Whether a wake-up for acknowledgements is in the queue. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    /** Producers replaced after a send failed, and after their sends stalled. */
    private final AtomicLong replacedAfterFailure = new AtomicLong();
    private final AtomicLong replacedAfterStall = new AtomicLong();
    /** Whether the producer is replaced for a stall; only the relay's thread touches it. */
    private final StallWatch stallWatch;
    /** The producer's count of responses from Kafka, for {@link #stallWatch}; only the relay's thread touches it. */
    private Metric producerResponses;
    /** Runs whose events waited longer than the stall timeout at the last sweep. */
    private volatile long stalledRuns;
    /**
     * A producer was replaced while events waited, and nothing was acknowledged since: the wait for Kafka goes on
     * from when it began rather than from the new producer's first send. Only the relay's thread touches it.
     */
    private boolean waitCarried;
    /** The producer's generation: acknowledgements of a replaced producer are ignored. */
    private volatile int generation;
    private volatile long unconfirmedRuns;
    /** Since when the producer has held events with no acknowledgement coming: reset by every acknowledgement. */
    private volatile long waitingSinceNanos;
    private volatile String lastError;
    private volatile Exception lastFailure;
    private volatile RunStore store;
    private volatile KafkaProducer<String, byte[]> producer;
    private final SendingThread thread = new SendingThread("caravan-event-relay");
    private volatile boolean running;
    /** Kafka did not take a record since the last sweep: nothing is sent until the next. */
    private boolean away;
    /** Whether the topic is known to exist. */
    private volatile boolean topicReady;
    /** How many partitions the topic had when it was found, to name a stalled run's in the log. */
    private int topicPartitions;
    private final EventTopic eventTopic;
    private final PlatformEventPublisher platform;

    private record Ack(RunEvent event, Exception failure, int generation) {
    }

    /** A run's relay state: the last sequence handed to the producer, and the acknowledged events not yet confirmed. */
    private static final class Cursor {
        long sent;
        final List<RunEvent> acknowledged = new ArrayList<>();
        long touchedNanos = System.nanoTime();
        /** Since when its events sent have waited for an acknowledgement: its first send since its last ack. */
        long waitingSinceNanos;
        /** Sent and not acknowledged, or acknowledged and not confirmed. */
        int open;

        int unacknowledged() {
            return open - acknowledged.size();
        }
    }

    /**
     * @param bootstrapServers the Kafka cluster
     * @param topic            where run events go
     * @param partitions       the topic's partitions when the relay creates it
     * @param sweepInterval    how often the outboxes are read for events the relay missed
     */
    public KafkaEventRelay(String bootstrapServers, String topic, int partitions, Duration sweepInterval) {
        this(bootstrapServers, topic, topic, partitions, sweepInterval, DEFAULT_STALL_TIMEOUT);
    }

    /**
     * @param platformTopic where the events of no run (lanes', kill switches', triggers') go
     *                      ({@link PlatformEventPublisher})
     * @param stallTimeout  how long a run's events may wait for an acknowledgement while Kafka answers before the
     *                      producer is replaced and they are sent again from the outboxes ({@link StallWatch})
     */
    public KafkaEventRelay(String bootstrapServers, String topic, String platformTopic, int partitions,
            Duration sweepInterval, Duration stallTimeout) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.eventTopic = new EventTopic(bootstrapServers, topic, partitions);
        this.platform = new PlatformEventPublisher(bootstrapServers, platformTopic, partitions);
        this.sweepInterval = sweepInterval;
        this.stallWatch = new StallWatch(stallTimeout);
    }

    public String topic() {
        return topic;
    }

    @Override
    public void publish(List<RunEvent> events) {
        // on a partition thread: never wait
        if (!running || events.isEmpty()) {
            return;
        }
        // an update's events are all of one run, or all of one lane or switch
        if (PseudoRunIds.isPseudo(events.get(0).runId())) {
            platform.publish(events);
            return;
        }
        if (queue.offer(events)) {
            queued.addAndGet(events.size());
        } else {
            if (dropped.getAndAdd(events.size()) == 0) {
                LOG.warn("The event relay's queue is full: events wait in the runs' outboxes for its next sweep");
            }
        }
    }

    @Override
    public long confirmedUpTo(String runId) {
        Long upTo = confirmed.get(runId);
        return upTo == null ? 0 : upTo;
    }

    @Override
    public synchronized void start(RunStore runStore) {
        if (running) {
            return;
        }
        this.store = runStore;
        setProducer(eventTopic.producer());
        confirmers = new Confirmers(2);
        platform.start();
        running = true;
        thread.start(this::relay);
        LOG.debug("Relaying run events to {} on {}", topic, bootstrapServers);
    }

    @Override
    public void stop() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        thread.stop();
        // a short grace for what is in flight; the rest is in the outboxes
        producer.close(Duration.ofSeconds(2));
        confirmers.close();
        platform.stop();
    }

    /** Where the events of no run go: their topic, backlog and counts. */
    public String platformTopic() {
        return platform.topic();
    }

    /** Lane, kill-switch and trigger events waiting for Kafka. */
    public long platformBacklog() {
        return platform.backlog();
    }

    public long platformPublished() {
        return platform.published();
    }

    /** Lane, kill-switch and trigger events dropped (too many waited for Kafka) or refused by Kafka for good. */
    public long platformLost() {
        return platform.dropped() + platform.refused();
    }

    /** Events received or found and not yet confirmed: queued, in the producer, or waiting for confirmation. */
    public long backlog() {
        return queued.get() + inFlight.get() + dropped.get();
    }

    /** Runs whose outboxes held events older than a sweep at the last sweep. */
    public long unconfirmedRuns() {
        return unconfirmedRuns;
    }

    /** Events the broker acknowledged since the start. */
    public long published() {
        return published.get();
    }

    /** How long events in the producer have waited with no acknowledgement from the broker, or zero: Kafka is away. */
    public Duration waitingForKafka() {
        long since = waitingSinceNanos;
        return since == 0 || inFlight.get() == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    }

    /** Events Kafka refused for good (too large): they are only in their runs' event logs. */
    public long refused() {
        return refused.get();
    }

    /** Producers replaced because one of their sends failed (retriable failures are retried by the producer itself). */
    public long producersReplacedAfterFailure() {
        return replacedAfterFailure.get();
    }

    /** Producers replaced because a run's events waited longer than the stall timeout while Kafka answered. */
    public long producersReplacedAfterStall() {
        return replacedAfterStall.get();
    }

    /** Runs whose events had waited longer than the stall timeout at the last sweep. */
    public long stalledRuns() {
        return stalledRuns;
    }

    public Duration stallTimeout() {
        return stallWatch.timeout();
    }

    /** The last failure sending to Kafka, or null. */
    public String lastError() {
        return lastError;
    }

    private void relay() {
        long topicBackoffMillis = 250;
        long nextSweep = System.nanoTime() + sweepInterval.toNanos();
        long lastWarning = 0;
        while (running) {
            try {
                if (!topicReady && !createTopic()) {
                    // Kafka is away (or still starting): the events wait in the queue and the outboxes
                    TimeUnit.MILLISECONDS.sleep(topicBackoffMillis);
                    topicBackoffMillis = Math.min(5_000, topicBackoffMillis * 2);
                    continue;
                }
                long wait = Math.max(0, nextSweep - System.nanoTime());
                if (!unconfirmed.isEmpty()) {
                    wait = Math.min(wait, Math.max(0, nextConfirmation - System.nanoTime()));
                }
                List<RunEvent> batch = queue.poll(acks.isEmpty() && settled.isEmpty() ? wait : 0,
                        TimeUnit.NANOSECONDS);
                if (batch != null) {
                    queued.addAndGet(-batch.size());
                    for (RunEvent e : batch) {
                        offer(e);
                    }
                }
                handleAcks();
                if (System.nanoTime() - nextSweep >= 0) {
                    sweep();
                    nextSweep = System.nanoTime() + sweepInterval.toNanos();
                    Duration waiting = waitingForKafka();
                    if (waiting.toSeconds() >= 30 && System.nanoTime() - lastWarning >= WARN_EVERY_NANOS) {
                        lastWarning = System.nanoTime();
                        LOG.warn("{} run events wait for Kafka at {} (no acknowledgement for {} s; {} runs hold unpublished "
                                 + "events in their outboxes){}", backlog(), bootstrapServers, waiting.toSeconds(),
                                unconfirmedRuns, lastError == null ? "" : ": " + lastError);
                    }
                }
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (RuntimeException e) {
                // the relay outlives any one failure: what it could not send stays in the outboxes
                lastError = e.toString();
                LOG.warn("The event relay failed; it goes on with its next sweep", e);
            }
        }
    }

    /** Whether the topic is there and the producer knows it; false when Kafka is away. */
    private boolean createTopic() {
        try {
            topicPartitions = eventTopic.ensure(producer);
            topicReady = true;
        } catch (ExecutionException e) {
            lastError = String.valueOf(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            lastError = e.toString();
        }
        return topicReady;
    }

    /** Hands an event to the producer once every earlier event of its run was, reading those it missed first. */
    private void offer(RunEvent e) {
        Cursor c = cursors.get(e.runId());
        long sent = c != null ? c.sent : confirmedUpTo(e.runId());
        if (e.sequence() <= sent) {
            return;
        }
        Long gone = c == null ? forgotten.get(e.runId()) : null;
        if (gone != null && e.sequence() <= gone) {
            // a late event of a run published and forgotten
            return;
        }
        if (c == null && e.sequence() == 1 && gone == null) {
            // a new run: nothing comes before its first event
            c = cursors.computeIfAbsent(e.runId(), id -> new Cursor());
        } else if (c == null || e.sequence() > sent + 1) {
            // a run new to the relay, or events it never received (or could not send): the outbox holds every event
            // of the run not confirmed yet, so whatever precedes its first one is confirmed
            RunRecord r = store.get(e.runId());
            if (r == null) {
                return;
            }
            long head = r.outbox().isEmpty() ? r.sequence() + 1 : r.outbox().get(0).sequence();
            if (e.sequence() < head) {
                return;
            }
            c = cursors.computeIfAbsent(e.runId(), id -> new Cursor());
            c.sent = Math.max(c.sent, head - 1);
            for (RunEvent earlier : r.outbox()) {
                if (earlier.sequence() > c.sent && earlier.sequence() < e.sequence() && !send(c, earlier)) {
                    return;
                }
            }
        }
        send(c, e);
    }

    /**
     * Sends the event after its run's last; false when the producer would not take it (it waits in the outbox). A
     * record the producer did not queue (no metadata for the topic within {@code max.block.ms}: Kafka is away) fails
     * inside {@code send}, on this thread ({@link SendingThread#send}): then nothing more is sent until the next
     * sweep, so no later event of a run can reach the topic before an earlier one. A record it queued is retried until
     * the broker takes it, in order.
     */
    private boolean send(Cursor c, RunEvent e) {
        if (away || e.sequence() != c.sent + 1) {
            return false;
        }
        int sentBy = generation;
        Exception notQueued = thread.send(producer, events.record(topic, e),
                (metadata, failure) -> acknowledged(new Ack(e, failure, sentBy)));
        if (notQueued != null) {
            lastError = notQueued.toString();
            LOG.debug("Kafka did not take event {}: relaying again at the next sweep", e.id(), notQueued);
            away = true;
            return false;
        }
        long now = System.nanoTime();
        if (inFlight.getAndIncrement() == 0 && !waitCarried) {
            waitingSinceNanos = now;
        }
        if (c.unacknowledged() == 0) {
            c.waitingSinceNanos = now;
        }
        c.sent = e.sequence();
        c.open++;
        c.touchedNanos = now;
        return true;
    }

    /** On the producer's thread: the relay's thread handles it, woken unless a wake-up is already queued. */
    private void acknowledged(Ack ack) {
        acks.add(ack);
        wake();
    }

    /** Wakes the relay's thread for acknowledgements, unless a wake-up is already queued. */
    private void wake() {
        if (!wakePending.getAndSet(true)) {
            // when the queue is full the relay's thread is busy, and takes them on its next round
            queue.offer(WAKE);
        }
    }

    private void handleAcks() {
        wakePending.set(false);
        boolean broken = false;
        boolean answered = false;
        long now = acks.isEmpty() ? 0 : System.nanoTime();
        for (Ack ack; (ack = acks.poll()) != null; ) {
            if (ack.generation() != generation) {
                continue;
            }
            answered = true;
            inFlight.decrementAndGet();
            if (broken) {
                // after a failure, nothing the same producer sent counts: a later event of a run may have landed
                // where an earlier one did not, and all of it is sent again from the outboxes
                continue;
            }
            RunEvent e = ack.event();
            Cursor c = cursors.get(e.runId());
            if (c == null) {
                continue;
            }
            // its partition answers: what of the run is still in flight waits from now
            c.waitingSinceNanos = now;
            if (ack.failure() != null) {
                lastError = ack.failure().toString();
                lastFailure = ack.failure();
                if (!refusedForGood(ack.failure())) {
                    // retriable failures are retried for ever, so the producer itself failed: start over with a new
                    // one, from the outboxes
                    broken = true;
                    continue;
                }
                // Kafka will never take this one (too large): it stays in the run's event log, and the topic's
                // sequence of the run skips it rather than stop there
                refused.incrementAndGet();
                LOG.error("Kafka refused event {} ({}) of run {} for good: {}; it is only in the run's event log",
                        e.id(), e.type(), e.runId(), ack.failure().toString());
            } else {
                published.incrementAndGet();
            }
            c.acknowledged.add(e);
            unconfirmed.put(e.runId(), c);
        }
        if (answered) {
            // Kafka answers: what is still in flight waits from now, not from when the first of it was sent
            waitingSinceNanos = now;
            waitCarried = false;
            stallWatch.acknowledged(now);
        }
        if (!unconfirmed.isEmpty() && (broken || System.nanoTime() - nextConfirmation >= 0)) {
            // confirmations go in rounds: a run's acknowledgements of a round make one append to its log
            unconfirmed.forEach(this::confirm);
            unconfirmed.clear();
            nextConfirmation = System.nanoTime() + CONFIRM_EVERY_NANOS;
        }
        for (Runnable r; (r = settled.poll()) != null; ) {
            r.run();
        }
        if (broken) {
            restartProducer();
        }
    }

    private static boolean refusedForGood(Exception failure) {
        return failure instanceof RecordTooLargeException || failure instanceof RecordBatchTooLargeException
               || failure instanceof InvalidRecordException;
    }

    /** A new producer after a failed send, and every run's events sent again from its outbox. */
    private void restartProducer() {
        if (lastFailure instanceof TimeoutException) {
            // Kafka is away: the backlog warning says so once it lasts
            LOG.info("Kafka at {} did not take run events in time ({}): they are sent again from the runs' outboxes",
                    bootstrapServers, lastError);
        } else {
            LOG.warn("The event relay's Kafka producer failed ({}): starting a new one; unconfirmed events are sent "
                     + "again from the runs' outboxes", lastError);
        }
        replacedAfterFailure.incrementAndGet();
        replaceProducer();
    }

    /**
     * Replaces the producer: the old one is closed without waiting, which fails what it holds (those failures are
     * ignored, being of an older generation), and each run starts again from its outbox, as after a failed send.
     */
    private void replaceProducer() {
        if (!unconfirmed.isEmpty()) {
            // what the broker acknowledged counts: confirmed, it is not sent again
            unconfirmed.forEach(this::confirm);
            unconfirmed.clear();
            nextConfirmation = System.nanoTime() + CONFIRM_EVERY_NANOS;
        }
        KafkaProducer<String, byte[]> old = producer;
        generation++;
        // the events that waited wait on, for the backlog warning and the health check, until Kafka acknowledges
        waitCarried |= inFlight.get() > 0;
        cursors.clear();
        inFlight.set(0);
        setProducer(eventTopic.producer());
        stallWatch.replaced(System.nanoTime());
        old.close(Duration.ZERO);
    }

    private void setProducer(KafkaProducer<String, byte[]> created) {
        producer = created;
        producerResponses = null;
        for (Map.Entry<MetricName, ? extends Metric> m : created.metrics().entrySet()) {
            if (m.getKey().name().equals("response-total") && m.getKey().group().equals("producer-metrics")) {
                producerResponses = m.getValue();
            }
        }
    }

    /** The producer's count of responses from Kafka so far, or NaN when it does not say. */
    private double producerResponses() {
        Metric m = producerResponses;
        return m != null && m.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /**
     * Looks at the runs with events in flight, and replaces the producer when the longest waiting of them waited the
     * stall timeout while Kafka answered ({@link StallWatch}). On the relay's thread, in the sweep's pass over the
     * runs held: nothing per event.
     */
    private void watchForStall(int stalled, long waitingEvents, long longestWait, String longestWaiting, long now) {
        stalledRuns = stalled;
        StallWatch.Verdict verdict = stallWatch.look(producerResponses(), longestWait, now);
        if (verdict == StallWatch.Verdict.HELD_OFF) {
            LOG.debug("Run events wait for Kafka on a producer replaced lately; not replacing it again yet");
        }
        if (verdict != StallWatch.Verdict.STALLED) {
            return;
        }
        long waitingSince = now - longestWait;
        LOG.warn("Kafka has not acknowledged the run events of {} runs for {} ms or more (the longest, run {}, for {} "
                 + "ms; topic {}, partition {}; {} events wait) while it {}: the producer is taken for stalled (KAFKA-14359 "
                 + "is one cause) and replaced, and the unacknowledged events are sent again from the runs' outboxes",
                stalled, stallWatch.timeout().toMillis(), longestWaiting, TimeUnit.NANOSECONDS.toMillis(longestWait),
                topic, partitionOf(longestWaiting), waitingEvents,
                stallWatch.acknowledgedSince(waitingSince) ? "acknowledged other events"
                        : "answered with errors the producer retries");
        replacedAfterStall.incrementAndGet();
        replaceProducer();
    }

    /**
     * The partition of a run's events, as the producer's default partitioner picks it from the key, of the partitions
     * the topic had when the relay found it (asking the producer now could wait for metadata).
     */
    private String partitionOf(String runId) {
        return topicPartitions <= 0 ? "unknown"
                : String.valueOf(Utils.toPositive(Utils.murmur2(runId.getBytes(StandardCharsets.UTF_8))) % topicPartitions);
    }

    /**
     * Moves a run's acknowledged events to its event log. A run that rests (finished or paused) with nothing open
     * loses its relay state once that landed: its outbox is empty then, and a later event of it (a resume) starts
     * again from its record.
     */
    private void confirm(String runId, Cursor c) {
        List<RunEvent> events = List.copyOf(c.acknowledged);
        c.acknowledged.clear();
        c.open -= events.size();
        long upTo = events.get(events.size() - 1).sequence();
        boolean resting = RESTING.contains(events.get(events.size() - 1).type());
        // a run that made no event since: it may not update again for a while, so its outbox is emptied now; a busy
        // run's next update drops them (confirmedUpTo), sparing a write
        boolean idle = c.open == 0;
        // on the run's confirmer, in order per run: the store's updates wait for the run's partition, which is busy
        // with the runs themselves, and the relay's thread must not
        confirmers.confirm(runId, () -> {
            try {
                store.confirmEvents(runId, events, idle);
            } catch (RuntimeException failure) {
                // the events stay in the outbox, where the sweep finds them again
                LOG.debug("Cannot confirm events of run {} up to {}", runId, upTo, failure);
                return;
            }
            confirmed.merge(runId, upTo, Math::max);
            if (resting) {
                settled.add(() -> forgetIfResting(runId, c, upTo));
                wake();
            }
        });
    }

    /** Forgets a run whose last event, confirmed, left it resting. */
    private void forgetIfResting(String runId, Cursor c, long upTo) {
        if (cursors.get(runId) == c && c.open == 0 && c.sent == upTo) {
            cursors.remove(runId);
            confirmed.remove(runId);
            // an event of it still in the queue (the sweep may have published the run first) is recognised as old
            forgotten.put(runId, upTo);
        }
    }

    /** Reads the outboxes of the runs held here for events the relay missed, and forgets idle runs. */
    private void sweep() {
        away = false;
        // one pass over the runs held: forget idle ones, and find those whose events wait for an acknowledgement
        long now = System.nanoTime();
        long idle = now - TimeUnit.MINUTES.toNanos(10);
        int stalled = 0;
        long waitingEvents = 0;
        long longestWait = 0;
        String longestWaiting = null;
        for (Iterator<Map.Entry<String, Cursor>> it = cursors.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Cursor> entry = it.next();
            Cursor c = entry.getValue();
            int unacknowledged = c.unacknowledged();
            if (unacknowledged > 0) {
                waitingEvents += unacknowledged;
                long wait = now - c.waitingSinceNanos;
                if (wait > longestWait) {
                    longestWait = wait;
                    longestWaiting = entry.getKey();
                }
                if (stallWatch.waitedTooLong(c.waitingSinceNanos, now)) {
                    stalled++;
                }
            } else if (c.open == 0 && c.touchedNanos - idle < 0) {
                it.remove();
                confirmed.remove(entry.getKey());
            }
        }
        // before the outboxes are read, so a replaced producer's events are sent again at once
        watchForStall(stalled, waitingEvents, longestWait, longestWaiting, now);
        long before = System.currentTimeMillis() - sweepInterval.toMillis();
        List<RunRecord> waiting = store.withUnconfirmedEvents(before);
        unconfirmedRuns = waiting.size();
        for (RunRecord r : waiting) {
            for (RunEvent e : r.outbox()) {
                offer(e);
            }
        }
        if (dropped.get() > 0 && queue.isEmpty()) {
            dropped.set(0);
        }
    }
}
