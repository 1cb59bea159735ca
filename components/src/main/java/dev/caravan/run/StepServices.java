package dev.caravan.run;

import dev.caravan.expr.Expressions;
import dev.caravan.spi.Timers;
import dev.caravan.state.RunStore;
import dev.caravan.state.ValueStore;

import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * What the steps of a workflow route use of the engine: the node steps ({@code caravan-agent}, {@code caravan-gate},
 * ...) and the run's {@code begin} and {@code end}. The engine binds it in the Camel registry, where the components
 * find it; the run commands, queries and executor are services of their own, which only the steps that start or
 * schedule runs take.
 *
 * @param store         the run records
 * @param values        the values run records hold by reference
 * @param expressions   compiles the templates of node definitions when a route starts
 * @param catalog       the workflow definitions the steps read when their route starts
 * @param timers        node timeouts and retry backoffs
 * @param secrets       resolves {@code secret:NAME} references in messages that leave a node
 * @param killSwitches  checked before each node runs
 * @param lanes         the lanes of runs: their memory, which expressions read and remember nodes write
 * @param workers       where map items start, so that items that block run side by side
 * @param maxValueBytes the largest node output a run records, in bytes of JSON
 * @param stopping      whether the instance is shutting down: failures then are the shutdown's, not the nodes'
 */
public record StepServices(RunStore store, ValueStore values, Expressions expressions, WorkflowCatalog catalog,
        Timers timers, Secrets secrets, KillSwitches killSwitches, Lanes lanes, Executor workers, long maxValueBytes,
        BooleanSupplier stopping) {

    /** Whether the instance is shutting down: a node failing now is interrupted, not failed. */
    public boolean isStopping() {
        return stopping.getAsBoolean();
    }
}
