package dev.caravan.app.cli;

import dev.caravan.run.Engine;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code caravan run} decides the gates a run waits at: {@code --approve}/{@code --reject} first (the most
 * specific name wins), then the person at the terminal, asked once per gate; nobody when there is no terminal.
 */
final class GateDecisions {

    /** A gate awaiting approval, in the run or in one of its sub-workflow runs. */
    record Gate(String runId, String key, String path, String message) {
        /** The key with the sub-workflow path: {@code approve}, {@code summary/approve}. */
        String label() {
            return path.isEmpty() ? key : path + "/" + key;
        }

        /** The node id without map/loop indexes: {@code each[2].approve} is {@code approve}. */
        String id() {
            return key.substring(key.lastIndexOf('.') + 1).replaceAll("\\[\\d+]", "");
        }
    }

    private final List<String> approve;
    private final List<String> reject;
    /** The terminal, or null. */
    private final Prompter prompter;
    /** The terminal's answers by run id and gate key. */
    private final Map<String, Boolean> answers = new HashMap<>();

    /** @throws UserException when a gate is given both --approve and --reject */
    GateDecisions(List<String> approve, List<String> reject, Prompter prompter) {
        for (String a : approve) {
            if (reject.contains(a)) {
                throw new UserException(ExitCodes.USAGE, "gate " + a + " is given both --approve and --reject");
            }
        }
        this.approve = approve;
        this.reject = reject;
        this.prompter = prompter;
    }

    /** The pending gates of a run (run id to node keys, as the engine lists them) with their paths and messages. */
    static List<Gate> gates(Engine engine, String runId, Map<String, List<String>> pending) {
        List<Gate> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : pending.entrySet()) {
            String gateRun = e.getKey();
            String path = gateRun.equals(runId) ? "" : gateRun.substring(runId.length() + 1).replace(':', '/');
            RunRecord r = engine.queries().get(gateRun);
            for (String key : e.getValue()) {
                NodeRecord n = r == null ? null : r.node(key);
                Object message = n == null || n.detail() == null ? null : n.detail().get("message");
                out.add(new Gate(gateRun, key, path, message == null ? "" : String.valueOf(message)));
            }
        }
        return out;
    }

    /**
     * The decision at a gate: --approve/--reject, then the terminal (after {@code beforeAsking}); null when nobody
     * decides.
     */
    Boolean decide(Gate g, BeforeAsking beforeAsking) throws InterruptedException {
        Boolean explicit = explicitDecision(g);
        if (explicit != null) {
            return explicit;
        }
        String id = g.runId() + "/" + g.key();
        if (answers.containsKey(id)) {
            return answers.get(id);
        }
        if (prompter == null) {
            return null;
        }
        beforeAsking.run();
        // the message may quote model output: the approver sees its control characters, not what they would do
        Boolean answer = prompter.ask(TerminalText.safe("Approve " + g.label() + "?"
                + (g.message().isBlank() ? "" : " " + g.message())).replace("\n", "\n  "));
        answers.put(id, answer);
        return answer;
    }

    /** What comes before a question at the terminal (the run's output so far). */
    @FunctionalInterface
    interface BeforeAsking {
        void run() throws InterruptedException;
    }

    /** How the gate was decided, for the comment the decision is recorded with. */
    String how(Gate g, boolean decision) {
        return answers.containsKey(g.runId() + "/" + g.key()) ? "at the terminal" : decision ? "--approve" : "--reject";
    }

    /** The most specific match wins: sub-workflow path and key, then key, then node id; reject wins a tie. */
    Boolean explicitDecision(Gate g) {
        int approveScore = score(approve, g);
        int rejectScore = score(reject, g);
        if (approveScore == 0 && rejectScore == 0) {
            return null;
        }
        return approveScore > rejectScore;
    }

    private static int score(List<String> nodes, Gate g) {
        int best = 0;
        for (String n : nodes) {
            String node = n.strip().replace(':', '/');
            if (node.equals(g.label())) {
                best = Math.max(best, 3);
            } else if (node.equals(g.key())) {
                best = Math.max(best, 2);
            } else if (node.equals(g.id())) {
                best = Math.max(best, 1);
            }
        }
        return best;
    }
}
