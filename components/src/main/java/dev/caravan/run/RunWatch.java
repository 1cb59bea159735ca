package dev.caravan.run;

import dev.caravan.event.RunEvent;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches one run and its sub-workflow runs through their events, for whoever shows a run to a person (the CLI, a
 * live stream): each event goes to the listener, and {@link #awaitSettled} says when the run no longer moves by
 * itself (it finished, or waits for approval or migration) by reading the run after each event. That is the one way
 * a watcher learns a run's outcome; an execution that dies of an engine error, and so never tells, is
 * {@linkplain #follow followed} too.
 */
public final class RunWatch implements AutoCloseable {

    /** Where a watched run stands when it stopped moving by itself. */
    public record Settled(RunRecord run, Map<String, List<String>> pendingGates, Throwable engineError) {

        /** Finished, or waiting for a migration only a person can ask for. */
        public boolean isOver() {
            return run.status().isTerminal() || run.status() == RunStatus.AWAITING_MIGRATION;
        }
    }

    private final Engine engine;
    private final String runId;
    private final AutoCloseable subscription;
    private final Object changed = new Object();
    /** Bumped by every event of the run and by a failed execution: a reader that saw one value re-reads after. */
    private long version;
    private Throwable engineError;

    /** Starts watching; {@code listener} (may be null) gets the events of the run and its sub-workflow runs. */
    public RunWatch(Engine engine, String runId, Consumer<RunEvent> listener) {
        this.engine = engine;
        this.runId = runId;
        this.subscription = engine.events().subscribe(e -> {
            if (e.runId().equals(runId) || e.runId().startsWith(runId + ":")) {
                if (listener != null) {
                    listener.accept(e);
                }
                bump(null);
            }
        });
    }

    /** An execution of the run: should it fail with an engine error, the watch settles with that error. */
    public void follow(CompletableFuture<RunRecord> execution) {
        execution.whenComplete((r, error) -> {
            if (error != null) {
                bump(error);
            }
        });
    }

    private void bump(Throwable error) {
        synchronized (changed) {
            if (error != null) {
                engineError = error;
            }
            version++;
            changed.notifyAll();
        }
    }

    /** Where the run stands if it has settled, else empty. */
    public Optional<Settled> settled() {
        Throwable error;
        synchronized (changed) {
            error = engineError;
        }
        RunRecord r = engine.queries().get(runId);
        if (r == null) {
            throw new UnknownRunException(runId);
        }
        if (r.status().isTerminal() || r.status() == RunStatus.AWAITING_MIGRATION) {
            return Optional.of(new Settled(r, Map.of(), null));
        }
        if (r.status() == RunStatus.AWAITING_APPROVAL) {
            // a parent mirrors its sub-workflow's approval until the child's own run goes on: only a pending gate
            // anywhere below means a person is needed
            Map<String, List<String>> gates = engine.queries().pendingGates(runId);
            if (!gates.isEmpty()) {
                return Optional.of(new Settled(r, gates, null));
            }
        }
        if (error != null && !r.status().isPaused()) {
            return Optional.of(new Settled(r, Map.of(), error));
        }
        return Optional.empty();
    }

    /**
     * Waits until the run settles, at most {@code maxNanos}; empty when that time passed first. Returns at once when
     * it has settled already.
     */
    public Optional<Settled> awaitSettled(long maxNanos) throws InterruptedException {
        long deadline = System.nanoTime() + maxNanos;
        while (true) {
            long seen;
            synchronized (changed) {
                seen = version;
            }
            Optional<Settled> s = settled();
            if (s.isPresent()) {
                return s;
            }
            synchronized (changed) {
                while (version == seen) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return Optional.empty();
                    }
                    TimeUnit.NANOSECONDS.timedWait(changed, left);
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop watching run " + runId, e);
        }
    }
}
