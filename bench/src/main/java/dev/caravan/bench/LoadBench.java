package dev.caravan.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Loading a workflow file (YAML, checks, expression and schema compilation): each example workflow, and generated
 * chains of {@code set} nodes, each reading the one before, whose per-node time shows whether loading stays linear.
 *
 * <pre>java -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" org.openjdk.jmh.Main LoadBench</pre>
 *
 * Run from the repository root (the examples are read from {@code routes/examples}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LoadBench {

    @Param({ "hello", "diamond", "gate", "loop", "map", "subflow", "tools", "chain-100", "chain-1000",
            "chain-10000" })
    public String workflow;

    private final WorkflowLoader loader = new WorkflowLoader();
    private String content;

    @Setup(Level.Trial)
    public void read() throws IOException {
        content = workflow.startsWith("chain-")
                ? chain(Integer.parseInt(workflow.substring("chain-".length())))
                : Files.readString(Path.of("routes/examples", workflow + ".caravan.yaml"), StandardCharsets.UTF_8);
        loader.load(workflow, content); // fails the trial at once if the file does not load
    }

    @Benchmark
    public Workflow load() {
        return loader.load(workflow, content);
    }

    /** A workflow of {@code nodes} {@code set} nodes in a chain, each reading its predecessor's output. */
    static String chain(int nodes) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: chain }
                spec:
                  nodes:
                    - id: n0
                      set: { value: "${{ input.x }}" }
                """);
        for (int i = 1; i < nodes; i++) {
            yaml.append("    - id: n").append(i).append("\n      needs: [n").append(i - 1)
                    .append("]\n      set: { value: \"${{ nodes.n").append(i - 1).append(".output.value }}\" }\n");
        }
        return yaml.toString();
    }
}
