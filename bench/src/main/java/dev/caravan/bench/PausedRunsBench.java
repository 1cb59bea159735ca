package dev.caravan.bench;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.json.Json;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Pauses many runs at a gate, then reports heap and threads while they wait, and how fast they resume once
 * approved. A main program, not a test:
 *
 * <pre>java [hazelcast flags] -cp ... dev.caravan.bench.PausedRunsBench [runs=100000] [inFlight=64]</pre>
 */
public final class PausedRunsBench {

    private static final String GATED = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: parked
            spec:
              nodes:
                - id: ok
                  gate: { message: "Go?" }
                - id: after
                  needs: [ok]
                  set: { done: true }
            """;

    private PausedRunsBench() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("caravan.runs.retention", "0s");
        camel.start();
        Engine engine = Engine.of(camel);
        engine.catalog().deploy(new WorkflowLoader().load("parked.caravan.yaml", GATED));
        // warm up, then measure from a collected heap
        drive(engine, 1000, inFlight, true);
        long heapBefore = usedHeap();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();

        long t0 = System.nanoTime();
        List<String> ids = drive(engine, runs, inFlight, false);
        double pauseSeconds = (System.nanoTime() - t0) / 1e9;
        long heapPaused = usedHeap();
        int threadsPaused = ManagementFactory.getThreadMXBean().getThreadCount();
        long recordBytes = Json.write(engine.queries().get(ids.get(0))).length();

        t0 = System.nanoTime();
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<RunRecord>> done = new ArrayList<>(runs);
        for (String id : ids) {
            slots.acquire();
            CompletableFuture<RunRecord> f = engine.runs().resolveGate(id, "ok", true, "bench", null);
            f.whenComplete((r, e) -> slots.release());
            done.add(f);
        }
        int completed = 0;
        for (CompletableFuture<RunRecord> f : done) {
            if (f.get(60, TimeUnit.SECONDS).status() == RunStatus.COMPLETED) {
                completed++;
            }
        }
        double resumeSeconds = (System.nanoTime() - t0) / 1e9;

        System.out.printf("%nPaused runs bench (%d runs, %d in flight, JDK %s, %d CPUs)%n", runs, inFlight,
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        System.out.printf("pausing:  %.0f runs/s%n", runs / pauseSeconds);
        System.out.printf("heap:     %.0f bytes per paused run (record as JSON: %d bytes)%n",
                (heapPaused - heapBefore) / (double) runs, recordBytes);
        System.out.printf("threads:  %d before, %d with %d runs paused%n", threadsBefore, threadsPaused, runs);
        System.out.printf("resuming: %.0f runs/s, %d of %d completed%n", runs / resumeSeconds, completed, runs);
        camel.stop();
        System.exit(completed == runs ? 0 : 1);
    }

    private static List<String> drive(Engine engine, int runs, int inFlight, boolean approve) throws Exception {
        Semaphore slots = new Semaphore(inFlight);
        List<String> ids = new ArrayList<>(runs);
        List<CompletableFuture<RunRecord>> all = new ArrayList<>(runs);
        for (int i = 0; i < runs; i++) {
            slots.acquire();
            CompletableFuture<RunRecord> f = engine.runs().start(StartRequest.of("parked", Map.of()));
            f.whenComplete((r, e) -> slots.release());
            all.add(f);
        }
        for (CompletableFuture<RunRecord> f : all) {
            RunRecord r = f.get(60, TimeUnit.SECONDS);
            if (r.status() != RunStatus.AWAITING_APPROVAL) {
                throw new IllegalStateException("run " + r.runId() + " is " + r.status());
            }
            ids.add(r.runId());
            if (approve) {
                engine.runs().resolveGate(r.runId(), "ok", true, "warm-up", null).get(60, TimeUnit.SECONDS);
            }
        }
        return ids;
    }

    /** Used heap after three collections. */
    static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
