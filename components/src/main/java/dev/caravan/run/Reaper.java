package dev.caravan.run;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import dev.caravan.state.RunStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Makes sure no run is stuck. Every member sweeps the runs whose records it holds: a running run whose owner is no
 * longer a cluster member is taken over and resumed here (its in-flight node runs again with the same idempotency
 * key); a running run that made no progress for {@code stuckAfter} is checked by its live owner, which resumes it
 * unless it is executing it; and the member's lanes are repaired (slots of runs that ended are freed, queued runs
 * with a free slot are started), and finished runs past their retention are removed. A member's lease on its runs is its cluster membership, renewed by its heartbeat.
 */
final class Reaper {

    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    /** What one sweep did. */
    record Sweep(List<String> resumed, List<String> checked, List<String> laneRunsStarted) {
    }

    private final Engine engine;
    private final Duration stuckAfter;
    private volatile UUID membership;
    private volatile UUID migrations;

    Reaper(Engine engine, Duration stuckAfter) {
        this.engine = engine;
        this.stuckAfter = stuckAfter;
    }

    /**
     * Sweeps, on the engine's task executor: once the routes that execute runs are up (a restart on a persistent
     * store), when a member leaves and again once its records have migrated to their new primaries, and every
     * {@code interval}.
     */
    void start(Duration interval) {
        Runnable sweep = () -> engine.timers().schedule(this::sweepQuietly, 0);
        engine.timers().every(this::sweepQuietly, interval.toMillis());
        CamelContext camel = engine.camelContext();
        if (camel.isStarted()) {
            sweep.run();
        } else {
            try {
                camel.addStartupListener((context, alreadyStarted) -> {
                    if (!alreadyStarted) {
                        sweep.run();
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException("Cannot register the start-up sweep", e);
            }
        }
        HazelcastInstance hz = engine.hazelcast();
        membership = hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                if (!engine.isStopping()) {
                    LOG.info("Member {} left the cluster; taking over its runs", event.getMember());
                    sweep.run();
                }
            }
        });
        migrations = hz.getPartitionService().addMigrationListener(new MigrationListener() {
            @Override
            public void migrationStarted(MigrationState state) {
            }

            @Override
            public void migrationFinished(MigrationState state) {
                if (!engine.isStopping()) {
                    sweep.run();
                }
            }

            @Override
            public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
            }

            @Override
            public void replicaMigrationFailed(ReplicaMigrationEvent event) {
            }
        });
    }

    /** Stops listening to the cluster (the engine's timers end the periodic sweeps). */
    void close() {
        HazelcastInstance hz = engine.hazelcast();
        if (hz.getLifecycleService().isRunning()) {
            if (membership != null) {
                hz.getCluster().removeMembershipListener(membership);
            }
            if (migrations != null) {
                hz.getPartitionService().removeMigrationListener(migrations);
            }
        }
    }

    void sweepQuietly() {
        try {
            Sweep s = sweep();
            if (!s.resumed().isEmpty() || !s.laneRunsStarted().isEmpty()) {
                LOG.info("Took over {} runs whose owner is gone; started {} queued runs", s.resumed().size(),
                        s.laneRunsStarted().size());
            }
        } catch (RuntimeException e) {
            if (!engine.isStopping()) {
                LOG.warn("Sweep for orphaned runs failed; the next one tries again", e);
            }
        }
    }

    /** One sweep now; a call while one runs waits for it and sweeps again (the cluster may have changed). */
    synchronized Sweep sweep() {
        if (engine.isStopping()) {
            return new Sweep(List.of(), List.of(), List.of());
        }
        RunStore store = engine.store();
        RunExecutor runs = engine.executor();
        String me = store.memberId();
        Set<String> alive = new HashSet<>();
        for (Member m : engine.hazelcast().getCluster().getMembers()) {
            alive.add(m.getUuid().toString());
        }
        long now = System.currentTimeMillis();
        List<String> resumed = new ArrayList<>();
        List<String> checked = new ArrayList<>();
        for (RunRecord r : store.listLocal(List.of(RunStatus.RUNNING))) {
            if (engine.camelContext().getRoute(WorkflowRoutes.ROUTE_PREFIX + r.workflow()) == null) {
                // not deployed here: a member that has the workflow takes it
                continue;
            }
            String owner = r.owner();
            if (owner == null || !alive.contains(owner)) {
                resumed.add(r.runId());
                runs.execute(r.runId());
            } else if (now - r.updatedAt() > stuckAfter.toMillis()) {
                checked.add(r.runId());
                if (owner.equals(me)) {
                    if (!runs.isExecuting(r.runId())) {
                        runs.execute(r.runId());
                    }
                } else {
                    engine.runRequests().check(owner, r.runId());
                }
            }
        }
        List<String> started = engine.lanes().sweepLocal(now - stuckAfter.toMillis());
        // finished runs leave the run map by TTL; those read back from a database have none, and go here (back to
        // the database, or deleted after the retention, with the rows of the runs it no longer holds)
        store.removeFinishedBefore(engine.retention().isZero() ? 0 : now - engine.retention().toMillis());
        return new Sweep(resumed, checked, started);
    }
}
