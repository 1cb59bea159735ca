package dev.caravan.run;

import dev.caravan.state.Mutation;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The timers of paused runs: a gate's deadline and a wait's end, kept by the engine's {@link dev.caravan.spi.Timers}
 * and run on its worker pool. Timers live in memory, so an instance that starts on existing state schedules them
 * again from the paused nodes' records ({@link #recover}); a timer that fires on two instances resolves once, as the
 * second resolution is refused.
 */
public final class RunTimers {

    private static final Logger LOG = LoggerFactory.getLogger(RunTimers.class);

    private final Engine engine;

    RunTimers(Engine engine) {
        this.engine = engine;
    }

    /**
     * At {@code deadline} (epoch millis) the gate, if still awaiting approval, is approved or rejected, or with
     * {@code onTimeout: fail} fails when the run reaches it again, so its onError and an enclosing map or loop apply.
     */
    public void scheduleGateTimeout(String runId, String key, long deadline, String onTimeout) {
        engine.timers().schedule(() -> {
            RunRecord r = engine.store().get(runId);
            NodeRecord n = r == null ? null : r.node(key);
            if (n == null || n.status() != NodeStatus.AWAITING_APPROVAL) {
                return;
            }
            if ("fail".equals(onTimeout)) {
                if (engine.store().apply(runId, new Mutation.ExpireGate(key)).accepted()) {
                    engine.store().apply(runId, new Mutation.ResumeRun("gate " + key + " timed out"));
                    engine.executor().execute(runId);
                }
            } else {
                try {
                    engine.runs().resolveGate(runId, key, "approve".equals(onTimeout), "timeout", "gate timed out");
                } catch (RunConflictException resolvedMeanwhile) {
                    // a person, or this timer on another instance, decided first
                    LOG.debug("Timeout of gate {} of run {} came too late: {}", key, runId,
                            resolvedMeanwhile.getMessage());
                }
            }
        }, deadline - System.currentTimeMillis());
    }

    /** At {@code dueAt} (epoch millis) the waiting node completes and its run goes on. */
    public void scheduleWake(String runId, String key, long dueAt) {
        engine.timers().schedule(() -> {
            if (engine.store().apply(runId, new Mutation.FinishWait(key)).accepted()) {
                engine.store().apply(runId, new Mutation.ResumeRun("wait " + key + " elapsed"));
                engine.executor().execute(runId);
            }
        }, dueAt - System.currentTimeMillis());
    }

    /**
     * Schedules the timers of every paused run, as their nodes' records describe them: a node awaiting approval with
     * a {@code deadline}, a waiting node with an {@code until}.
     */
    void recover() {
        RunQuery query = RunQuery.of(List.of(RunStatus.AWAITING_APPROVAL, RunStatus.WAITING, RunStatus.RUNNING),
                RunQuery.MAX_LIMIT);
        for (RunPage page = engine.store().page(query); ; page = engine.store().page(query.after(page.next()))) {
            page.runs().forEach(this::recover);
            if (page.next() == null) {
                return;
            }
        }
    }

    private void recover(RunRecord r) {
        for (NodeRecord n : r.nodes().values()) {
            Map<String, Object> d = n.detail();
            if (d == null) {
                continue;
            }
            if (n.status() == NodeStatus.AWAITING_APPROVAL && d.get("deadline") instanceof String deadline) {
                scheduleGateTimeout(r.runId(), n.key(), Instant.parse(deadline).toEpochMilli(),
                        String.valueOf(d.getOrDefault("onTimeout", "reject")));
            } else if (n.status() == NodeStatus.WAITING && d.get("until") instanceof String until) {
                scheduleWake(r.runId(), n.key(), Instant.parse(until).toEpochMilli());
            }
        }
    }
}
