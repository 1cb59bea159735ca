package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code caravan triggers}: the triggers of a running server, with their state, activity and lag. */
@Command(name = "triggers",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Show the triggers of a running server: state, events, runs, lag, last error.",
        description = {"One line per trigger of the deployed workflows: its kind, workflow/id, its route's state, "
                + "the events it received, the runs it started, the events that failed, its lag (a Kafka "
                + "trigger's records not yet committed, a cdc trigger's replication slot lag in bytes; '?' when "
                + "the broker or database did not answer), when its last event came and its last error. Counters "
                + "count since the server started.", ""},
        footer = {"%nExamples:",
                "  caravan triggers",
                "  caravan triggers --server http://caravan:8080 --json | jq '.triggers[] | {id, lag}'"})
public final class TriggersCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Mixin
    ServerOptions server;

    @Override
    public Integer call() {
        ServerClient.Answer answer = new ServerClient(server).get("/api/v1/triggers");
        PrintStream out = cli.out();
        if (server.json()) {
            out.println(TerminalText.json(answer.body()));
            return ExitCodes.OK;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"KIND", "TRIGGER", "STATE", "EVENTS", "RUNS", "FAILED", "LAG", "LAST EVENT",
                "LAST ERROR"});
        for (JsonNode t : answer.json().path("triggers")) {
            rows.add(new String[] {t.path("kind").asText(), t.path("workflow").asText() + "/" + t.path("id").asText(),
                    t.path("state").asText() + (t.path("restarts").asLong() > 0 ? " (restarted "
                            + t.path("restarts").asLong() + "x)" : ""),
                    t.path("received").asText(), t.path("started").asText(), t.path("failed").asText(), lag(t),
                    text(t.path("lastEventAt")), text(t.path("lastError"))});
        }
        if (rows.size() == 1) {
            cli.err().println("no triggers");
        } else {
            RunsCommand.table(out, rows);
        }
        return ExitCodes.OK;
    }

    /** A Kafka trigger's records behind, a cdc trigger's bytes behind, '?' when unknown, '-' for other kinds. */
    private static String lag(JsonNode t) {
        if (isSet(t.path("lag"))) {
            return isSet(t.path("lag").path("records")) ? t.path("lag").path("records").asText() : "?";
        }
        if (isSet(t.path("slotLag"))) {
            return isSet(t.path("slotLag").path("bytes")) ? t.path("slotLag").path("bytes").asText() + " B" : "?";
        }
        return "-";
    }

    private static String text(JsonNode value) {
        return isSet(value) ? value.asText() : "-";
    }

    private static boolean isSet(JsonNode value) {
        return !value.isNull() && !value.isMissingNode();
    }
}
