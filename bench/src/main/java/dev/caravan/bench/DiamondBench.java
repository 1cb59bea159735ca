package dev.caravan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Throughput of the diamond example (4 nodes: classify, then draft and lookup in parallel, then join) on an embedded
 * engine: sequential runs, then runs with a fixed number in flight. Every run must complete with the expected output;
 * anything else is counted as lost.
 *
 * <pre>java [hazelcast flags] -cp ... dev.caravan.bench.DiamondBench [diamond.caravan.yaml] [runs] [inFlight]</pre>
 */
public final class DiamondBench {

    /** Runs before measuring: C2 compiles Camel's, Hazelcast's and the engine's paths only after thousands. */
    private static final int WARMUP = 5000;
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
                ? JSON.readTree("{\"reply\": \"We are on it and will call you within the hour.\", \"priority\": 1}")
                : null;
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "routes/examples/diamond.caravan.yaml");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        if (!Files.isRegularFile(file)) {
            System.err.println("No workflow file " + file.toAbsolutePath() + " (pass its path as the first argument)");
            System.exit(2);
        }

        CamelContext camel = new DefaultCamelContext();
        camel.start();
        int exit = 0;
        try {
            Engine engine = Engine.of(camel);
            dev.caravan.dsl.Workflow wf = engine.catalog().deploy(file);
            @SuppressWarnings("unchecked")
            Map<String, Object> input = args.length > 3 ? JSON.readValue(args[3], Map.class) : DIAMOND_INPUT;
            DiamondBench bench = new DiamondBench(engine, wf.name(), input);
            int nodes = wf.nodes().size();

            bench.concurrent(WARMUP, inFlight); // warm-up, not reported
            Result sequential = bench.sequential(runs);
            Result concurrent = bench.concurrent(runs, inFlight);

            System.out.printf("%nWorkflow bench (%s, %d nodes per run, JDK %s, %d CPUs)%n", file, nodes,
                    Runtime.version(), Runtime.getRuntime().availableProcessors());
            System.out.printf("%-16s %8s %10s %10s %12s %6s%n", "mode", "runs", "wall ms", "runs/s", "us/node", "lost");
            sequential.print("sequential", nodes);
            concurrent.print(inFlight + " in flight", nodes);
            if (sequential.lost + concurrent.lost > 0) {
                System.out.println("FAIL: runs were lost or failed; first problem: "
                        + (sequential.firstProblem != null ? sequential.firstProblem : concurrent.firstProblem));
                exit = 1;
            }
        } finally {
            camel.stop();
        }
        System.exit(exit);
    }

    private Result sequential(int runs) throws Exception {
        Result result = new Result(runs);
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            RunRecord r;
            try {
                r = engine.runs().run(StartRequest.of(workflow, input));
            } catch (Exception e) {
                result.lost(e.toString());
                continue;
            }
            check(r, result);
        }
        result.nanos = System.nanoTime() - t0;
        return result;
    }

    private Result concurrent(int runs, int inFlight) throws Exception {
        Result result = new Result(runs);
        Semaphore slots = new Semaphore(inFlight);
        AtomicInteger finished = new AtomicInteger();
        CompletableFuture<Void> all = new CompletableFuture<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            slots.acquire();
            CompletableFuture<RunRecord> f;
            try {
                f = engine.runs().start(StartRequest.of(workflow, input));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((r, e) -> {
                if (e != null) {
                    result.lost(e.toString());
                } else {
                    check(r, result);
                }
                slots.release();
                if (finished.incrementAndGet() == runs) {
                    all.complete(null);
                }
            });
        }
        all.get(10, TimeUnit.MINUTES);
        result.nanos = System.nanoTime() - t0;
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

    private static final class Result {
        final int runs;
        volatile long nanos;
        final AtomicInteger lostCount = new AtomicInteger();
        final AtomicReference<String> problem = new AtomicReference<>();
        int lost;
        String firstProblem;

        Result(int runs) {
            this.runs = runs;
        }

        void lost(String why) {
            lostCount.incrementAndGet();
            problem.compareAndSet(null, why);
        }

        void print(String mode, int nodes) {
            lost = lostCount.get();
            firstProblem = problem.get();
            double seconds = nanos / 1e9;
            double usPerNode = nanos / 1e3 / ((double) runs * nodes);
            System.out.printf("%-16s %8d %10.0f %10.0f %12.1f %6d%n", mode, runs, nanos / 1e6, runs / seconds,
                    usPerNode, lost);
        }
    }
}
