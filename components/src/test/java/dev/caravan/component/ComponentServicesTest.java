package dev.caravan.component;

import dev.caravan.component.gate.GateComponent;
import dev.caravan.component.node.ErrorCodes;
import dev.caravan.component.run.RunComponent;
import dev.caravan.component.set.SetComponent;
import dev.caravan.component.wait.WaitComponent;
import dev.caravan.component.workflow.WorkflowComponent;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService;
import dev.caravan.run.StepServices;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Components are given the narrow services they use, as camel-kafka is given its client factory: the engine binds
 * them in the Camel registry and components are autowired with them; an endpoint of a component that was given none
 * finds them when it starts; and a component given services of its own uses those.
 */
class ComponentServicesTest {

    private static final String PAUSE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: pause
            spec:
              nodes:
                - id: greet
                  set: { greeting: "hello ${{ input.name }}" }
                - id: rest
                  needs: [greet]
                  wait: { duration: 50ms }
              output: ${{ nodes.greet.output.greeting }}
            """;

    @Test
    void componentsAreAutowiredWithTheServicesTheEngineBinds() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Engine engine = Engine.of(camel);
            GateComponent gate = camel.getComponent("caravan-gate", GateComponent.class);
            assertThat(gate.getStepServices()).isSameAs(engine.stepServices());
            assertThat(gate.getRunTimers()).isSameAs(engine.runTimers());
            assertThat(camel.getComponent("caravan-wait", WaitComponent.class).getRunTimers())
                    .isSameAs(engine.runTimers());
            WorkflowComponent workflow = camel.getComponent("caravan-workflow", WorkflowComponent.class);
            assertThat(workflow.getRunService()).isSameAs(engine.runs());
            assertThat(workflow.getRunQueries()).isSameAs(engine.queries());
            assertThat(workflow.getRunExecutor()).isSameAs(engine.executor());
            RunComponent run = camel.getComponent("caravan-run", RunComponent.class);
            assertThat(run.getStepServices()).isSameAs(engine.stepServices());
            assertThat(run.getRunService()).isSameAs(engine.runs());
            assertThat(run.getRunExecutor()).isSameAs(engine.executor());
            assertThat(camel.getRegistry().findSingleByType(Engine.class)).isSameAs(engine);
        }
    }

    @Test
    void endpointsOfComponentsMadeBeforeTheEngineFindItsServicesWhenTheyStart() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            SetComponent set = camel.getComponent("caravan-set", SetComponent.class);
            WaitComponent wait = camel.getComponent("caravan-wait", WaitComponent.class);
            RunComponent run = camel.getComponent("caravan-run", RunComponent.class);
            Engine engine = Engine.of(camel);
            engine.catalog().deploy(new WorkflowLoader().load("pause.caravan.yaml", PAUSE));
            RunRecord paused = engine.runs().start(RunService.StartRequest.of("pause", Map.of("name", "Ada")))
                    .get(10, TimeUnit.SECONDS);
            assertThat(paused.status()).isEqualTo(RunStatus.WAITING);
            // the wait's timer, kept by the run timers its endpoint found, resumes the run
            await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> engine.queries().get(paused.runId()).status() == RunStatus.COMPLETED);
            assertThat(engine.queries().get(paused.runId()).output()).isEqualTo("hello Ada");
            // nothing was autowired: the components were made before anything was bound
            assertThat(set.getStepServices()).isNull();
            assertThat(wait.getRunTimers()).isNull();
            assertThat(run.getStepServices()).isNull();
        }
    }

    @Test
    void aComponentGivenServicesOfItsOwnUsesThem() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Engine engine = Engine.of(camel);
            StepServices s = engine.stepServices();
            // the engine's services, with a cap on node outputs that only caravan-set steps apply
            camel.getComponent("caravan-set", SetComponent.class).setStepServices(new StepServices(s.store(),
                    s.values(), s.expressions(), s.catalog(), s.timers(), s.secrets(), s.killSwitches(), s.lanes(),
                    s.workers(), 16, s.stopping()));
            engine.catalog().deploy(new WorkflowLoader().load("pause.caravan.yaml", PAUSE));
            RunRecord failed = engine.runs().start(RunService.StartRequest.of("pause", Map.of("name", "Ada")))
                    .get(10, TimeUnit.SECONDS);
            assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
            assertThat(failed.errorNode()).isEqualTo("greet");
            assertThat(failed.errorCode()).isEqualTo(ErrorCodes.OUTPUT_TOO_LARGE);
            assertThat(failed.error()).startsWith("Output of node greet is ").contains("over the limit of 16 bytes");
        }
    }
}
