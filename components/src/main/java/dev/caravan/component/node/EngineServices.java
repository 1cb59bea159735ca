package dev.caravan.component.node;

import com.hazelcast.core.HazelcastInstance;
import dev.caravan.run.Engine;
import dev.caravan.run.RunExecutor;
import dev.caravan.run.RunQueries;
import dev.caravan.run.RunService;
import dev.caravan.run.RunTimers;
import dev.caravan.run.StepServices;
import org.apache.camel.CamelContext;

import java.util.function.Function;

/**
 * Where an endpoint whose component was given no service finds it when it starts: the one service of the type in the
 * Camel registry, else the one of the context's engine. {@link Engine#of} makes and binds an embedded engine when none
 * is bound, so routes compiled from a workflow run in plain Camel with only the Caravan jars. The only class of the
 * components that knows the engine.
 */
public final class EngineServices {

    private EngineServices() {
    }

    /** What the steps of a workflow route use: run store, values, expressions, timers, secrets, lanes. */
    public static StepServices steps(CamelContext camelContext) {
        return find(camelContext, StepServices.class, Engine::stepServices);
    }

    /** The timers of paused runs: gate deadlines and waits. */
    public static RunTimers runTimers(CamelContext camelContext) {
        return find(camelContext, RunTimers.class, Engine::runTimers);
    }

    /** The run commands. */
    public static RunService runService(CamelContext camelContext) {
        return find(camelContext, RunService.class, Engine::runs);
    }

    /** Reads runs. */
    public static RunQueries runQueries(CamelContext camelContext) {
        return find(camelContext, RunQueries.class, Engine::queries);
    }

    /** Executes runs, here or on the member that owns them. */
    public static RunExecutor runExecutor(CamelContext camelContext) {
        return find(camelContext, RunExecutor.class, Engine::executor);
    }

    /** The Hazelcast member of the context's engine, for state a component shares with the cluster. */
    public static HazelcastInstance hazelcast(CamelContext camelContext) {
        return Engine.of(camelContext).hazelcast();
    }

    private static <T> T find(CamelContext camelContext, Class<T> type, Function<Engine, T> ofEngine) {
        T bound = camelContext.getRegistry().findSingleByType(type);
        return bound != null ? bound : ofEngine.apply(Engine.of(camelContext));
    }
}
