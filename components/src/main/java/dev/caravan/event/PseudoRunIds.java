package dev.caravan.event;

/**
 * The run ids of events that belong to no run: a lane's, a kill switch's, a trigger's. They are made here, in one
 * place, so whoever must tell them from a run's (the relay, which has no outbox to read for them) knows every kind.
 */
public final class PseudoRunIds {

    private static final String LANE = "lane:";
    private static final String KILL_SWITCH = "killswitch:";
    private static final String TRIGGER = "trigger:";

    private PseudoRunIds() {
    }

    /** {@code lane:<id>}. */
    public static String lane(String laneId) {
        return LANE + laneId;
    }

    /** {@code killswitch:<key>}, the key being {@code *}, {@code tenant:<id>} or {@code workflow:<name>}. */
    public static String killSwitch(String key) {
        return KILL_SWITCH + key;
    }

    /** {@code trigger:<workflow>/<trigger id>}. */
    public static String trigger(String workflow, String triggerId) {
        return TRIGGER + workflow + "/" + triggerId;
    }

    /** Whether the run id is one of these, not a run's. */
    public static boolean isPseudo(String runId) {
        return runId.startsWith(LANE) || runId.startsWith(KILL_SWITCH) || runId.startsWith(TRIGGER);
    }
}
