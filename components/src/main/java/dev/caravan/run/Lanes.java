package dev.caravan.run;

import dev.caravan.state.LaneRecord;
import dev.caravan.state.LaneStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStore;
import dev.caravan.state.RunStatus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Lanes group the runs of one tenant and workspace or session: create one, start runs in it
 * ({@link RunService.StartRequest#lane()}), share its memory, and clean it up. A lane's concurrency cap holds across
 * the cluster; runs beyond it are queued and start in order as slots free. A lane whose runs keep failing is
 * quarantined: it admits nothing more, and its queued runs are cancelled; other lanes go on.
 */
public final class Lanes {

    /** How many failed runs in a row quarantine a lane. */
    public static final int QUARANTINE_AFTER = 5;

    /** How a cleanup treats the lane's runs. */
    public enum Cleanup {
        /** Cancel its running and queued runs, then remove it. */
        CANCEL,
        /** Admit nothing more; remove it once its last run ended. */
        DRAIN
    }

    private final LaneStore store;
    private final RunStore runStore;
    private final RunService runs;
    private final RunExecutor executor;

    /** The store makes the lane events ({@code caravan.lane.*}), in the updates that change the lane. */
    Lanes(LaneStore store, RunStore runStore, RunService runs, RunExecutor executor) {
        this.store = store;
        this.runStore = runStore;
        this.runs = runs;
        this.executor = executor;
    }

    /** Creates a lane (a lane that exists is left as it is). */
    public LaneRecord create(String laneId, String tenant, int cap) {
        if (laneId == null || laneId.isBlank()) {
            throw new IllegalArgumentException("A lane needs an id");
        }
        if (cap < 1) {
            throw new IllegalArgumentException("A lane's concurrency cap must be at least 1 but was " + cap);
        }
        return store.create(laneId, tenant == null ? "default" : tenant, cap).lane();
    }

    public LaneRecord get(String laneId) {
        return store.get(laneId);
    }

    /** Cleans a lane up; returns the lane as it is afterwards, null once removed. */
    public LaneRecord cleanup(String laneId, Cleanup mode) {
        LaneRecord lane = requireLane(laneId);
        if (mode == Cleanup.CANCEL) {
            store.drain(laneId);
            for (String runId : lane.queued()) {
                cancelQuietly(runId);
            }
            for (String runId : lane.running()) {
                cancelQuietly(runId);
            }
            store.remove(laneId);
            return null;
        }
        return store.drain(laneId).lane();
    }

    /** The lane's shared memory. */
    public Map<String, Object> memory(String laneId) {
        return requireLane(laneId).memory();
    }

    /** Stores a value in the lane's memory (null removes the key). */
    public void remember(String laneId, String key, Object value) {
        remember(laneId, Collections.singletonMap(key, value));
    }

    /** Stores values in the lane's memory in one update (a null value removes its key). */
    public void remember(String laneId, Map<String, ?> values) {
        LaneStore.Outcome o = store.putMemory(laneId, values);
        if (o.decision().startsWith("refused:")) {
            throw new IllegalArgumentException("Lane " + laneId + ": " + o.decision().substring(8));
        }
    }

    /** Admits a run into its lane: true when it may run now, false when it is queued. */
    boolean admit(String laneId, String runId) {
        LaneStore.Outcome o = store.admit(laneId, runId);
        if (o.decision().startsWith("refused:")) {
            throw new RunConflictException("Lane " + laneId + " admits no run: " + o.decision().substring(8));
        }
        return o.decision().equals("running");
    }

    /**
     * A run of the lane ended: frees its place, starts the next queued run (returned, or null), quarantines a
     * failing lane.
     */
    String release(String laneId, String runId, boolean failed) {
        LaneStore.Outcome o = store.release(laneId, runId, failed, QUARANTINE_AFTER);
        if (o.lane() == null) {
            return null;
        }
        LaneRecord before = o.previous();
        if (o.lane().status() == LaneRecord.Status.QUARANTINED && before != null
            && before.status() != LaneRecord.Status.QUARANTINED) {
            for (String queued : o.lane().queued()) {
                cancelQuietly(queued);
            }
        }
        if (o.decision().isEmpty()) {
            return null;
        }
        executor.startQueued(o.decision());
        return o.decision();
    }

    /**
     * Repairs the lanes this member holds after a member died between a run's end and its release: frees the slots
     * of runs that ended before {@code settledBefore} (epoch millis), starts queued runs that got a slot but never
     * started, and gives free slots to queued runs. Returns the runs started.
     */
    List<String> sweepLocal(long settledBefore) {
        List<String> started = new ArrayList<>();
        for (String laneId : store.localLaneIds()) {
            LaneRecord lane = store.get(laneId);
            if (lane == null) {
                continue;
            }
            for (String runId : lane.running()) {
                RunRecord r = runStore.get(runId);
                if (r == null || r.status().isTerminal() && r.updatedAt() < settledBefore) {
                    String next = release(laneId, runId, r != null && r.status() == RunStatus.FAILED);
                    if (next != null) {
                        started.add(next);
                    }
                } else if (r.status() == RunStatus.QUEUED && r.updatedAt() < settledBefore) {
                    executor.startQueued(runId);
                    started.add(runId);
                }
            }
            LaneRecord now = store.get(laneId);
            if (now != null && now.status() == LaneRecord.Status.ACTIVE && now.running().size() < now.cap()
                && !now.queued().isEmpty()) {
                for (String next = store.promote(laneId).decision(); !next.isEmpty() && !next.startsWith("refused:");
                     next = store.promote(laneId).decision()) {
                    executor.startQueued(next);
                    started.add(next);
                }
            }
        }
        return started;
    }

    private void cancelQuietly(String runId) {
        try {
            runs.cancel(runId, "lane cleaned up or quarantined");
        } catch (RuntimeException alreadyOver) {
            // finished meanwhile: nothing to cancel
        }
    }

    private LaneRecord requireLane(String laneId) {
        LaneRecord lane = store.get(laneId);
        if (lane == null) {
            throw new IllegalArgumentException("No lane " + laneId);
        }
        return lane;
    }
}
