package dev.caravan.event;

/**
 * The run ids of events that belong to no run: a lane's, a kill switch's, a trigger's. They are made here, in one
 * place, so whoever must tell them from a run's (the relay, which has no outbox to read for them) knows every kind.
 *
 * <p>An event's CloudEvents {@code id} is {@code <run id>-<sequence>}, and consumers drop a repeated id as a duplicate.
 * So where the sequence starts again at 1 (a lane created again after its cleanup, a trigger's counter on a member that
 * restarted, kill-switch counters of a cluster with no database after a full restart), the pseudo run id carries that
 * incarnation ({@code @<...>}) and the new events get new ids.
 */
public final class PseudoRunIds {

    private static final String LANE = "lane:";
    private static final String KILL_SWITCH = "killswitch:";
    private static final String TRIGGER = "trigger:";
    private static final String INCARNATION = "@";

    private PseudoRunIds() {
    }

    /**
     * {@code lane:<id>@<created>}: a lane created again after its cleanup is a new lane, whose events are numbered from
     * 1 again.
     *
     * @param createdAt when the lane was created, epoch millis
     */
    public static String lane(String laneId, long createdAt) {
        return LANE + laneId + INCARNATION + createdAt;
    }

    /**
     * {@code killswitch:<key>@<incarnation>}, the key being {@code *}, {@code tenant:<id>} or {@code workflow:<name>}:
     * the events of a key are numbered by a cluster-wide counter, which a cluster with no database loses when all its
     * members restart.
     *
     * @param incarnation when the cluster's counters began, epoch millis
     */
    public static String killSwitch(String key, long incarnation) {
        return KILL_SWITCH + key + INCARNATION + incarnation;
    }

    /**
     * {@code trigger:<workflow>/<trigger id>@<member>}: each member counts its triggers' events in memory, from 1 at
     * its start, so the member's incarnation (its Hazelcast member UUID, new at each start) keeps the ids apart.
     */
    public static String trigger(String workflow, String triggerId, String member) {
        return TRIGGER + workflow + "/" + triggerId + INCARNATION + member;
    }

    /** Whether the run id is one of these, not a run's. */
    public static boolean isPseudo(String runId) {
        return runId.startsWith(LANE) || runId.startsWith(KILL_SWITCH) || runId.startsWith(TRIGGER);
    }
}
