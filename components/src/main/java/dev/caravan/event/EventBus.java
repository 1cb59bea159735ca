package dev.caravan.event;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The in-process event sink: events are queued by whoever applied the state change and delivered to subscribers on
 * one dispatcher thread, in the order they were published (so per run, in sequence order). A failing subscriber
 * is logged and does not stop delivery to the others. A subscriber of one run (a live event stream) is found by the
 * run's id, so a thousand open streams cost each event one lookup, not a thousand calls.
 */
public final class EventBus implements EventSink, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
    private final Barrier stop = new Barrier();

    private final BlockingQueue<List<RunEvent>> queue = new LinkedBlockingQueue<>();
    private final List<Consumer<RunEvent>> subscribers = new CopyOnWriteArrayList<>();
    /** Subscribers of one run, by its id; a run with none has no entry. */
    private final Map<String, List<Consumer<RunEvent>>> runSubscribers = new ConcurrentHashMap<>();
    private final Thread dispatcher;

    public EventBus() {
        dispatcher = new Thread(this::dispatch, "caravan-events");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    @Override
    public void publish(List<RunEvent> events) {
        // nobody listens: waking the dispatcher would cost a thread switch per update for nothing
        if (!subscribers.isEmpty() || !runSubscribers.isEmpty()) {
            queue.add(events);
        }
    }

    /** Subscribes to every event; returns a handle that unsubscribes. */
    public AutoCloseable subscribe(Consumer<RunEvent> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /** Subscribes to the events of one run (its id exactly); returns a handle that unsubscribes. */
    public AutoCloseable subscribe(String runId, Consumer<RunEvent> subscriber) {
        runSubscribers.compute(runId, (id, list) -> {
            List<Consumer<RunEvent>> added = list == null ? new CopyOnWriteArrayList<>() : list;
            added.add(subscriber);
            return added;
        });
        return () -> runSubscribers.computeIfPresent(runId, (id, list) -> {
            list.remove(subscriber);
            return list.isEmpty() ? null : list;
        });
    }

    private void dispatch() {
        try {
            while (true) {
                List<RunEvent> batch = queue.take();
                if (batch == stop) {
                    return;
                }
                if (batch instanceof Barrier b) {
                    b.passed.countDown();
                    continue;
                }
                for (RunEvent e : batch) {
                    deliver(subscribers, e);
                    List<Consumer<RunEvent>> ofRun = runSubscribers.get(e.runId());
                    if (ofRun != null) {
                        deliver(ofRun, e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deliver(List<Consumer<RunEvent>> to, RunEvent e) {
        for (Consumer<RunEvent> s : to) {
            try {
                s.accept(e);
            } catch (RuntimeException ex) {
                LOG.warn("Event subscriber failed on {} #{} of run {}", e.type(), e.sequence(), e.runId(), ex);
            }
        }
    }

    /** Waits until everything published so far has been delivered to the subscribers. */
    public boolean drain(long timeoutMillis) throws InterruptedException {
        Barrier barrier = new Barrier();
        queue.add(barrier);
        return barrier.passed.await(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** An empty batch whose delivery marks that everything queued before it was delivered. */
    private static final class Barrier extends AbstractList<RunEvent> {
        final CountDownLatch passed = new CountDownLatch(1);

        @Override
        public RunEvent get(int index) {
            throw new IndexOutOfBoundsException(index);
        }

        @Override
        public int size() {
            return 0;
        }
    }

    @Override
    public void close() {
        queue.add(stop);
        try {
            dispatcher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
