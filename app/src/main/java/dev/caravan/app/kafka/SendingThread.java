package dev.caravan.app.kafka;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The one thread that hands a relay's records to its Kafka producer, and each hand-over's outcome. A record the
 * producer does not queue (no metadata for the topic within {@code max.block.ms}, a full buffer) fails inside
 * {@code send}, on this thread, by throwing or through the record's callback; a record it queued is reported later
 * through the callback, on the producer's own thread. {@link #send} tells the two apart, so the caller keeps the
 * first one (to send again, in order) and hears of the second only once.
 */
final class SendingThread {

    /** How long {@link #stop} waits for the thread to end. */
    private static final long JOIN_MILLIS = 5_000;

    private final String name;
    private volatile Thread thread;
    /** Inside {@code producer.send}; only this thread reads it, as only it can be inside. */
    private boolean sending;
    /** Why the record being sent was not queued, set inside {@code producer.send}. */
    private Exception notQueued;

    SendingThread(String name) {
        this.name = name;
    }

    /** Starts the thread (a daemon) running {@code loop}, which returns once its owner stopped. */
    void start(Runnable loop) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Interrupts the thread and waits a little for it to end; its owner told the loop to stop first. */
    void stop() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        t.interrupt();
        try {
            t.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Hands a record to the producer, on this thread: null when it queued it ({@code later} then hears how it went,
     * on the producer's thread), otherwise why it did not ({@code later} never hears of it).
     */
    <K, V> Exception send(KafkaProducer<K, V> producer, ProducerRecord<K, V> record, Callback later) {
        sending = true;
        try {
            producer.send(record, (metadata, failure) -> {
                if (Thread.currentThread() == thread && sending) {
                    // failed inside send: never queued, never sent
                    notQueued = failure;
                    return;
                }
                later.onCompletion(metadata, failure);
            });
        } catch (RuntimeException notTaken) {
            notQueued = notTaken;
        } finally {
            sending = false;
        }
        Exception failure = notQueued;
        notQueued = null;
        return failure;
    }
}
