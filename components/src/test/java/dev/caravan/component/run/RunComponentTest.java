package dev.caravan.component.run;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.run.RunRecords;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code caravan-run}: {@code start} starts runs from any route; {@code begin} and {@code end} enclose a workflow's
 * steps.
 */
class RunComponentTest {

    private static final String GREET = header("greet") + """
                - id: hello
                  set: { text: "Hello, ${{ input.name }}" }
              output: ${{ nodes.hello.output.text }}
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("greet.caravan.yaml", GREET)
            .build();

    /** The run once it ended. */
    private static RunRecord ended(String runId) {
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId) != null
                                                         && caravan.queries().get(runId).status().isTerminal());
        return caravan.queries().get(runId);
    }

    @Test
    void startRepliesWithTheIdOfANewRunAndIgnoresAnIdTheMessageCarries() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet");

        Exchange sent = caravan.camelContext().createProducerTemplate().request(trigger, e -> {
            e.getMessage().setBody("{\"name\": \"Ada\"}");
            e.getMessage().setHeader(NodeConstants.RUN_ID_HEADER, "chosen-by-caller");
        });

        String runId = sent.getMessage().getBody(String.class);
        assertThat(runId).isNotEqualTo("chosen-by-caller");
        assertThat(sent.getMessage().getHeader(NodeConstants.RUN_ID_HEADER)).isEqualTo(runId);
        RunRecord r = ended(runId);
        assertThat(r.output()).isEqualTo("Hello, Ada");
        assertThat(r.tenant()).as("the default tenant").isEqualTo("default");
        assertThat(caravan.queries().get("chosen-by-caller")).isNull();
    }

    @Test
    void startStartsRunsOfTheTenantOption() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=greet&tenant=acme");

        String runId = caravan.request(trigger, Map.of("name", "Bob")).getMessage().getBody(String.class);

        assertThat(ended(runId).tenant()).isEqualTo("acme");
    }

    @Test
    void startAcceptsAWorkflowDeployedAfterTheRouteStarted() throws Exception {
        String trigger = caravan.startRoute("caravan-run:start?workflow=later");
        assertThat(caravan.request(trigger, Map.of()).getException()).isInstanceOf(UnknownWorkflowException.class)
                .hasMessageStartingWith("No workflow named later is deployed");

        caravan.deploy(GREET.replace("name: greet", "name: later"));
        String runId = caravan.request(trigger, Map.of("name", "Cy")).getMessage().getBody(String.class);

        assertThat(ended(runId).output()).isEqualTo("Hello, Cy");
    }

    @Test
    void beginAndEndRunARouteOfTheirOwnAsANewRunWithTheBodyAsInput() throws Exception {
        String route = caravan.startRoute("caravan-run:begin?workflow=greet", "caravan-set:hello?workflow=greet",
                "caravan-run:end?workflow=greet");

        Exchange done = caravan.request(route, "{\"name\": \"Di\"}");

        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody()).isEqualTo("Hello, Di");
        RunRecord r = caravan.queries().get(done.getProperty(RunRecords.RUN_ID, String.class));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.input()).isEqualTo(Map.of("name", "Di"));
    }

    @Test
    void anUnknownActionIsRefusedListingTheActions() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-run:stop?workflow=greet"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-run action must be one of start, begin, end, resolve but was 'stop'");
    }

    @Test
    void theWorkflowOptionIsRequired() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-run:begin"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-run:begin needs workflow=<name>");
    }

    @Test
    void beginOnAnUnknownWorkflowIsRefusedAtStartup() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-run:begin?workflow=refund"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause().isInstanceOf(UnknownWorkflowException.class)
                .hasMessageStartingWith("No workflow named refund is known (known: ");
    }

    @Test
    void runIsAProducerOnly() {
        assertThatThrownBy(() -> caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("caravan-run:start?workflow=greet").routeId("consumes-runs").to("log:never");
            }
        }))
                .isInstanceOf(FailedToStartRouteException.class)
                .rootCause().isInstanceOf(UnsupportedOperationException.class)
                .hasMessage("caravan-run is a producer only: use it in to:");
    }
}
