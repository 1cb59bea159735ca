package dev.caravan.state;

import dev.caravan.event.EventTypes;
import dev.caravan.json.Json;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** How failures are recorded: codes, continued failures, expired gates, and their JSON form. */
class FailureStateTest {

    private static RunRecord created() {
        return new Mutation.CreateRun("r1", "wf", "hash", "t", null, Map.of(), null, null).apply(null, 1).record();
    }

    private static RunRecord apply(RunRecord r, Mutation m) {
        Mutation.Applied applied = m.apply(r, 2);
        assertThat(applied.rejection()).as("%s refused", m).isNull();
        return applied.record();
    }

    @Test
    void continuedFailureSettlesTheNodeWithoutFailingTheRun() {
        RunRecord r = apply(created(), new Mutation.StartNode("fetch", "call", 1, false));
        Mutation.Applied failed = new Mutation.FailNode("fetch", "call", "java.lang.IllegalStateException",
                "CALL_FAILED", "backend down", -1, false, true).apply(r, 3);

        NodeRecord n = failed.record().node("fetch");
        assertThat(n.status()).isEqualTo(NodeStatus.FAILED);
        assertThat(n.settled()).isTrue();
        assertThat(n.errorView()).containsExactly(Map.entry("code", "CALL_FAILED"), Map.entry("message", "backend down"),
                Map.entry("attempts", 1));
        assertThat(failed.record().status()).isEqualTo(RunStatus.RUNNING);
        assertThat(failed.events()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventTypes.NODE_FAILED);
            @SuppressWarnings("unchecked")
            Map<String, Object> data = (Map<String, Object>) e.data();
            assertThat(data).containsEntry("code", "CALL_FAILED").containsEntry("continued", true);
        });
        // settled: a late start, completion or failure of the same node is refused
        assertThat(new Mutation.StartNode("fetch", "call", 2, false).apply(failed.record(), 4).rejection()).isNotNull();
        assertThat(new Mutation.CompleteNode("fetch", "call", "late", 0, 0, null).apply(failed.record(), 4).rejection())
                .isNotNull();
        assertThat(new Mutation.FailNode("fetch", "call", "X", "ERROR", "again", -1, true, false)
                .apply(failed.record(), 4).rejection()).isNotNull();
    }

    @Test
    void fatalFailureFailsTheRunWithTheNodesCodeWhileAFailedAttemptThatRetriesDoesNot() {
        RunRecord r = apply(created(), new Mutation.StartNode("ask", "agent", 1, false));
        RunRecord retrying = apply(r, new Mutation.FailNode("ask", "agent", "dev.caravan.llm.LlmException",
                "RATE_LIMIT", "slow down", 10, true, false));
        assertThat(retrying.node("ask").status()).isEqualTo(NodeStatus.RUNNING);
        assertThat(retrying.node("ask").settled()).isFalse();
        assertThat(retrying.errorCode()).isNull();

        RunRecord failed = apply(retrying, new Mutation.FailNode("ask", "agent", "dev.caravan.llm.LlmException",
                "RATE_LIMIT", "slow down", -1, true, false));
        assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
        assertThat(failed.errorCode()).isEqualTo("RATE_LIMIT");
        assertThat(failed.node("ask").settled()).isFalse();
    }

    @Test
    void runFailedOutsideAnyNodeHasCodeErrorUnlessGivenOne() {
        assertThat(apply(created(), new Mutation.FailRun("java.lang.IllegalStateException", "boom")).errorCode())
                .isEqualTo("ERROR");
        assertThat(apply(created(), new Mutation.FailRun("x", "EXPRESSION", "output: ...")).errorCode())
                .isEqualTo("EXPRESSION");
    }

    @Test
    void expiredGateRunsAgainAsTheSameAttemptMarkedTimedOut() {
        RunRecord r = apply(created(), new Mutation.StartNode("ok", "gate", 1, false));
        r = apply(r, new Mutation.PauseNode("ok", "gate", NodeStatus.AWAITING_APPROVAL,
                Map.of("message", "Go?", "onTimeout", "fail")));
        RunRecord expired = apply(r, new Mutation.ExpireGate("ok"));

        NodeRecord n = expired.node("ok");
        assertThat(n.status()).isEqualTo(NodeStatus.RUNNING);
        assertThat(n.error()).isNull();
        assertThat(n.attempts()).isEqualTo(1);
        assertThat(n.detail()).containsEntry(Mutation.ExpireGate.TIMED_OUT, true).containsEntry("message", "Go?");
        assertThat(new Mutation.ExpireGate("ok").apply(expired, 3).rejection()).isNotNull();
        assertThat(new Mutation.ResolveGate("ok", true, "me", null).apply(expired, 3).rejection()).isNotNull();
    }

    @Test
    void codesAndContinuedFailuresSurviveTheJsonForm() {
        RunRecord r = apply(created(), new Mutation.FailNode("fetch", "call", "X", "CALL_FAILED", "down", -1, false,
                true));
        r = apply(r, new Mutation.FailNode("guard", "fail", "Y", "NO_ITEMS", "nothing", -1, true, false));

        RunRecord read = Frozen.record(Json.read(Json.write(r), RunRecord.class));
        assertThat(read).isEqualTo(r);
        assertThat(read.errorCode()).isEqualTo("NO_ITEMS");
        assertThat(read.node("fetch").continued()).isTrue();
        assertThat(Json.write(r.node("fetch"))).doesNotContain("settled");

        Mutation m = new Mutation.FailNode("k", "call", "X", "TIMEOUT", "late", -1, false, true);
        assertThat(Json.read(Json.write(new Mutation[] {m}), Mutation[].class)).containsExactly(m);
        Mutation gate = new Mutation.ExpireGate("ok");
        assertThat(Json.read(Json.write(new Mutation[] {gate}), Mutation[].class)).containsExactly(gate);
    }
}
