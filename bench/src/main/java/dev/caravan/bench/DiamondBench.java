package dev.caravan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Throughput of the diamond example (4 nodes: classify, then draft and lookup in parallel, then join) on an embedded
 * engine: sequential runs, then runs with a fixed number in flight. Every run must complete with the expected output;
 * anything else is counted as lost.
 *
 * <pre>java [hazelcast flags] -cp ... dev.caravan.bench.DiamondBench [diamond.caravan.yaml] [runs] [inFlight]</pre>
 */
public final class DiamondBench {

    /**
     * Runs before measuring, in both modes: C2 compiles Camel's, Hazelcast's and the engine's paths only after
     * thousands, and still recompiles hundreds of methods a second after 5,000.
     */
    private static final int WARMUP = Integer.getInteger("warmup", 20_000);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> DIAMOND_INPUT = Map.of("ticket", "t");

    private final Engine engine;
    private final String workflow;
    private final Map<String, Object> input;
    /** The diamond's known output; other workflows are only checked to complete. */
    private final JsonNode expected;

    private DiamondBench(Engine engine, String workflow, Map<String, Object> input) throws Exception {
        this.engine = engine;
        this.workflow = workflow;
        this.input = input;
        this.expected = "diamond".equals(workflow)
                ? JSON.readTree("{\"reply\": \"About \\\"t\\\": we are on it and will call you within the hour.\", "
                        + "\"priority\": 1}")
                : null;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "routes/examples/diamond.caravan.yaml");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int rounds = Integer.getInteger("rounds", 5);
        if (!Files.isRegularFile(file)) {
            System.err.println("No workflow file " + file.toAbsolutePath() + " (pass its path as the first argument)");
            System.exit(2);
        }

