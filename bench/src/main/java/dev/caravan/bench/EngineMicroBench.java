package dev.caravan.bench;

import dev.caravan.component.node.RunScope;
import dev.caravan.expr.Expressions;
import dev.caravan.expr.Template;
import dev.caravan.run.Engine;
import dev.caravan.state.RunStore;
import dev.caravan.state.Mutation;
import dev.caravan.state.RunRecord;
import org.apache.camel.impl.DefaultCamelContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The engine's per-node costs in isolation: a checkpoint update through the Hazelcast entry processor, a record
 * read, the pure mutation, the expression variables and a prompt template.
 *
 * <pre>java [hazelcast flags] -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   org.openjdk.jmh.Main EngineMicroBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = { "--add-modules", "java.se", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "-Dhazelcast.logging.type=none" })
public class EngineMicroBench {

    private DefaultCamelContext camel;
    private RunStore store;
    private Engine engine;
    private RunRecord record;
    private Template prompt;
    private Map<String, Object> variables;
    private Mutation.CompleteNode complete;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        camel = new DefaultCamelContext();
        camel.start();
        engine = Engine.of(camel);
        store = engine.store();
        store.apply("bench", new Mutation.CreateRun("bench", "diamond", "h", "default", null,
                Map.of("ticket", "Site down since 9am"), null, null));
        for (String id : new String[] { "classify", "draft", "lookup" }) {
            store.apply("bench", new Mutation.StartNode(id, "agent", 1, false));
            store.apply("bench", new Mutation.CompleteNode(id, "agent", Map.of("severity", "high", "text",
                    "We are on it and will call you within the hour."), 0, 40, null));
        }
        record = store.get("bench");
        prompt = new Expressions().compile(
                "Draft a ${{ nodes.classify.output.severity }}-priority reply to: ${{ input.ticket }}",
                Set.of("input", "nodes", "run"));
        variables = RunScope.variables(engine.stepServices(), record, "", Map.of());
        complete = new Mutation.CompleteNode("join", "set", Map.of("reply", "ok", "priority", 1), 0, 0, null, true,
                null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        camel.stop();
    }

    /** One checkpoint update: entry processor round trip to the partition thread, event numbering. */
    @Benchmark
    public Object checkpointUpdate() {
        return store.apply("bench", new Mutation.Emit("caravan.node.output.delta", "draft", null));
    }

    /** Reading the run record on its owning member (no copy). */
    @Benchmark
    public Object recordRead() {
        return store.get("bench");
    }

    /** The pure state transition of completing a node, without the store. */
    @Benchmark
    public Object mutationApply() {
        return complete.apply(record, 1L);
    }

    /** The variables expressions see, built from the record. */
    @Benchmark
    public Object scopeVariables() {
        return RunScope.variables(engine.stepServices(), record, "", Map.of());
    }

    /** Rendering a prompt with two CEL expressions. */
    @Benchmark
    public Object promptTemplate() {
        return prompt.evaluate(variables);
    }
}
