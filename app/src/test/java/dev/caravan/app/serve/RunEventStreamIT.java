package dev.caravan.app.serve;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.caravan.event.EventBus;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import dev.caravan.state.EventRelay;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.Mutation;
import dev.caravan.state.RunStore;
import dev.caravan.state.ValueStore;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link RunEventStream}'s hand-over between the run's stored events and the ones it is told of, with interleavings
 * a real connection shows only under load, forced: a store read done before the stream asks for its result, and a
 * connection that calls the stream back from inside a write (what an HTTP/2 response does when the write's flush
 * frees the stream). The run's events are real (an embedded Hazelcast member with an outbox, and the event bus).
 */
class RunEventStreamIT {

    private static final Pattern ID = Pattern.compile("^id: (\\d+)$", Pattern.MULTILINE);

    private final EventBus bus = new EventBus();
    private HazelcastInstance member;
    private RunStore store;
    private ValueStore values;
    private Vertx vertx;

    @BeforeEach
    void start() {
        Config config = Engine.embeddedConfig("event-stream-" + UUID.randomUUID());
        HazelcastRunStore.configure(config, bus);
        HazelcastRunStore.relayEvents(config, new UnconfirmingRelay(), null);
        member = Hazelcast.newHazelcastInstance(config);
        store = new HazelcastRunStore(member, bus);
        values = new ValueStore(member, ValueStore.DEFAULT_INLINE_BYTES, null);
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        member.shutdown();
        bus.close();
    }

    @Test
    void sendsAnEventOnceWhenTheConnectionCallsTheStreamBackFromInsideItsWrite() {
        String runId = UUID.randomUUID().toString();
        store.apply(runId, List.of(new Mutation.CreateRun(runId, "wf", "h", "t", null, Map.of(), null, null),
                new Mutation.StartNode("a", "set", 1, false),
                new Mutation.CompleteNode("a", "set", "one", 0, 0, null),
                new Mutation.CompleteRun("one")));
        long made = store.get(runId).sequence();

        // the first write drains at once: the stream reads the store again, and that read is done when asked
        Connection connection = new Connection(1);
        open(connection, runId, 0);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(connection.ids())
                .containsExactlyElementsOf(oneTo(made)));
        await().atMost(Duration.ofSeconds(10)).until(() -> connection.ended);
    }

    @Test
    void sendsEachEventOnceWhenItIsBothStoredAndToldOfWhileTheConnectionCallsBack() {
        String runId = UUID.randomUUID().toString();
        store.apply(runId, List.of(new Mutation.CreateRun(runId, "wf", "h", "t", null, Map.of(), null, null),
                new Mutation.StartNode("a", "set", 1, false)));

        // every write drains at once, and the stream resumes after the first event
        Connection connection = new Connection(Integer.MAX_VALUE);
        open(connection, runId, 1);
        // made while the stream reads the store: told of on the bus, and found in the store too
        for (String node : List.of("b", "c", "d")) {
            store.apply(runId, new Mutation.CompleteNode(node, "set", node, 0, 0, null, true, null));
        }
        store.apply(runId, new Mutation.CompleteRun("done"));
        long made = store.get(runId).sequence();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(connection.ids())
                .containsExactlyElementsOf(oneTo(made).subList(1, (int) made)));
        await().atMost(Duration.ofSeconds(10)).until(() -> connection.ended);
    }

    /** Starts a stream of the run on a Vert.x context, as the server does for a request, after {@code after}. */
    private void open(Connection connection, String runId, long after) {
        vertx.getOrCreateContext().runOnContext(v -> new RunEventStream(readsDoneWhenAsked(vertx),
                connection.response, store, values, listener -> bus.subscribe(runId, listener), runId, after,
                Duration.ofHours(1), Duration.ofHours(1)).start());
    }

    /**
     * The Vert.x instance, with each blocking call done before the caller asks for its result: a worker can finish
     * first, and the result's handler then runs inside the call that registers it.
     */
    private static Vertx readsDoneWhenAsked(Vertx vertx) {
        return (Vertx) Proxy.newProxyInstance(Vertx.class.getClassLoader(), new Class<?>[] {Vertx.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("executeBlocking") && args.length == 2
                        && args[0] instanceof Callable<?> blocking) {
                        try {
                            return Future.succeededFuture(blocking.call());
                        } catch (Exception e) {
                            return Future.failedFuture(e);
                        }
                    }
                    return forward(vertx, method, args);
                });
    }

    private static Object forward(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * The client's end of a stream: what was written to it, in order. Writes up to {@code drainingWrites} run the
     * drain handler before they return, once their text is queued, as an HTTP/2 response does when the write's
     * flush makes the stream writable again.
     */
    private static final class Connection {
        final List<String> written = new CopyOnWriteArrayList<>();
        final HttpServerResponse response;
        private final int drainingWrites;
        private Handler<Void> drain;
        private int writes;
        volatile boolean ended;

        Connection(int drainingWrites) {
            this.drainingWrites = drainingWrites;
            this.response = (HttpServerResponse) Proxy.newProxyInstance(HttpServerResponse.class.getClassLoader(),
                    new Class<?>[] {HttpServerResponse.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "setChunked", "putHeader", "closeHandler", "exceptionHandler" -> proxy;
                        case "drainHandler" -> {
                            @SuppressWarnings("unchecked")
                            Handler<Void> handler = (Handler<Void>) args[0];
                            drain = handler;
                            yield proxy;
                        }
                        case "writeHead" -> Future.succeededFuture();
                        case "write" -> write((String) args[0]);
                        case "writeQueueFull", "closed" -> false;
                        case "ended" -> ended;
                        case "end" -> {
                            ended = true;
                            yield Future.succeededFuture();
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }

        private Future<Void> write(String text) {
            written.add(text);
            if (text.startsWith("id: ") && ++writes <= drainingWrites) {
                drain.handle(null);
            }
            return Future.succeededFuture();
        }

        List<Long> ids() {
            List<Long> ids = new ArrayList<>();
            for (String text : written) {
                Matcher m = ID.matcher(text);
                while (m.find()) {
                    ids.add(Long.parseLong(m.group(1)));
                }
            }
            return ids;
        }
    }

    /** A relay that confirms nothing: the run's events stay in its outbox, where the store reads them. */
    private static final class UnconfirmingRelay implements EventRelay {
        @Override
        public void publish(List<RunEvent> events) {
        }

        @Override
        public long confirmedUpTo(String runId) {
            return 0;
        }

        @Override
        public void start(RunStore store) {
        }

        @Override
        public void stop() {
        }
    }

    private static List<Long> oneTo(long n) {
        List<Long> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(i);
        }
        return out;
    }
}