        CamelContext camel = new DefaultCamelContext();
        camel.start();
        int exit = 0;
        try {
            Engine engine = Engine.of(camel);
            Workflow wf = engine.catalog().deploy(file);
            @SuppressWarnings("unchecked")
            Map<String, Object> input = args.length > 3 ? JSON.readValue(args[3], Map.class) : DIAMOND_INPUT;
            DiamondBench bench = new DiamondBench(engine, wf.name(), input);
            int nodes = wf.nodes().size();

            bench.concurrent(WARMUP, inFlight); // warm-up, not reported
            bench.sequential(WARMUP / 4);
            List<Result> sequential = new ArrayList<>();
            List<Result> concurrent = new ArrayList<>();
            // rounds alternate, so a disturbance of the machine shows in one round of each, not in one mode
            for (int round = 0; round < rounds; round++) {
                sequential.add(bench.sequential(runs));
                concurrent.add(bench.concurrent(runs, inFlight));
            }

            System.out.printf("%nWorkflow bench (%s, %d nodes per run, %d rounds of %d runs, JDK %s, %d CPUs)%n",
                    file, nodes, rounds, runs, Runtime.version(), Runtime.getRuntime().availableProcessors());
            System.out.printf("%-16s %10s %12s %12s %12s %12s %6s%n", "mode", "runs/s", "us/node", "min us/node",
                    "max us/node", "cpu us/node", "lost");
            Result.summary(inFlight + " in flight", concurrent, nodes);
            Result.summary("sequential", sequential, nodes);
            int lost = 0;
            String problem = null;
            for (Result r : concat(sequential, concurrent)) {
                lost += r.lostCount.get();
                problem = problem != null ? problem : r.problem.get();
            }
            if (lost > 0) {
                System.out.println("FAIL: " + lost + " runs were lost or failed; first problem: " + problem);
                exit = 1;
            }
        } finally {
            camel.stop();
        }
        System.exit(exit);
    }

    private Result sequential(int runs) throws Exception {
        Result result = new Result(runs);
        RunRecord[] done = new RunRecord[runs];
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        for (int i = 0; i < runs; i++) {
            try {
                done[i] = engine.runs().run(StartRequest.of(workflow, input));
            } catch (Exception e) {
                result.lost(e.toString());
            }
        }
        result.nanos = System.nanoTime() - t0;
        result.cpuNanos = processCpuNanos() - cpu0;
        // checked after the clock stopped: the check is the bench's work, not the engine's
        for (RunRecord r : done) {
            if (r != null) {
                check(r, result);
            }
        }
        return result;
    }

    private Result concurrent(int runs, int inFlight) throws Exception {
        Result result = new Result(runs);
        Semaphore slots = new Semaphore(inFlight);
        AtomicInteger finished = new AtomicInteger();
        AtomicReferenceArray<RunRecord> done =
                new AtomicReferenceArray<>(runs);
        CompletableFuture<Void> all = new CompletableFuture<>();
        long t0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        for (int i = 0; i < runs; i++) {
            slots.acquire();
            CompletableFuture<RunRecord> f;
            try {
                f = engine.runs().start(StartRequest.of(workflow, input));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            int index = i;
            f.whenComplete((r, e) -> {
                if (e != null) {
                    result.lost(e.toString());
                } else {
                    done.set(index, r);
                }
                slots.release();
                if (finished.incrementAndGet() == runs) {
                    all.complete(null);
                }
            });
        }
        all.get(10, TimeUnit.MINUTES);
        result.nanos = System.nanoTime() - t0;
        result.cpuNanos = processCpuNanos() - cpu0;
        for (int i = 0; i < runs; i++) {
            if (done.get(i) != null) {
                check(done.get(i), result);
            }
        }
        return result;
    }

    private void check(RunRecord r, Result result) {
        if (r == null || r.status() != RunStatus.COMPLETED) {
            result.lost(r == null ? "null record" : "run " + r.runId() + " " + r.status() + ": " + r.error());
            return;
        }
        if (expected == null) {
            return;
        }
        JsonNode output;
        try {
            output = JSON.readTree(JSON.writeValueAsString(r.output()));
        } catch (Exception e) {
            result.lost(e.toString());
            return;
        }
        if (!expected.equals(output)) {
            result.lost("run " + r.runId() + " output " + output);
        }
    }

    /** CPU time this process used so far, all threads. */
    static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static List<Result> concat(List<Result> a, List<Result> b) {
        List<Result> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static final class Result {
        final int runs;
        volatile long nanos;
        /** CPU time of the whole process (every thread: engine, Hazelcast, JIT, GC) during the round. */
        volatile long cpuNanos;
        final AtomicInteger lostCount = new AtomicInteger();
        final AtomicReference<String> problem = new AtomicReference<>();

        Result(int runs) {
            this.runs = runs;
        }

        void lost(String why) {
            lostCount.incrementAndGet();
            problem.compareAndSet(null, why);
        }

        double usPerNode(int nodes) {
            return nanos / 1e3 / ((double) runs * nodes);
        }

        /** The median round (runs/s and µs per node), and the best and worst round's µs per node. */
        static void summary(String mode, List<Result> rounds, int nodes) {
            List<Result> sorted = new ArrayList<>(rounds);
            sorted.sort(Comparator.comparingLong(r -> r.nanos));
            Result median = sorted.get(sorted.size() / 2);
            int lost = rounds.stream().mapToInt(r -> r.lostCount.get()).sum();
            List<Result> byCpu = new ArrayList<>(rounds);
            byCpu.sort(Comparator.comparingLong(r -> r.cpuNanos));
            double cpuPerNode = byCpu.get(byCpu.size() / 2).cpuNanos / 1e3 / ((double) median.runs * nodes);
            System.out.printf("%-16s %10.0f %12.1f %12.1f %12.1f %12.1f %6d%n", mode,
                    median.runs / (median.nanos / 1e9), median.usPerNode(nodes), sorted.get(0).usPerNode(nodes),
                    sorted.get(sorted.size() - 1).usPerNode(nodes), cpuPerNode, lost);
        }
    }
}
