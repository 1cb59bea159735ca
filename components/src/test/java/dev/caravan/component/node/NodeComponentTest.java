package dev.caravan.component.node;

import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.PropertyBindingException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@code caravan-*} node endpoint shares: the URI names a node of a workflow the engine knows, and a route
 * naming anything else fails to start, saying what it expected.
 */
class NodeComponentTest {

    /** A node of every kind. */
    private static final String KINDS = header("kinds") + """
                - id: ask
                  agent: { model: scripted, prompt: "Hi" }
                - id: fetch
                  call: { uri: "direct:nowhere" }
                - id: totals
                  set: { count: 1 }
                - id: keep
                  remember: { last: 1 }
                - id: approve
                  gate: { message: "Go?" }
                - id: each
                  map:
                    items: [1, 2]
                    nodes:
                      - id: inner
                        set: { v: "${{ item }}" }
                - id: rounds
                  loop:
                    max: 2
                    nodes:
                      - id: step
                        set: { v: "${{ iteration }}" }
                - id: child
                  workflow: { name: kinds }
                - id: pause
                  wait: { duration: 1s }
                - id: notify
                  emit: { type: kinds.noted }
                - id: stop
                  fail: { message: "stopped" }
            """;

    /** An example workflow of the repository, found through {@code caravan.workflows} rather than deployed. */
    private static final String LISTED = "src/test/resources/workflows/every-node-kind.caravan.yaml";

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.workflows", LISTED)
            .workflow("kinds.caravan.yaml", KINDS)
            .build();

    @ParameterizedTest
    @CsvSource({"caravan-agent, ask", "caravan-call, fetch", "caravan-set, totals", "caravan-set, keep",
                "caravan-gate, approve", "caravan-map, each", "caravan-loop, rounds", "caravan-workflow, child",
                "caravan-wait, pause", "caravan-emit, notify", "caravan-fail, stop"})
    void eachSchemeStartsOnANodeOfItsKind(String scheme, String node) throws Exception {
        assertThat(caravan.startRoute(scheme + ":" + node + "?workflow=kinds")).startsWith("direct:");
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "call", "set", "gate", "map", "loop", "workflow", "wait", "emit", "fail"})
    void aNodeIdIsRequiredAndTheRefusalShowsTheSyntax(String kind) {
        assertThatThrownBy(() -> caravan.startRoute("caravan-" + kind + ":?workflow=kinds"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("A node id is required: " + kind + " nodes are written caravan-" + kind
                            + ":nodeId?workflow=name, e.g. caravan-" + kind + ":classify?workflow=triage");
    }

    @Test
    void theWorkflowOptionIsRequired() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-gate:approve"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-gate://approve needs workflow=<name>: the workflow whose node approve it runs");
    }

    @Test
    void anUnknownWorkflowIsRefusedAtStartupNamingTheKnownOnesAndWhereItWasLookedFor() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-gate:approve?workflow=refund"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(UnknownWorkflowException.class)
                .hasMessage("No workflow named refund is known (known: every-node-kind, kinds): deploy it, or list its"
                            + " file in the Camel property caravan.workflows (now " + LISTED + ")");
    }

    @Test
    void unknownNodeIsRefusedAtStartup() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-gate:approval?workflow=kinds"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-gate://approval: workflow kinds (kinds.caravan.yaml) has no node approval");
    }

    @Test
    void aNodeOfAnotherKindIsRefusedAtStartup() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-set:approve?workflow=kinds"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-set://approve: node approve of workflow kinds is a gate node, not a set node");
    }

    @Test
    void aNodeInsideAMapOrLoopIsNamedByItsPath() throws Exception {
        caravan.startRoute("caravan-set:each/inner?workflow=kinds", "caravan-set:rounds/step?workflow=kinds");
        assertThatThrownBy(() -> caravan.startRoute("caravan-set:inner?workflow=kinds"))
                .rootCause().hasMessage("caravan-set://inner: workflow kinds (kinds.caravan.yaml) has no node inner");
    }

    @Test
    void anUnknownOptionIsRefused() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-gate:approve?workflow=kinds&timeout=1h"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining("Unknown parameters=[{timeout=1h}]");
    }

    @Test
    void anOptionOfTheWrongTypeIsRefused() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-agent:ask?workflow=kinds&streaming=perhaps"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .hasCauseInstanceOf(ResolveEndpointFailedException.class)
                .cause().hasCauseInstanceOf(PropertyBindingException.class)
                .rootCause().hasMessage("Cannot convert the String value: perhaps to type: boolean as the value is"
                                        + " not true or false");
    }

    @Test
    void aNodeEndpointIsAProducerOnly() {
        assertThatThrownBy(() -> caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("caravan-gate:approve?workflow=kinds").routeId("consumes-a-gate").to("log:never");
            }
        }))
                .isInstanceOf(FailedToStartRouteException.class)
                .rootCause().isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("The caravan-gate://approve endpoint is a producer only: use it in to:");
    }

    @Test
    void theEnginesServicesBoundInTheRegistryRunTheNodeAndRecordWithNextIsOff() {
        NodeEndpoint endpoint = caravan.camelContext().getEndpoint("caravan-set:totals?workflow=kinds",
                NodeEndpoint.class);
        assertThat(endpoint.services()).isSameAs(caravan.engine().stepServices());
        assertThat(endpoint.isRecordWithNext()).isFalse();
        assertThat(endpoint.getNodeId()).isEqualTo("totals");
        assertThat(endpoint.kind()).isEqualTo("set");
    }

    @Test
    void aWorkflowListedInTheCaravanWorkflowsPropertyNeedsNoDeploy() throws Exception {
        caravan.startRoute("caravan-set:totals?workflow=every-node-kind");
        assertThat(caravan.engine().catalog().get("every-node-kind").source().file()).endsWith(
                "every-node-kind.caravan.yaml");
    }
}
