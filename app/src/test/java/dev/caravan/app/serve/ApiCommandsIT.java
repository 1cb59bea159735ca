package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The commands of the REST API over HTTP, on a server that takes API keys of two tenants and of an admin tenant:
 * gates, cancel, retry, lanes, definitions deployed over HTTP and kill switches.
 */
class ApiCommandsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACME = "Bearer acme-secret-key";
    private static final String OTHER = "Bearer other-secret-key";
    private static final String OPS = "Bearer ops-secret-key";
    private static final long MAX_BODY = 64 * 1024;

    @TempDir
    static Path dir;

    static CaravanServer server;
    static ServeOptions options;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(ApiCommandsIT.class.getResource("/serve/workflows").toURI());
        Path operations = Path.of(ApiCommandsIT.class.getResource("/serve/operations").toURI());
        options = new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                List.of(workflows, operations), Map.of(
                        CaravanServer.KAFKA_BOOTSTRAP, "127.0.0.1:9",
                        ApiKeys.PROPERTY, "acme:" + ApiKeys.hash("acme-secret-key") + ",other:"
                                + ApiKeys.hash("other-secret-key") + ",ops:" + ApiKeys.hash("ops-secret-key"),
                        ApiRoutes.ADMIN_TENANTS, "ops",
                        CaravanServer.MAX_BODY_BYTES, String.valueOf(MAX_BODY)),
                workflows.getParent());
        server = CaravanServer.start(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
    }

    /** Stops the server and starts it again on the same data directory and port, as a restart would. */
    private static void restart() throws Exception {
        server.close();
        server = CaravanServer.start(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // --- gates ------------------------------------------------------------------------------------------------

    @Test
    void approvingAGateResumesTheRunOffTheHttpThreads() throws Exception {
        String runId = pausedApprovalRun();
        ServerIT.assertProblem(post(OTHER, "/api/v1/approval/resolve", resolve(runId, "approve")), 404,
                "RUN_NOT_FOUND");

        HttpResponse<String> resolved = post(ACME, "/api/v1/approval/resolve", "{\"runId\": \"" + runId
                + "\", \"node\": \"approve\", \"decision\": \"approve\", \"comment\": \"fine\", \"by\": \"ada\"}");
        assertThat(resolved.statusCode()).as(resolved.body()).isEqualTo(202);
        JsonNode answer = JSON.readTree(resolved.body());
        assertThat(answer.get("runId").asText()).isEqualTo(runId);
        assertThat(answer.get("status").asText()).isIn("running", "completed");
        assertThat(answer.at("/links/self").asText()).isEqualTo("/api/v1/workflows/" + runId);

        JsonNode run = awaitStatus(ACME, runId, "completed");
        assertThat(run.at("/nodes/approve/output/approved").asBoolean()).isTrue();
        assertThat(run.at("/nodes/approve/output/by").asText()).isEqualTo("ada");
        assertThat(run.at("/nodes/approve/output/comment").asText()).isEqualTo("fine");
        // the thread that carried the run on to its next node: one of the engine's, not Vert.x's
        assertThat(run.get("output").asText()).doesNotStartWith("vert.x-");

        JsonNode again = ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", resolve(runId, "reject")), 409,
                "RUN_CONFLICT");
        assertThat(again.get("detail").asText()).contains("approve");
    }

    @Test
    void rejectingAGateSkipsWhatDependsOnIt() throws Exception {
        String runId = pausedApprovalRun();
        assertThat(post(ACME, "/api/v1/approval/resolve", resolve(runId, "reject")).statusCode()).isEqualTo(202);
        JsonNode run = awaitStatus(ACME, runId, "completed");
        assertThat(run.at("/nodes/approve/status").asText()).isEqualTo("rejected");
        assertThat(run.at("/nodes/approve/output/by").asText()).as("by defaults to the tenant").isEqualTo("acme");
        assertThat(run.at("/nodes/send/status").asText()).isEqualTo("skipped");
    }

    @Test
    void refusesAnApprovalItCannotApply() throws Exception {
        String runId = pausedApprovalRun();
        JsonNode bad = ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", resolve(runId, "maybe")), 400,
                "REQUEST_INVALID");
        assertThat(bad.get("detail").asText()).isEqualTo("\"decision\" must be one of: approve, reject");
        ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", "{\"runId\": \"" + runId
                + "\", \"decision\": \"approve\"}"), 400, "REQUEST_INVALID");
        ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", "{\"runId\": \"" + runId
                + "\", \"node\": \"draft\", \"decision\": \"approve\"}"), 409, "RUN_CONFLICT");
        ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", resolve(UUID.randomUUID().toString(),
                "approve")), 404, "RUN_NOT_FOUND");
        ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", "{\"runId\": "), 400, "MALFORMED_JSON");
        assertThat(JSON.readTree(get(ACME, "/api/v1/workflows/" + runId).body()).get("status").asText())
                .isEqualTo("awaiting_approval");
    }

    // --- cancel -----------------------------------------------------------------------------------------------

    @Test
    void cancelsARunOnceAndOnlyForItsTenant() throws Exception {
        String runId = pausedApprovalRun();
        String request = "{\"runId\": \"" + runId + "\", \"reason\": \"customer withdrew\"}";
        ServerIT.assertProblem(post(OTHER, "/api/v1/agent/cancel", request), 404, "RUN_NOT_FOUND");

        HttpResponse<String> cancelled = post(ACME, "/api/v1/agent/cancel", request);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        JsonNode run = JSON.readTree(cancelled.body());
        assertThat(run.get("runId").asText()).isEqualTo(runId);
        assertThat(run.get("status").asText()).isEqualTo("cancelled");
        assertThat(run.get("error").asText()).contains("customer withdrew");

        ServerIT.assertProblem(post(ACME, "/api/v1/agent/cancel", request), 409, "RUN_CONFLICT");
        ServerIT.assertProblem(post(ACME, "/api/v1/approval/resolve", resolve(runId, "approve")), 409,
                "RUN_CONFLICT");
        ServerIT.assertProblem(post(ACME, "/api/v1/agent/cancel", "{\"reason\": \"no id\"}"), 400,
                "REQUEST_INVALID");
        ServerIT.assertProblem(post(ACME, "/api/v1/agent/cancel", "{\"runId\": \"" + UUID.randomUUID() + "\"}"), 404,
                "RUN_NOT_FOUND");
    }

    // --- agent ------------------------------------------------------------------------------------------------

    @Test
    void runsOneAgentCallWithoutAWorkflowFile() throws Exception {
        String request = "{\"model\": \"scripted\", \"system\": \"Be brief.\", \"prompt\": \"Say hi to "
                + "${{ input.name }}\", \"input\": {\"name\": \"Ada\"}}";
        String runId = startedRunId(ACME, "/api/v1/agent/run", request);
        JsonNode run = awaitStatus(ACME, runId, "completed");
        // the scripted model echoes the prompt it was sent: the expression was filled from the input
        assertThat(run.get("output").asText()).isEqualTo("Say hi to Ada");
        assertThat(run.get("tenant").asText()).isEqualTo("acme");
        assertThat(run.at("/nodes/agent/status").asText()).isEqualTo("completed");
        String workflow = run.get("workflow").asText();
        assertThat(workflow).matches("agent-[0-9a-f]{20}");

        // another input, the same definition; another prompt, another one
        String again = startedRunId(ACME, "/api/v1/agent/run", request.replace("Ada", "Bo"));
        JsonNode second = awaitStatus(ACME, again, "completed");
        assertThat(second.get("output").asText()).isEqualTo("Say hi to Bo");
        assertThat(second.get("workflow").asText()).isEqualTo(workflow);
        String other = startedRunId(ACME, "/api/v1/agent/run", request.replace("Say hi", "Wave"));
        assertThat(awaitStatus(ACME, other, "completed").get("workflow").asText()).isNotEqualTo(workflow);
    }

    @Test
    void anAgentMayCallTheServersDirectRoutesAsToolsAndNothingElse() throws Exception {
        String runId = startedRunId(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", \"prompt\": \"What "
                + "thread?\", \"tools\": [{\"name\": \"thread\", \"description\": \"Names the thread\", "
                + "\"uri\": \"direct:thread-name\"}]}");
        assertThat(awaitStatus(ACME, runId, "completed").get("output").asText()).isEqualTo("What thread?");
        // the output schema holds the reply to it: the scripted model's echo is no JSON object
        String structured = startedRunId(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", \"prompt\": "
                + "\"Classify\", \"outputSchema\": {\"type\": \"object\"}}");
        assertThat(awaitStatus(ACME, structured, "failed").get("errorCode").asText()).isEqualTo("INVALID_OUTPUT");

        JsonNode exec = ServerIT.assertProblem(post(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", "
                + "\"prompt\": \"x\", \"tools\": [{\"name\": \"sh\", \"description\": \"d\", \"uri\": "
                + "\"exec:sh\"}]}"), 400, "REQUEST_INVALID");
        assertThat(exec.get("detail").asText()).contains("direct:");
        ServerIT.assertProblem(post(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", \"prompt\": \"x\", "
                + "\"outputSchema\": \"string\"}"), 400, "REQUEST_INVALID");
        ServerIT.assertProblem(post(ACME, "/api/v1/agent/run", "{\"prompt\": \"x\"}"), 400, "REQUEST_INVALID");
        JsonNode invalid = ServerIT.assertProblem(post(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", "
                + "\"prompt\": \"Hi ${{ input.name\"}"), 422, "DEFINITION_INVALID");
        assertThat(invalid.get("errors").get(0).asText()).isNotBlank();
        ServerIT.assertProblem(post(ACME, "/api/v1/agent/run", "{\"model\": \"scripted\", \"prompt\": \"x\", "
                + "\"lane\": \"nowhere\"}"), 404, "LANE_NOT_FOUND");
    }

    // --- retry ------------------------------------------------------------------------------------------------

    @Test
    void retriesARunFromANodeOffTheHttpThreads() throws Exception {
        String runId = pausedApprovalRun();
        post(ACME, "/api/v1/approval/resolve", resolve(runId, "approve"));
        JsonNode done = awaitStatus(ACME, runId, "completed");
        String firstFinish = done.at("/nodes/send/finishedAt").asText();

        HttpResponse<String> retried = post(ACME, "/api/v1/runs/" + runId + "/retry?from=send", "");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(202);
        assertThat(JSON.readTree(retried.body()).get("runId").asText()).isEqualTo(runId);
        JsonNode again = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> JSON.readTree(get(ACME, "/api/v1/workflows/" + runId).body()),
                        r -> r.path("status").asText().equals("completed")
                                && !r.at("/nodes/send/finishedAt").asText().equals(firstFinish));
        assertThat(again.get("output").asText()).doesNotStartWith("vert.x-");
        assertThat(again.at("/nodes/approve/output/approved").asBoolean()).as("the gate before it stays decided")
                .isTrue();
    }

    @Test
    void refusesARetryItCannotApply() throws Exception {
        String runId = pausedApprovalRun();
        ServerIT.assertProblem(post(ACME, "/api/v1/runs/" + runId + "/retry", ""), 400, "REQUEST_INVALID");
        JsonNode node = ServerIT.assertProblem(post(ACME, "/api/v1/runs/" + runId + "/retry?from=nowhere", ""), 422,
                "NODE_NOT_FOUND");
        assertThat(node.get("detail").asText()).contains("nowhere");
        ServerIT.assertProblem(post(OTHER, "/api/v1/runs/" + runId + "/retry?from=draft", ""), 404, "RUN_NOT_FOUND");
        ServerIT.assertProblem(post(ACME, "/api/v1/runs/" + UUID.randomUUID() + "/retry?from=draft", ""), 404,
                "RUN_NOT_FOUND");
        post(ACME, "/api/v1/agent/cancel", "{\"runId\": \"" + runId + "\"}");
        ServerIT.assertProblem(post(ACME, "/api/v1/runs/" + runId + "/retry?from=draft", ""), 409, "RUN_CONFLICT");
    }

    // --- lanes ------------------------------------------------------------------------------------------------

    @Test
    void createsReadsAndCleansUpALaneOfTheKeysTenant() throws Exception {
        String lane = "session-" + UUID.randomUUID();
        HttpResponse<String> created = post(ACME, "/api/v1/lane/create", "{\"laneId\": \"" + lane + "\", \"cap\": 2}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode view = JSON.readTree(created.body());
        assertThat(view.get("laneId").asText()).isEqualTo(lane);
        assertThat(view.get("tenant").asText()).isEqualTo("acme");
        assertThat(view.get("status").asText()).isEqualTo("active");
        assertThat(view.get("cap").asInt()).isEqualTo(2);

        HttpResponse<String> again = post(ACME, "/api/v1/lane/create", "{\"laneId\": \"" + lane + "\", \"cap\": 5}");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("cap").asInt()).as("left as it was").isEqualTo(2);
        ServerIT.assertProblem(post(OTHER, "/api/v1/lane/create", "{\"laneId\": \"" + lane + "\"}"), 409,
                "LANE_CONFLICT");
        ServerIT.assertProblem(get(OTHER, "/api/v1/lanes/" + lane), 404, "LANE_NOT_FOUND");
        ServerIT.assertProblem(post(OTHER, "/api/v1/lane/cleanup", "{\"laneId\": \"" + lane + "\", \"mode\": "
                + "\"cancel\"}"), 404, "LANE_NOT_FOUND");

        // a run in the lane holds a place in it while it waits for approval
        String runId = startedRunId(ACME, "{\"workflow\": \"approval\", \"lane\": \"" + lane + "\"}");
        awaitStatus(ACME, runId, "awaiting_approval");
        JsonNode read = JSON.readTree(get(ACME, "/api/v1/lanes/" + lane).body());
        assertThat(read.get("running")).extracting(JsonNode::asText).containsExactly(runId);
        // the lane's runs, and only they, are listed by lane
        String elsewhere = startedRunId(ACME, "{\"workflow\": \"approval\"}");
        JsonNode listed = JSON.readTree(get(ACME, "/api/v1/runs?lane=" + lane).body());
        assertThat(listed.get("runs")).extracting(r -> r.get("runId").asText()).containsExactly(runId);
        assertThat(JSON.readTree(get(ACME, "/api/v1/runs?lane=" + lane + "&status=completed").body()).get("runs"))
                .isEmpty();
        assertThat(JSON.readTree(get(ACME, "/api/v1/runs?limit=1000").body()).get("runs"))
                .extracting(r -> r.get("runId").asText()).contains(runId, elsewhere);

        HttpResponse<String> drained = post(ACME, "/api/v1/lane/cleanup", "{\"laneId\": \"" + lane + "\", \"mode\": "
                + "\"drain\"}");
        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);
        assertThat(JSON.readTree(drained.body()).get("status").asText()).isEqualTo("draining");
        assertThat(JSON.readTree(drained.body()).get("removed").asBoolean()).isFalse();
        ServerIT.assertProblem(post(ACME, "/api/v1/workflows/run", "{\"workflow\": \"approval\", \"lane\": \"" + lane
                + "\"}"), 409, "RUN_CONFLICT");

        HttpResponse<String> removed = post(ACME, "/api/v1/lane/cleanup", "{\"laneId\": \"" + lane + "\", \"mode\": "
                + "\"cancel\"}");
        assertThat(removed.statusCode()).as(removed.body()).isEqualTo(200);
        assertThat(JSON.readTree(removed.body()).get("removed").asBoolean()).isTrue();
        ServerIT.assertProblem(get(ACME, "/api/v1/lanes/" + lane), 404, "LANE_NOT_FOUND");
        awaitStatus(ACME, runId, "cancelled");
    }

    @Test
    void refusesALaneRequestItCannotApply() throws Exception {
        ServerIT.assertProblem(post(ACME, "/api/v1/lane/create", "{\"laneId\": \"a lane\"}"), 400, "REQUEST_INVALID");
        JsonNode cap = ServerIT.assertProblem(post(ACME, "/api/v1/lane/create", "{\"laneId\": \"l1\", \"cap\": 0}"),
                400, "REQUEST_INVALID");
        assertThat(cap.get("detail").asText()).isEqualTo("\"cap\" must be a whole number from 1 to 10000");
        JsonNode mode = ServerIT.assertProblem(post(ACME, "/api/v1/lane/cleanup", "{\"laneId\": \"l1\", \"mode\": "
                + "\"burn\"}"), 400, "REQUEST_INVALID");
        assertThat(mode.get("detail").asText()).isEqualTo("\"mode\" must be one of: cancel, drain");
        ServerIT.assertProblem(get(ACME, "/api/v1/lanes/nowhere"), 404, "LANE_NOT_FOUND");
        ServerIT.assertProblem(post(ACME, "/api/v1/lane/create", "{\"laneId\": \"x\"} trailing"), 400,
                "MALFORMED_JSON");
        ServerIT.assertProblem(post(ACME, "/api/v1/lane/create", "{\"laneId\": \"" + "x".repeat((int) MAX_BODY)
                + "\"}"), 413, "BODY_TOO_LARGE");
    }

    // --- definitions ------------------------------------------------------------------------------------------

    @Test
    void deploysADefinitionIntoTheRunningServer() throws Exception {
        String yaml = Files.readString(Path.of(ApiCommandsIT.class.getResource("/serve/workflows/hello.caravan.yaml")
                .toURI())).replace("name: hello", "name: greeter");
        ServerIT.assertProblem(put(ACME, "/api/v1/definitions/greeter", yaml, "application/yaml"), 403, "FORBIDDEN");

        HttpResponse<String> created = put(OPS, "/api/v1/definitions/greeter", yaml, "application/yaml");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode summary = JSON.readTree(created.body());
        assertThat(summary.get("name").asText()).isEqualTo("greeter");
        assertThat(summary.get("hash").asText()).hasSize(64);
        assertThat(summary.get("status").asText()).isEqualTo("created");
        assertThat(get(ACME, "/api/v1/workflows").body()).contains("\"greeter\"");

        String runId = startedRunId(ACME, "{\"workflow\": \"greeter\", \"input\": {\"name\": \"Ada\"}}");
        assertThat(awaitStatus(ACME, runId, "completed").get("output").asText())
                .isEqualTo("Hello, Ada! Welcome aboard the caravan.");

        HttpResponse<String> same = put(OPS, "/api/v1/definitions/greeter", yaml, "text/yaml; charset=utf-8");
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(same.body()).get("status").asText()).isEqualTo("unchanged");
        HttpResponse<String> changed = put(OPS, "/api/v1/definitions/greeter", yaml.replace("Welcome aboard",
                "Welcome back to"), "application/yaml");
        assertThat(changed.statusCode()).isEqualTo(200);
        JsonNode updated = JSON.readTree(changed.body());
        assertThat(updated.get("status").asText()).isEqualTo("updated");
        assertThat(updated.get("hash").asText()).isNotEqualTo(summary.get("hash").asText());
        String second = startedRunId(ACME, "{\"workflow\": \"greeter\", \"input\": {\"name\": \"Bo\"}}");
        assertThat(awaitStatus(ACME, second, "completed").get("output").asText())
                .isEqualTo("Hello, Bo! Welcome back to the caravan.");
    }

    @Test
    void definitionsAndKillSwitchesOutliveARestartAndRunsOfTheDefinitionsResume() throws Exception {
        String yaml = Files.readString(Path.of(ApiCommandsIT.class.getResource(
                "/serve/operations/approval.caravan.yaml").toURI())).replace("name: approval", "name: kept-approval");
        assertThat(put(OPS, "/api/v1/definitions/kept-approval", yaml, "application/yaml").statusCode())
                .isEqualTo(201);
        String waiting = startedRunId(ACME, "{\"workflow\": \"kept-approval\"}");
        awaitStatus(ACME, waiting, "awaiting_approval");
        String agentRequest = "{\"model\": \"scripted\", \"prompt\": \"Remember ${{ input.name }}\", "
                + "\"input\": {\"name\": \"Ada\"}}";
        String agentWorkflow = awaitStatus(ACME, startedRunId(ACME, "/api/v1/agent/run", agentRequest), "completed")
                .get("workflow").asText();
        assertThat(post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"tenant\", \"target\": \"unpaid\", "
                + "\"reason\": \"invoice overdue\"}").statusCode()).isEqualTo(200);

        restart();

        // a kill switch outlives the restart too
        try {
            assertThat(get(OPS, "/api/v1/admin/kill-switch").body()).contains("\"unpaid\"").contains("invoice overdue");
        } finally {
            post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"tenant\", \"target\": \"unpaid\", \"clear\": true}");
        }
        assertThat(get(ACME, "/api/v1/workflows").body()).contains("\"kept-approval\"")
                .contains("\"" + agentWorkflow + "\"");
        HttpResponse<String> resolved = post(ACME, "/api/v1/approval/resolve", resolve(waiting, "approve"));
        assertThat(resolved.statusCode()).as(resolved.body()).isEqualTo(202);
        assertThat(awaitStatus(ACME, waiting, "completed").at("/nodes/approve/output/approved").asBoolean()).isTrue();
        JsonNode again = awaitStatus(ACME, startedRunId(ACME, "/api/v1/agent/run",
                agentRequest.replace("Ada", "Bo")), "completed");
        assertThat(again.get("workflow").asText()).isEqualTo(agentWorkflow);
        assertThat(again.get("output").asText()).isEqualTo("Remember Bo");
    }

    @Test
    void refusesADefinitionThatDoesNotLoadListingEachProblemWhereItIs() throws Exception {
        String broken = """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: broken-put
                spec:
                  nodes:
                    - id: first
                      needs: [nowhere]
                      set: { value: 1 }
                    - id: second
                      frobnicate: {}
                """;
        JsonNode problem = ServerIT.assertProblem(put(OPS, "/api/v1/definitions/broken-put", broken,
                "application/yaml"), 422, "DEFINITION_INVALID");
        JsonNode errors = problem.get("errors");
        assertThat(errors.size()).isGreaterThanOrEqualTo(2);
        assertThat(errors.get(0).get("location").asText()).isEqualTo("broken-put.caravan.yaml:8:"
                + errors.get(0).get("column").asInt());
        assertThat(errors.get(0).get("line").asInt()).isEqualTo(8);
        assertThat(errors.get(0).get("message").asText()).contains("nowhere");
        assertThat(errors.get(1).get("location").asText()).startsWith("broken-put.caravan.yaml:");
        assertThat(get(ACME, "/api/v1/workflows").body()).doesNotContain("broken-put");

        String hello = Files.readString(Path.of(ApiCommandsIT.class.getResource(
                "/serve/workflows/hello.caravan.yaml").toURI()));
        JsonNode mismatch = ServerIT.assertProblem(put(OPS, "/api/v1/definitions/other-name", hello,
                "application/yaml"), 422, "NAME_MISMATCH");
        assertThat(mismatch.get("detail").asText()).contains("other-name").contains("hello");
        ServerIT.assertProblem(put(OPS, "/api/v1/definitions/hello", hello, "application/json"), 415,
                "UNSUPPORTED_MEDIA_TYPE");
        ServerIT.assertProblem(put(OPS, "/api/v1/definitions/hello", "", "application/yaml"), 400,
                "REQUEST_INVALID");
    }

    // --- kill switches ----------------------------------------------------------------------------------------

    @Test
    void aKillSwitchStopsNewRunsOfItsWorkflowUntilCleared() throws Exception {
        ServerIT.assertProblem(get(ACME, "/api/v1/admin/kill-switch"), 403, "FORBIDDEN");
        ServerIT.assertProblem(post(ACME, "/api/v1/admin/kill-switch", "{\"scope\": \"all\"}"), 403, "FORBIDDEN");
        try {
            HttpResponse<String> set = post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"workflow\", \"target\": "
                    + "\"hello\", \"reason\": \"runaway costs\"}");
            assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
            JsonNode listed = JSON.readTree(get(OPS, "/api/v1/admin/kill-switch").body()).get("killSwitches");
            assertThat(listed).hasSize(1);
            assertThat(listed.get(0).get("scope").asText()).isEqualTo("workflow");
            assertThat(listed.get(0).get("target").asText()).isEqualTo("hello");
            assertThat(listed.get(0).get("reason").asText()).isEqualTo("runaway costs");

            JsonNode refused = ServerIT.assertProblem(post(ACME, "/api/v1/workflows/run", "{\"workflow\": \"hello\", "
                    + "\"input\": {\"name\": \"Ada\"}}"), 409, "KILL_SWITCH");
            assertThat(refused.get("detail").asText()).contains("runaway costs");
        } finally {
            HttpResponse<String> cleared = post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"workflow\", "
                    + "\"target\": \"hello\", \"clear\": true}");
            assertThat(cleared.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(cleared.body()).get("killSwitches")).isEmpty();
        }
        assertThat(post(ACME, "/api/v1/workflows/run", "{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}}")
                .statusCode()).isEqualTo(202);
    }

    @Test
    void refusesAKillSwitchRequestItCannotApply() throws Exception {
        ServerIT.assertProblem(post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"galaxy\"}"), 400,
                "REQUEST_INVALID");
        ServerIT.assertProblem(post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"tenant\"}"), 400,
                "REQUEST_INVALID");
        ServerIT.assertProblem(post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"all\", \"target\": \"x\"}"), 400,
                "REQUEST_INVALID");
        ServerIT.assertProblem(post(OPS, "/api/v1/admin/kill-switch", "{\"scope\": \"all\", \"clear\": \"yes\"}"), 400,
                "REQUEST_INVALID");
        assertThat(JSON.readTree(get(OPS, "/api/v1/admin/kill-switch").body()).get("killSwitches")).isEmpty();
    }

    @Test
    void answersAnotherMethodOnTheNewPathsWithAProblem() throws Exception {
        ServerIT.assertProblem(get(ACME, "/api/v1/approval/resolve"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(get(ACME, "/api/v1/runs/x/retry"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(post(ACME, "/api/v1/lanes/x", "{}"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(get(ACME, "/api/v1/definitions/x"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(put(ACME, "/api/v1/admin/kill-switch", "{}", "application/json"), 405,
                "METHOD_NOT_ALLOWED");
    }

    @Test
    void tellsAPathOfTheApiTakenWithAnotherMethodFromOneThatIsNot() throws Exception {
        ServerIT.assertProblem(post(ACME, "/api/v1/openapi.json", "{}"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(get(ACME, "/api/v1/agent/run/"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(post(ACME, "/api/v1/workflows/x/events", "{}"), 405, "METHOD_NOT_ALLOWED");
        ServerIT.assertProblem(get(ACME, "/api/v1/workflows/x/events/more"), 404, "NOT_FOUND");
        ServerIT.assertProblem(get(ACME, "/api/v1/runs/x"), 404, "NOT_FOUND");
        ServerIT.assertProblem(post(ACME, "/api/v1/lane/other", "{}"), 404, "NOT_FOUND");
        ServerIT.assertProblem(get(ACME, "/api/v1/openapi_json"), 404, "NOT_FOUND");
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** Starts a run of the approval workflow as acme and waits until its gate awaits approval. */
    private static String pausedApprovalRun() throws Exception {
        String runId = startedRunId(ACME, "{\"workflow\": \"approval\"}");
        awaitStatus(ACME, runId, "awaiting_approval");
        return runId;
    }

    private static String startedRunId(String key, String request) throws Exception {
        return startedRunId(key, "/api/v1/workflows/run", request);
    }

    private static String startedRunId(String key, String path, String request) throws Exception {
        HttpResponse<String> started = post(key, path, request);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return JSON.readTree(started.body()).get("runId").asText();
    }

    private static JsonNode awaitStatus(String key, String runId, String status) {
        return await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> JSON.readTree(get(key, "/api/v1/workflows/" + runId).body()),
                        r -> r.path("status").asText().equals(status));
    }

    private static String resolve(String runId, String decision) {
        return "{\"runId\": \"" + runId + "\", \"node\": \"approve\", \"decision\": \"" + decision + "\"}";
    }

    static HttpResponse<String> post(String key, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> put(String key, String path, String body, String type) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", key)
                .header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String key, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", key).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
