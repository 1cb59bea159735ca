package dev.caravan.app.serve;

import dev.caravan.event.CloudEventJson;
import dev.caravan.event.EventBus;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStore;
import dev.caravan.state.ValueStore;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One client's Server-Sent Events stream of a run's events, each sent once and in sequence order from where the
 * client resumes. It subscribes to the event bus first, then reads the run's events from the store: an event made
 * meanwhile is in one or the other, so none is missed. Only the event after the last one sent is ever sent (by
 * sequence number), whether it came from the bus or the store, so none is sent twice. The store is read again every
 * {@code poll} in which the bus brought none of the run's events (the run may execute on another member, whose bus
 * this member does not hear), when the bus skipped one, and when the run's last event went out: once the run is
 * finished and all its events are sent, the stream ends.
 *
 * <p>Everything but the bus's callback runs on the connection's Vert.x context (no locks); store reads run on a
 * worker, one at a time; no thread waits for an event. A client that reads slowly is not written to while its
 * connection's queue is full. A write may call the stream back before it returns (the drain handler), so the stream's
 * state is up to date before every write.
 */
final class RunEventStream {

    private static final Logger LOG = LoggerFactory.getLogger(RunEventStream.class);

    /** Events read from the store at a time. */
    private static final int PAGE = 500;
    /** Events from the bus held while the stream is behind: more are left to the store, which has them too. */
    private static final int MAX_PENDING = 10_000;
    /** After one of these, the run may be over: the store says whether it is. */
    private static final Set<String> LAST_TYPES = Set.of(EventTypes.RUN_COMPLETED, EventTypes.RUN_FAILED,
            EventTypes.RUN_CANCELLED);
    private static final String KEEP_ALIVE = ": keep-alive\n\n";

    /**
     * A read of the store: the run's record (read first), then its events after the last one sent, with the values of
     * the references they hold.
     */
    private record Read(RunRecord run, List<RunEvent> events) {
    }

    private final Vertx vertx;
    private final Context context;
    private final HttpServerResponse response;
    private final RunStore store;
    private final ValueStore values;
    /** Subscribes to the run's live events ({@link EventBus#subscribe(String, Consumer)}); the handle unsubscribes. */
    private final Function<Consumer<RunEvent>, AutoCloseable> subscribe;
    private final String runId;
    private final Duration poll;
    private final Duration heartbeat;
    /** Events after the last one sent, by sequence number, from the bus or the store. */
    private final NavigableMap<Long, RunEvent> pending = new TreeMap<>();
    /** The sequence number of the last event sent. */
    private long last;
    private AutoCloseable subscription;
    private long pollTimer = -1;
    private long heartbeatTimer = -1;
    private boolean reading;
    /** Another read was asked for while one ran. */
    private boolean readAgain;
    private boolean closed;
    /** An event came on the bus since the last poll: the run's member is this one, and the poll can wait. */
    private boolean heard;
    /** The thread that sent first: the connection's event loop, which every later send should run on too. */
    private Thread sender;
    private boolean offThreadReported;

