package dev.caravan.bench;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 13's durability soak: {@code soak.runs} [100000] W1 diamond runs with {@code soak.inFlight} [64] in flight,
 * started asynchronously, each checked twice: the outcome its start completed with, and the run as the store holds it
 * afterwards (completed, with the expected output). A run whose future failed, whose outcome is wrong, or that the
 * store no longer has or holds unfinished, is counted; any count above 0 exits with status 1. A main program:
 *
 * <pre>java [hazelcast flags] -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   dev.caravan.bench.DurabilitySoak</pre>
 */
public final class DurabilitySoak {

    private static final Map<String, Object> INPUT = Map.of("text", Workloads.INPUT);

    private DurabilitySoak() {
    }

    public static void main(String[] args) throws Exception {
        int runs = Integer.getInteger("soak.runs", 100_000);
        int inFlight = Integer.getInteger("soak.inFlight", 64);
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.start();
        int exit;
        try {
            Engine engine = Engine.of(camel);
            String file = "w1-diamond.caravan.yaml";
            engine.catalog().deploy(new WorkflowLoader().load(file, CaravanWorkloads.resource("workloads/" + file)));
            InFlight.Round round = InFlight.drive(runs, inFlight, i -> engine.runs()
                    .start(StartRequest.of("w1-diamond", INPUT)));
            exit = report(engine, runs, inFlight, round);
        } finally {
            camel.stop();
        }
        System.exit(exit);
    }

    private static int report(Engine engine, int runs, int inFlight, InFlight.Round round) {
        int failed = 0;
        int wrong = 0;
        int lost = 0;
        List<String> examples = new ArrayList<>();
        for (Object result : round.results()) {
            if (!(result instanceof RunRecord r)) {
                failed++;
                example(examples, "start failed: " + result);
                continue;
            }
            if (r.status() != RunStatus.COMPLETED || !Workloads.DIAMOND_RESULT.equals(r.output())) {
                wrong++;
                example(examples, r.runId() + " ended " + r.status().label() + " with " + r.output() + " " + r.error());
            }
            RunRecord stored = engine.queries().get(r.runId());
            if (stored == null || stored.status() != RunStatus.COMPLETED
                || !Workloads.DIAMOND_RESULT.equals(stored.output())) {
                lost++;
                example(examples, r.runId() + " is stored as " + (stored == null ? "nothing" : stored.status().label()));
            }
        }
        System.out.printf("Durability soak: %,d W1 diamond runs, %d in flight, %,.0f runs/s, JDK %s, %d CPUs%n", runs,
                inFlight, runs / (round.nanos() / 1e9), System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf("failed %d, wrong %d, lost %d%n", failed, wrong, lost);
        examples.forEach(e -> System.out.println("  " + e));
        return failed + wrong + lost == 0 ? 0 : 1;
    }

    private static void example(List<String> examples, String problem) {
        if (examples.size() < 5) {
            examples.add(problem);
        }
    }
}
