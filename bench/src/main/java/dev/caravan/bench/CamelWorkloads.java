package dev.caravan.bench;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProducer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.DefaultExchange;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * Issue 13's workloads written by hand as plain Camel routes: what a user would write without Caravan. Node outputs
 * are exchange properties; the diamond is {@code direct:} routes with a parallel multicast for {@code a} and
 * {@code b}; the slow model an {@link AsyncProcessorSupport} completed by a 2-thread scheduler; the pause an exchange
 * parked in a {@link ConcurrentHashMap} and continued by the thread that resumes it.
 */
final class CamelWorkloads implements Workloads {

    private static final String GATE_OUTPUT = "done";

    private final ProducerTemplate template;
    private final AsyncProducer diamond;
    private final AsyncProducer gated;
    private final AsyncProducer slow;
    private final CamelContext camel;
    private final Checks checks = new Checks();
    /** Paused exchanges by id, with the callback that continues their route. */
    private final Map<String, AsyncCallback> parked = new ConcurrentHashMap<>();

    CamelWorkloads(CamelContext camel, ScheduledExecutorService scheduler, long latencyMillis) throws Exception {
        this.camel = camel;
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                diamond(this, "w1", FakeModel::new);
                diamond(this, "w3", (prefix, input, output) -> new SlowFakeModel(prefix, input, output, scheduler,
                        latencyMillis));
                from("direct:w2").routeId("w2")
                        .process(new Gate())
                        .setBody(constant(GATE_OUTPUT));
            }
        });
        this.template = camel.createProducerTemplate();
        this.diamond = started(camel, "direct:w1");
        this.gated = started(camel, "direct:w2");
        this.slow = started(camel, "direct:w3");
    }

    /** A model step: reads its input property, writes the reply to its output property. */
    @FunctionalInterface
    private interface ModelStep {
        Processor create(String prefix, String input, String output);
    }

    /** classify, then a and b in parallel on its output, then join. The input is the body. */
    private static void diamond(RouteBuilder routes, String name, ModelStep model) {
        routes.from("direct:" + name).routeId(name)
                .setProperty("input", routes.body())
                .process(model.create("classify: ", "input", "classify"))
                .multicast(new NodeOutputs()).parallelProcessing()
                    .to("direct:" + name + "-a", "direct:" + name + "-b")
                .end()
                .process(e -> e.getMessage().setBody(e.getProperty("a", String.class) + "+"
                        + e.getProperty("b", String.class)));
        routes.from("direct:" + name + "-a").routeId(name + "-a").process(model.create("a: ", "classify", "a"));
        routes.from("direct:" + name + "-b").routeId(name + "-b").process(model.create("b: ", "classify", "b"));
    }

    private static AsyncProducer started(CamelContext camel, String uri) throws Exception {
        AsyncProducer producer = camel.getEndpoint(uri).createAsyncProducer();
        producer.start();
        return producer;
    }

    @Override
    public Checks checks() {
        return checks;
    }

    @Override
    public String name() {
        return "Camel";
    }

    @Override
    public long diamondSequential(int runs) {
        Object[] results = new Object[runs];
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            results[i] = outcome(template.send("direct:w1", e -> e.getMessage().setBody(INPUT)));
        }
        long nanos = System.nanoTime() - t0;
        checks.check("W1a", results, DIAMOND_RESULT);
        return nanos;
    }

    @Override
    public long diamondInFlight(int runs, int inFlight) throws Exception {
        return started("W1b", diamond, runs, inFlight);
    }

    @Override
    public long slowInFlight(int runs, int inFlight) throws Exception {
        return started("W3", slow, runs, inFlight);
    }

    @Override
    public long pauseResumeMedian(int runs) throws Exception {
        long[] nanos = new long[runs];
        Object[] results = new Object[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Exchange exchange = new DefaultExchange(camel);
            CompletableFuture<Object> done = send(gated, exchange, CamelWorkloads::outcome);
            resume(exchange.getExchangeId());
            results[i] = done.get(1, TimeUnit.MINUTES);
            nanos[i] = System.nanoTime() - t0;
        }
        checks.check("W2", results, GATE_OUTPUT);
        Arrays.sort(nanos);
        return nanos[runs / 2];
    }

    @Override
    public double bytesPerPausedRun(int runs) throws Exception {
        long before = PausedRunsBench.usedHeap();
        String[] ids = new String[runs];
        AtomicReferenceArray<Object> results = new AtomicReferenceArray<>(runs);
        for (int i = 0; i < runs; i++) {
            Exchange exchange = new DefaultExchange(camel);
            ids[i] = exchange.getExchangeId();
            int index = i;
            gated.process(exchange, doneSync -> results.set(index, outcome(exchange)));
        }
        long during = PausedRunsBench.usedHeap();
        if (parked.size() != runs) {
            throw new IllegalStateException("W2 pause: " + parked.size() + " of " + runs + " exchanges parked");
        }
        Object[] done = new Object[runs];
        for (int i = 0; i < runs; i++) {
            resume(ids[i]); // continues the route on this thread, to its end
            done[i] = results.get(i);
        }
        checks.check("W2 resume", done, GATE_OUTPUT);
        return (during - before) / (double) runs;
    }

    private long started(String what, AsyncProducer producer, int runs, int inFlight) throws Exception {
        InFlight.Round round = InFlight.drive(runs, inFlight, i -> {
            Exchange exchange = new DefaultExchange(camel);
            exchange.getMessage().setBody(INPUT);
            return send(producer, exchange, CamelWorkloads::outcome);
        });
        checks.check(what, round.results(), DIAMOND_RESULT);
        return round.nanos();
    }

    /** Sends without waiting: the future completes when the exchange is done, on whichever thread finished it. */
    private static CompletableFuture<Object> send(AsyncProducer producer, Exchange exchange,
            Function<Exchange, Object> outcome) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        producer.process(exchange, doneSync -> done.complete(outcome.apply(exchange)));
        return done;
    }

    private void resume(String exchangeId) {
        AsyncCallback callback = parked.remove(exchangeId);
        if (callback == null) {
            throw new IllegalStateException("no exchange " + exchangeId + " is paused");
        }
        callback.done(false);
    }

    /** The body when the exchange completed, otherwise its exception. */
    private static Object outcome(Exchange exchange) {
        return exchange.getException() != null ? exchange.getException() : exchange.getMessage().getBody();
    }

    /** Parks the exchange until {@link #resume} continues its route. */
    private final class Gate extends AsyncProcessorSupport {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            parked.put(exchange.getExchangeId(), callback);
            return false;
        }
    }

    /** Issue 13's fake model, answering at once on the calling thread. */
    private static final class FakeModel implements Processor {
        private final String prefix;
        private final String input;
        private final String output;

        FakeModel(String prefix, String input, String output) {
            this.prefix = prefix;
            this.input = input;
            this.output = output;
        }

        @Override
        public void process(Exchange exchange) {
            FakeChatModel.checkPrompt(prefix + exchange.getProperty(input, String.class));
            exchange.setProperty(output, FakeChatModel.REPLY);
        }
    }

    /** The fake model answering after a latency, without holding a thread while it waits. */
    private static final class SlowFakeModel extends AsyncProcessorSupport {
        private final String prefix;
        private final String input;
        private final String output;
        private final ScheduledExecutorService scheduler;
        private final long latencyMillis;

        SlowFakeModel(String prefix, String input, String output, ScheduledExecutorService scheduler,
                long latencyMillis) {
            this.prefix = prefix;
            this.input = input;
            this.output = output;
            this.scheduler = scheduler;
            this.latencyMillis = latencyMillis;
        }

        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            try {
                FakeChatModel.checkPrompt(prefix + exchange.getProperty(input, String.class));
            } catch (RuntimeException e) {
                exchange.setException(e);
                callback.done(true);
                return true;
            }
            scheduler.schedule(() -> {
                exchange.setProperty(output, FakeChatModel.REPLY);
                callback.done(false);
            }, latencyMillis, TimeUnit.MILLISECONDS);
            return false;
        }
    }

    /** Gathers the outputs of the parallel branches ({@code a}, {@code b}) onto one exchange. */
    private static final class NodeOutputs implements AggregationStrategy {
        @Override
        public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
            if (oldExchange == null) {
                return newExchange;
            }
            for (String node : new String[] {"a", "b"}) {
                Object value = newExchange.getProperty(node);
                if (value != null) {
                    oldExchange.setProperty(node, value);
                }
            }
            return oldExchange;
        }
    }
}
