package dev.caravan.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 14's event throughput: run events from the state change that makes them to the topic of an embedded broker,
 * through the outbox and {@link KafkaEventRelay}. Two figures, one process each:
 * <ul>
 * <li>{@code -Dbench.mode=runs} [default]: {@code bench.runs} [20000] W1 diamond runs, {@code bench.inFlight} [64] in
 * flight, on the in-memory engine with the relay; events/s counts the events a consumer read from the topic, from the
 * first start to the last event, beside the runs/s the engine finished;</li>
 * <li>{@code -Dbench.mode=relay}: the relay alone, fed {@code bench.events} [200000] events of 10 per run as updates
 * hand them over, until the broker acknowledged and the store confirmed every one.</li>
 * </ul>
 * Add {@code -Dbench.relay=false} to the runs mode for the same runs without a relay (no outbox), and
 * {@code -Dbench.h2=true} for a store on an H2 file, as {@code caravan serve} keeps by default.
 *
 * <pre>java [hazelcast flags] -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   -Dbench.mode=runs dev.caravan.bench.EventRelayBench</pre>
 */
public final class EventRelayBench {

    private static final Map<String, Object> INPUT = Map.of("text", Workloads.INPUT);

    private EventRelayBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = System.getProperty("bench.mode", "runs");
        boolean relayed = Boolean.parseBoolean(System.getProperty("bench.relay", "true"));
        Path dir = Files.createTempDirectory("caravan-relay-bench");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0)) {
            KafkaEventRelay relay = new KafkaEventRelay(kafka.bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, 6,
                    Duration.ofSeconds(5));
            DefaultCamelContext camel = new DefaultCamelContext();
            if (Boolean.getBoolean("bench.h2")) {
                // the store caravan serve keeps by default
                camel.getPropertiesComponent().addInitialProperty("caravan.store.jdbc-url",
                        "jdbc:h2:file:" + dir.resolve("db").resolve("caravan"));
            }
            if (relayed || mode.equals("relay")) {
                camel.getRegistry().bind("relay", relay);
            }
            camel.start();
            try {
                Engine engine = Engine.of(camel);
                if (mode.equals("relay")) {
                    relayAlone(engine, relay);
                } else {
                    runs(engine, kafka, relayed);
                }
            } finally {
                camel.stop();
            }
        }
        System.exit(0);
    }

    private static void runs(Engine engine, EmbeddedKafka kafka, boolean relayed) throws Exception {
        int runs = Integer.getInteger("bench.runs", 20_000);
        int inFlight = Integer.getInteger("bench.inFlight", 64);
        String file = "w1-diamond.caravan.yaml";
        engine.catalog().deploy(new WorkflowLoader().load(file, CaravanWorkloads.resource("workloads/" + file)));
        // warm-up, not counted on the topic: a consumer counts events of the measured runs' workflow only after
        long warmupEvents = events(InFlight.drive(2_000, inFlight,
                i -> engine.runs().start(StartRequest.of("w1-diamond", INPUT))));

        TopicCounter counter = relayed ? TopicCounter.start(kafka.bootstrapServers()) : null;
        long beginCpu = processCpuNanos();
        long beginRelayCpu = relayCpuNanos();
        long begin = System.nanoTime();
        InFlight.Round round = InFlight.drive(runs, inFlight, i -> engine.runs()
                .start(StartRequest.of("w1-diamond", INPUT)));
        long finished = System.nanoTime();
        long events = events(round);
        System.out.printf("runs: %d diamond runs in %.2f s: %.0f runs/s, %d events (%s relay)%n", runs,
                (finished - begin) / 1e9, runs / ((finished - begin) / 1e9), events, relayed ? "with" : "without");
        if (counter == null) {
            System.out.printf("CPU: %.0f µs per run%n", (processCpuNanos() - beginCpu) / 1e3 / runs);
        } else {
            // the warm-up's events come first on the topic: wait for all of them and the measured ones
            long expected = events + warmupEvents;
            long last = counter.awaitCount(expected, Duration.ofMinutes(5));
            // until the count was reached (the counter polls every 5 ms), the consumer's share included
            System.out.printf("CPU: %.0f µs per run, %.1f µs per event; the relay's thread %.1f µs per event%n",
                    (processCpuNanos() - beginCpu) / 1e3 / runs, (processCpuNanos() - beginCpu) / 1e3 / events,
                    (relayCpuNanos() - beginRelayCpu) / 1e3 / events);
            System.out.printf("events on the topic: %d of %d; %.0f events/s from the first start to the last "
                              + "event; the last event %.0f ms after the last run finished%n", counter.count(),
                    expected, events / ((last - begin) / 1e9), (last - finished) / 1e6);
            counter.close();
            System.out.println("duplicates (first 20): " + counter.duplicates);
        }
    }

    private static long events(InFlight.Round round) {
        long events = 0;
        for (Object r : round.results()) {
            events += ((RunRecord) r).sequence();
        }
        return events;
    }

    private static void relayAlone(Engine engine, KafkaEventRelay relay) throws Exception {
        int total = Integer.getInteger("bench.events", 200_000);
        int perRun = 10;
        String prefix = UUID.randomUUID().toString();
        List<RunEvent> events = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            int run = i / perRun;
            int seq = i % perRun + 1;
            events.add(new RunEvent(seq == perRun ? EventTypes.RUN_COMPLETED : EventTypes.NODE_COMPLETED,
                    prefix + "-" + run, seq, System.currentTimeMillis(), "bench", "default", null,
                    seq == perRun ? null : "n" + seq, null, Map.of("output", "reply " + seq)));
        }
        long beginCpu = processCpuNanos();
        long beginRelayCpu = relayCpuNanos();
        long begin = System.nanoTime();
        // as updates hand them over: one batch per update, runs interleaved
        int runs = total / perRun;
        for (int seq = 0; seq < perRun; seq++) {
            for (int run = 0; run < runs; run++) {
                // within the relay's queue: what does not fit waits in outboxes, and these runs have none
                if (run % 1_000 == 0) {
                    while (relay.backlog() > 12_000) {
                        TimeUnit.MICROSECONDS.sleep(200);
                    }
                }
                relay.publish(List.of(events.get(run * perRun + seq)));
            }
        }
        while (relay.published() < total) {
            TimeUnit.MILLISECONDS.sleep(1);
        }
        long acked = System.nanoTime();
        long cpu = processCpuNanos() - beginCpu;
        System.out.printf("relay alone: %d events acknowledged in %.2f s: %.0f events/s; CPU %.1f µs per event, the "
                          + "relay's thread %.1f%n", total, (acked - begin) / 1e9, total / ((acked - begin) / 1e9),
                cpu / 1e3 / total, (relayCpuNanos() - beginRelayCpu) / 1e3 / total);
    }

    /** The CPU time of the whole process (every thread: engine, relay, broker, consumer): the machine is shared. */
    private static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * The CPU time of the relay's own thread: its work per event, which other processes on the machine change little
     * (they change the throughput a lot).
     */
    private static long relayCpuNanos() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("caravan-event-relay")) {
                return ManagementFactory.getThreadMXBean().getThreadCpuTime(t.getId());
            }
        }
        return 0;
    }

    /** Counts the records on the run event topic, from the beginning. */
    private static final class TopicCounter implements AutoCloseable {
        private final AtomicLong count = new AtomicLong();
        private final Set<String> ids = new HashSet<>();
        final List<String> duplicates = new CopyOnWriteArrayList<>();
        private final AtomicLong lastNanos = new AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        private TopicCounter(String bootstrap) {
            thread = new Thread(() -> consume(bootstrap), "topic-counter");
            thread.setDaemon(true);
            thread.start();
        }

        static TopicCounter start(String bootstrap) {
            return new TopicCounter(bootstrap);
        }

        private void consume(String bootstrap) {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
                consumer.subscribe(List.of(KafkaEventRelay.DEFAULT_TOPIC));
                while (running) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    if (!records.isEmpty()) {
                        count.addAndGet(records.count());
                        lastNanos.set(System.nanoTime());
                        for (ConsumerRecord<byte[], byte[]> r : records) {
                            String id = new String(r.headers().lastHeader("ce_id").value());
                            if (!ids.add(id) && duplicates.size() < 20) {
                                duplicates.add(id + " " + new String(r.headers().lastHeader("ce_type").value())
                                               + " offset " + r.offset() + " partition " + r.partition());
                            }
                        }
                    }
                }
            }
        }

        long count() {
            return count.get();
        }

        /** The time the count reached {@code expected}, or the last record's when it did not in time. */
        long awaitCount(long expected, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (count.get() < expected && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
            return lastNanos.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }
}