    RunEventStream(Vertx vertx, HttpServerResponse response, RunStore store, ValueStore values,
            Function<Consumer<RunEvent>, AutoCloseable> subscribe, String runId, long after, Duration poll,
            Duration heartbeat) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.response = response;
        this.store = store;
        this.values = values;
        this.subscribe = subscribe;
        this.runId = runId;
        this.last = after;
        this.poll = poll;
        this.heartbeat = heartbeat;
    }

    /** Sends the headers, then the events; called on the connection's context. */
    void start() {
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, EventStreams.EVENT_STREAM + "; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
                // nginx and the like: pass each event on as it comes
                .putHeader("X-Accel-Buffering", "no");
        response.closeHandler(v -> stop());
        response.exceptionHandler(e -> stop());
        response.drainHandler(v -> {
            send(true);
            read();
        });
        // first the bus, then the store: see the class comment
        subscription = subscribe.apply(this::published);
        response.writeHead();
        read();
        pollTimer = vertx.setPeriodic(poll.toMillis(), id -> poll());
        heartbeatTimer = vertx.setPeriodic(heartbeat.toMillis(), id -> keepAlive());
    }

    /** On the bus's dispatcher thread, which must not wait: hands the run's events to the connection's context. */
    private void published(RunEvent e) {
        if (!e.runId().equals(runId)) {
            return;
        }
        if (ValueStore.entriesHoldReferences(e.data())) {
            // its values are read on a worker, with the event, from the store
            context.runOnContext(v -> read());
        } else {
            context.runOnContext(v -> live(e));
        }
    }

    private void live(RunEvent e) {
        if (closed || e.sequence() <= last) {
            return;
        }
        heard = true;
        if (pending.size() < MAX_PENDING) {
            pending.put(e.sequence(), e);
        }
        send(true);
    }

    /** Reads the store, unless the bus brought the run's events meanwhile (a gap or the run's end reads at once). */
    private void poll() {
        if (heard) {
            heard = false;
        } else {
            read();
        }
    }

    /** Reads the store on a worker, unless a read is under way (then it reads again after) or the client is behind. */
    private void read() {
        if (closed) {
            return;
        }
        if (reading) {
            readAgain = true;
            return;
        }
        if (response.writeQueueFull()) {
            return; // the drain handler reads when the client caught up
        }
        reading = true;
        readAgain = false;
        long from = last;
        vertx.executeBlocking(() -> {
            RunRecord run = store.get(runId);
            List<RunEvent> events = store.events(runId, from, PAGE);
            return new Read(run, events.stream().map(values::resolve).toList());
        }, false).onComplete(this::readDone);
    }

    private void readDone(AsyncResult<Read> done) {
        reading = false;
        if (closed) {
            return;
        }
        if (done.failed()) {
            // the client reconnects with the last id it got, and finds the events on a member that can read them
            LOG.warn("Cannot read the events of run {}; ending its event stream: {}", runId, done.cause().toString());
            end();
            return;
        }
        Read read = done.result();
        for (RunEvent e : read.events()) {
            if (e.sequence() > last) {
                pending.put(e.sequence(), e);
            }
        }
        // a gap left after reading the store is not read for again at once: the next poll does
        send(false);
        RunRecord run = read.run();
        if (run == null || run.status().isTerminal() && last >= run.sequence()) {
            end();
        } else if (readAgain || read.events().size() == PAGE) {
            read();
        }
    }

    /** Sends the pending events that follow the last one sent, in order, while the client keeps up. */
    private void send(boolean readOnGap) {
        Thread now = Thread.currentThread();
        if (sender == null) {
            sender = now;
        } else if (sender != now && !offThreadReported) {
            // everything here assumes one thread: the connection's
            offThreadReported = true;
            LOG.warn("The event stream of run {} sends from thread {} after {}: its events may go out twice", runId,
                    now.getName(), sender.getName());
        }
        while (!closed) {
            Map.Entry<Long, RunEvent> next = pending.firstEntry();
            if (next == null) {
                return;
            }
            if (next.getKey() <= last) {
                pending.pollFirstEntry();
                continue;
            }
            if (next.getKey() != last + 1) {
                // the bus got ahead of what was sent: the events in between are in the store
                if (readOnGap) {
                    read();
                }
                return;
            }
            if (response.writeQueueFull()) {
                return; // the drain handler goes on
            }
            pending.pollFirstEntry();
            RunEvent e = next.getValue();
            // counted as sent before it is written: the write can call this stream back (an HTTP/2 response runs the
            // drain handler inside the write whose flush freed the stream; a read it starts may be done at once), and
            // the call must not find the event unsent and send it again
            last = e.sequence();
            response.write("id: " + e.sequence() + "\nevent: " + e.type() + "\ndata: " + CloudEventJson.toJson(e)
                    + "\n\n");
            if (LAST_TYPES.contains(e.type())) {
                read();
            }
        }
    }

    private void keepAlive() {
        if (!closed && !response.writeQueueFull()) {
            response.write(KEEP_ALIVE);
        }
    }

    /** The run is over and every event was sent (or the store cannot be read): the stream ends. */
    private void end() {
        stop();
        if (!response.ended() && !response.closed()) {
            response.end();
        }
    }

    /** Stops listening and reading: the stream ended, or the client went away. */
    private void stop() {
        if (closed) {
            return;
        }
        closed = true;
        vertx.cancelTimer(pollTimer);
        vertx.cancelTimer(heartbeatTimer);
        pending.clear();
        try {
            if (subscription != null) {
                subscription.close();
            }
        } catch (Exception e) {
            LOG.debug("Cannot unsubscribe the event stream of run {}", runId, e);
        }
    }
}
