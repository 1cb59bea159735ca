package dev.caravan.app.serve;

import dev.caravan.app.cli.WorkflowFiles;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The API's run, lane, definition and kill-switch commands on a real embedded engine, without HTTP. */
class CommandApisTest {

    private static final CountDownLatch afterGate = new CountDownLatch(1);
    private static final CountDownLatch whileRunning = new CountDownLatch(1);

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> {
                rb.from("direct:after-gate").process(e -> afterGate.await(20, TimeUnit.SECONDS));
                rb.from("direct:while-running").process(e -> whileRunning.await(20, TimeUnit.SECONDS));
            })
            .build();

    private final RunApi runs = new RunApi(caravan::engine);

    @Test
    void approvalAnswersWhileTheResumedRunIsStillGoingOn() throws Exception {
        caravan.deploy(header("held-after-gate") + """
                    - id: ok
                      gate: { message: "Go?" }
                    - id: held
                      needs: [ok]
                      call: { uri: "direct:after-gate" }
                """);
        RunRecord paused = caravan.run("held-after-gate", Map.of());
        assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);

        // were the run carried on on this thread, the answer would wait for the held node
        ApiResponse answer = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> runs.resolveGate("default",
                json("{\"runId\": \"" + paused.runId() + "\", \"node\": \"ok\", \"decision\": \"approve\"}")));
        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.body()).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("runId", paused.runId());
        assertThat(caravan.queries().get(paused.runId()).status()).isEqualTo(RunStatus.RUNNING);

        afterGate.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> caravan.queries().get(paused.runId()).status()
                == RunStatus.COMPLETED);
    }

    @Test
    void aRunningRunIsNotRetriedNorCancelledByAnotherTenant() throws Exception {
        caravan.deploy(header("held-while-running") + """
                    - id: held
                      call: { uri: "direct:while-running" }
                """);
        String runId = caravan.runs().start(RunService.StartRequest.of("held-while-running", Map.of()))
                .runId();
        await().atMost(Duration.ofSeconds(20)).until(() -> caravan.queries().get(runId).node("held") != null);

        assertThatThrownBy(() -> runs.retry("default", runId, Map.of("from", "held")))
                .isInstanceOf(RunConflictException.class)
                .hasMessage("Run " + runId + " is running; retry a run once it has ended or paused");
        assertThatThrownBy(() -> runs.cancel("acme", json("{\"runId\": \"" + runId + "\"}")))
                .isInstanceOf(ApiException.class)
                .hasMessage("there is no run " + runId)
                .extracting(e -> ((ApiException) e).code()).isEqualTo("RUN_NOT_FOUND");

        ApiResponse cancelled = runs.cancel("default", json("{\"runId\": \"" + runId + "\"}"));
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.body()).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("status", "cancelled");
        whileRunning.countDown();
    }

    @Test
    void aDefinitionThatRunsAnUndeployedWorkflowIsRefusedNamingIt() {
        DefinitionApi definitions = new DefinitionApi(caravan::engine, WorkflowFiles.loader(null, Map.of()));
        String yaml = header("parent-of-nothing") + """
                    - id: child
                      workflow: { name: not-deployed-anywhere }
                """;
        assertThatThrownBy(() -> definitions.put("parent-of-nothing", yaml.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("not-deployed-anywhere")
                .satisfies(e -> {
                    assertThat(((ApiException) e).status()).isEqualTo(422);
                    assertThat(((ApiException) e).code()).isEqualTo("DEFINITION_INVALID");
                });
        assertThat(caravan.engine().catalog().get("parent-of-nothing")).isNull();
        assertThatThrownBy(() -> definitions.put("x", new byte[] {(byte) 0xff, (byte) 0xfe}))
                .isInstanceOf(ApiException.class)
                .hasMessage("the body is not UTF-8 text");
    }

    @Test
    void agentDefinitionsStopAtTheCapAndTheDeployedOnesStillRun() {
        AgentApi agents = new AgentApi(caravan::engine, WorkflowFiles.loader(null, Map.of()), runs, 2);
        String first = "{\"model\": \"scripted\", \"prompt\": \"one\"}";
        assertThat(agents.run("default", json(first), null).status()).isEqualTo(202);
        assertThat(agents.run("default", json("{\"model\": \"scripted\", \"prompt\": \"two\"}"), null).status())
                .isEqualTo(202);
        assertThatThrownBy(() -> agents.run("default", json("{\"model\": \"scripted\", \"prompt\": \"three\"}"), null))
                .isInstanceOf(ApiException.class)
                .hasMessageStartingWith("this server has deployed 2 distinct agent definitions")
                .extracting(e -> ((ApiException) e).code()).isEqualTo("AGENT_DEFINITIONS_FULL");
        assertThat(agents.run("default", json(first.replace("}", ", \"input\": {\"n\": 1}}")), null).status())
                .as("another input, the same definition").isEqualTo(202);
    }

    @Test
    void killSwitchesAreListedByScopeAndTargetAndClearedOneByOne() {
        KillSwitchApi switches = new KillSwitchApi(caravan::engine);
        switches.change(json("{\"scope\": \"tenant\", \"target\": \"acme\", \"reason\": \"unpaid\"}"));
        ApiResponse listed = switches.change(json("{\"scope\": \"all\"}"));
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("scope", "all");
        all.put("target", null);
        all.put("reason", "kill switch");
        assertThat(listed.body()).isEqualTo(Map.of("killSwitches", List.of(all,
                Map.of("scope", "tenant", "target", "acme", "reason", "unpaid"))));
        assertThat(caravan.engine().killSwitches().stopping("any", "acme")).isPresent();

        switches.change(json("{\"scope\": \"all\", \"clear\": true}"));
        switches.change(json("{\"scope\": \"tenant\", \"target\": \"acme\", \"clear\": true}"));
        assertThat(switches.list().body()).isEqualTo(Map.of("killSwitches", List.of()));
    }

    @Test
    void requestMembersOfTheWrongKindAreRefusedNamingTheMember() {
        assertThatThrownBy(() -> RequestBodies.integer(Map.of("cap", 1.5), "cap", 1, 1, 10))
                .hasMessage("\"cap\" must be a whole number from 1 to 10");
        assertThatThrownBy(() -> RequestBodies.integer(Map.of("cap", "2"), "cap", 1, 1, 10))
                .hasMessage("\"cap\" must be a whole number from 1 to 10");
        assertThat(RequestBodies.integer(Map.of(), "cap", 3, 1, 10)).isEqualTo(3);
        assertThatThrownBy(() -> RequestBodies.bool(Map.of("clear", "yes"), "clear", false))
                .hasMessage("\"clear\" must be true or false");
        assertThatThrownBy(() -> RequestBodies.object(json("[1]"), "{\"a\": 1}"))
                .hasMessage("the body must be a JSON object such as {\"a\": 1}");
        assertThatThrownBy(() -> RequestBodies.object(new byte[0], "{}"))
                .extracting(e -> ((ApiException) e).code()).isEqualTo("MALFORMED_JSON");
        assertThat(ApiRoutes.adminTenants(" ops, ,root ")).containsExactlyInAnyOrder("ops", "root");
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
