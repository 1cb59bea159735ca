package dev.caravan.bench;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.json.Json;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Issue 13's finished runs: completes many W1 diamond runs under the default retention (7 days, so none expires) and
 * reports the heap they keep once finished, per run and in total, in memory or with the H2 file store. A main
 * program, not a test:
 *
 * <pre>java [hazelcast flags] -cp ... dev.caravan.bench.FinishedRunsBench [memory|h2] [runs=100000] [inFlight=64]</pre>
 *
 * The heap is measured after collections, once the runs finished and again after {@code -Dsettle=SECONDS} [30] (the
 * time finished runs may stay in the run map before they leave it); then the first run is read back by id and the
 * first page of runs is listed, so the figures are of runs that are still there.
 */
public final class FinishedRunsBench {

    private static final Map<String, Object> INPUT = Map.of("text", Workloads.INPUT);

    private FinishedRunsBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "memory";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int settleSeconds = Integer.getInteger("settle", 30);
        DefaultCamelContext camel = new DefaultCamelContext();
        Path dir = null;
        if ("h2".equals(mode)) {
            dir = Files.createTempDirectory("caravan-finished-bench");
            camel.getPropertiesComponent().addOverrideProperty("caravan.store.jdbc-url",
                    "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath());
        } else if (!"memory".equals(mode)) {
            throw new IllegalArgumentException("mode is memory or h2, not " + mode);
        }
        camel.start();
        Engine engine = Engine.of(camel);
        engine.catalog().deploy(new WorkflowLoader().load("w1-diamond.caravan.yaml",
                resource("workloads/w1-diamond.caravan.yaml")));
        Checks checks = new Checks();
        // warm up, then measure from a collected heap
        checks.check("warm-up", diamonds(engine, 1000, inFlight, new String[1]).results(), Boolean.TRUE);
        Thread.sleep(settleSeconds * 1000L);
        long heapBefore = PausedRunsBench.usedHeap();

        String[] first = new String[1];
        InFlight.Round round = diamonds(engine, runs, inFlight, first);
        checks.check("finished", round.results(), Boolean.TRUE);
        long heapDone = PausedRunsBench.usedHeap();
        Thread.sleep(settleSeconds * 1000L);
        long heapSettled = PausedRunsBench.usedHeap();

        RunPage page = engine.queries().page(new RunQuery(null, "w1-diamond", List.of(), 100, null));
        System.out.printf("%nFinished runs bench (%s store, %d runs, %d in flight, retention %s, JDK %s, %d CPUs)%n",
                mode, runs, inFlight, engine.retention(), Runtime.version(), Runtime.getRuntime().availableProcessors());
        System.out.printf("throughput: %.0f runs/s%n", runs / (round.nanos() / 1e9));
        System.out.printf("heap:       %.0f bytes per finished run just after (%.1f MB in all)%n",
                (heapDone - heapBefore) / (double) runs, (heapDone - heapBefore) / 1e6);
        System.out.printf("heap:       %.0f bytes per finished run after %d s (%.1f MB in all)%n",
                (heapSettled - heapBefore) / (double) runs, settleSeconds, (heapSettled - heapBefore) / 1e6);
        System.out.printf("first page: %d runs; wrong results: %d%s%n", page.runs().size(), checks.count(),
                checks.first() == null ? "" : " (" + checks.first() + ")");
        RunRecord oldest = engine.queries().get(first[0]);
        System.out.printf("oldest run read back: %s, record as JSON: %d bytes%n",
                oldest == null ? "missing" : oldest.status(), oldest == null ? 0 : Json.write(oldest).length());
        camel.stop();
        System.exit(checks.count() == 0 && page.runs().size() == 100 && oldest != null ? 0 : 1);
    }

    /**
     * Starts diamond runs with at most {@code inFlight} at once; each result is TRUE when the run completed with the
     * expected output, otherwise what it gave (nothing per run is kept here, so the heap is the engine's). The first
     * run's id goes in {@code first}.
     */
    private static InFlight.Round diamonds(Engine engine, int runs, int inFlight, String[] first) throws Exception {
        return InFlight.drive(runs, inFlight, i -> engine.runs().start(StartRequest.of("w1-diamond", INPUT))
                .thenApply(r -> {
                    if (i == 0) {
                        first[0] = r.runId();
                    }
                    return r.status() == RunStatus.COMPLETED && Workloads.DIAMOND_RESULT.equals(r.output())
                            ? Boolean.TRUE : r.status() + ": " + r.output() + " " + r.error();
                }));
    }

    private static String resource(String path) throws IOException {
        try (InputStream in = FinishedRunsBench.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("no resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
