package dev.caravan.bench;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Issue 13's workloads on an embedded engine (its own Hazelcast member; in-memory store, or durable when the Camel
 * context's {@code caravan.store.jdbc-url} names a database), with the workflows of {@code src/main/resources/workloads}
 * and the {@link FakeChatModelFactory fake} model.
 */
final class CaravanWorkloads implements Workloads {

    private static final Map<String, Object> DIAMOND_INPUT = Map.of("text", INPUT);
    private static final Map<String, Object> GATE_OUTPUT = Map.of("done", true);

    private final String name;
    /** A little longer than a finished run stays in the run map (state.FinishedRuns). */
    private static final long FINISHED_LINGER_MILLIS = 5_500;

    private final Engine engine;
    private final Checks checks = new Checks();

    /** @param name the side's name in the report */
    CaravanWorkloads(CamelContext camel, String name) throws IOException {
        this.name = name;
        this.engine = Engine.of(camel);
        WorkflowLoader loader = new WorkflowLoader();
        for (String workflow : new String[] {"w1-diamond", "w2-gate", "w3-slow-diamond"}) {
            String file = workflow + ".caravan.yaml";
            engine.catalog().deploy(loader.load(file, resource("workloads/" + file)));
        }
    }

    @Override
    public Checks checks() {
        return checks;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long diamondSequential(int runs) {
        Object[] results = new Object[runs];
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            results[i] = outcome(engine.runs().run(StartRequest.of("w1-diamond", DIAMOND_INPUT)));
        }
        long nanos = System.nanoTime() - t0;
        checks.check("W1a", results, DIAMOND_RESULT);
        return nanos;
    }

    @Override
    public long diamondInFlight(int runs, int inFlight) throws Exception {
        return started("W1b", "w1-diamond", runs, inFlight);
    }

    @Override
    public long slowInFlight(int runs, int inFlight) throws Exception {
        return started("W3", "w3-slow-diamond", runs, inFlight);
    }

    @Override
    public long pauseResumeMedian(int runs) throws Exception {
        long[] nanos = new long[runs];
        Object[] results = new Object[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            RunRecord paused = engine.runs().run(StartRequest.of("w2-gate", Map.of()));
            RunRecord done = paused.status() != RunStatus.AWAITING_APPROVAL ? paused
                    : engine.runs().resolveGate(paused.runId(), "ok", true, "bench", null).get(1, TimeUnit.MINUTES);
            nanos[i] = System.nanoTime() - t0;
            results[i] = outcome(done);
        }
        checks.check("W2", results, GATE_OUTPUT);
        Arrays.sort(nanos);
        return nanos[runs / 2];
    }

    @Override
    public double bytesPerPausedRun(int runs) throws Exception {
        // the runs of the workloads before have finished: once they have left the run map (as the engine's sweep
        // takes them out a few seconds after they finish), their going does not count against the paused ones
        Thread.sleep(FINISHED_LINGER_MILLIS);
        engine.runs().resumeOrphans();
        long before = PausedRunsBench.usedHeap();
        // only the ids are kept, as the Camel side keeps only its exchanges' ids
        InFlight.Round paused = InFlight.drive(runs, 64, i -> engine.runs()
                .start(StartRequest.of("w2-gate", Map.of()))
                .thenApply(r -> r.status() == RunStatus.AWAITING_APPROVAL ? r.runId() : r.status()));
        long during = PausedRunsBench.usedHeap();
        for (Object id : paused.results()) {
            if (!(id instanceof String)) {
                throw new IllegalStateException("W2 pause: a run ended as " + id + " instead of pausing");
            }
        }
        InFlight.Round resumed = InFlight.drive(runs, 64, i -> engine.runs()
                .resolveGate((String) paused.results()[i], "ok", true, "bench", null)
                .thenApply(CaravanWorkloads::outcome));
        checks.check("W2 resume", resumed.results(), GATE_OUTPUT);
        return (during - before) / (double) runs;
    }

    private long started(String what, String workflow, int runs, int inFlight) throws Exception {
        InFlight.Round round = InFlight.drive(runs, inFlight,
                i -> engine.runs().start(StartRequest.of(workflow, DIAMOND_INPUT)).thenApply(CaravanWorkloads::outcome));
        checks.check(what, round.results(), DIAMOND_RESULT);
        return round.nanos();
    }

    /** The run's output when it completed, otherwise what went wrong. */
    private static Object outcome(RunRecord r) {
        return r.status() == RunStatus.COMPLETED ? r.output() : r.status() + ": " + r.error();
    }

    /** A resource of the bench, as text. */
    static String resource(String path) throws IOException {
        try (InputStream in = CaravanWorkloads.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("no resource " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
