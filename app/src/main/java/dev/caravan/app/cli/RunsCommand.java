package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import dev.caravan.dsl.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** {@code caravan runs list|show|tail}: the runs of a running server. */
@Command(name = "runs",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "List, show and follow the runs of a running server.",
        description = {"Asks the server that --server names (see 'caravan serve'); with API keys, a key's tenant "
                + "sees its own runs only.", ""},
        footerHeading = "%nExit codes:%n",
        footer = {
                "  0    done (tail: the run completed)",
                "  1    tail: the run failed or was cancelled; or the server failed (5xx)",
                "  2    the server refused the request (unknown run, bad option, wrong key)",
                "  69   the server could not be reached",
                "",
                "Examples:",
                "  caravan runs list --status failed,cancelled --workflow triage",
                "  caravan runs show 3f0c7d2e-...",
                "  caravan runs tail 3f0c7d2e-... --json | jq -c '{type, node}'"})
public final class RunsCommand {

    @ParentCommand
    CaravanCli cli;

    @Command(name = "list", mixinStandardHelpOptions = true, header = "List runs, newest first.")
    int list(@Mixin ServerOptions server,
            @Option(names = "--status", paramLabel = "S[,S...]",
                    description = "Only runs in these states (queued, running, awaiting_approval, waiting, "
                            + "awaiting_migration, completed, failed, cancelled).") String status,
            @Option(names = "--workflow", paramLabel = "W", description = "Only runs of this workflow.") String workflow,
            @Option(names = "--limit", paramLabel = "N", description = "At most this many runs (1 to 1000; "
                    + "default 50).") Integer limit,
            @Option(names = "--after", paramLabel = "CURSOR", description = "The page after the one that printed "
                    + "this cursor.") String after) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("status", status);
        query.put("workflow", workflow);
        query.put("limit", limit);
        query.put("after", after);
        ServerClient.Answer answer = new ServerClient(server).get("/api/v1/runs" + query(query));
        PrintStream out = cli.out();
        if (server.json()) {
            out.println(TerminalText.json(answer.body()));
            return ExitCodes.OK;
        }
        JsonNode page = answer.json();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"RUN", "WORKFLOW", "STATUS", "CREATED", "LANE"});
        for (JsonNode r : page.path("runs")) {
            rows.add(new String[] {r.path("runId").asText(), r.path("workflow").asText(), r.path("status").asText(),
                    r.path("createdAt").asText(), r.path("lane").isNull() ? "" : r.path("lane").asText()});
        }
        if (rows.size() == 1) {
            cli.err().println("no runs");
        } else {
            table(out, rows);
        }
        if (!page.path("next").isNull() && !page.path("next").isMissingNode()) {
            cli.err().println("more: caravan runs list --after " + TerminalText.safe(page.path("next").asText()));
        }
        return ExitCodes.OK;
    }

    @Command(name = "show", mixinStandardHelpOptions = true, header = "Show a run: its state, nodes and output.")
    int show(@Mixin ServerOptions server, @Parameters(paramLabel = "RUN", description = "The run id.") String runId) {
        ServerClient.Answer answer = new ServerClient(server).get("/api/v1/workflows/" + ServerClient.segment(runId));
        PrintStream out = cli.out();
        if (server.json()) {
            out.println(TerminalText.json(answer.body()));
            return ExitCodes.OK;
        }
        JsonNode run = answer.json();
        StringBuilder b = new StringBuilder();
        b.append("run ").append(run.path("runId").asText()).append(" (workflow ").append(run.path("workflow").asText())
                .append(")\n");
        b.append("status: ").append(run.path("status").asText()).append('\n');
        b.append("created: ").append(run.path("createdAt").asText()).append(", updated: ")
                .append(run.path("updatedAt").asText()).append('\n');
        optional(b, "lane", run.path("lane"));
        optional(b, "parent", run.path("parentRunId"));
        if (!run.path("error").isNull() && !run.path("error").isMissingNode()) {
            b.append("error: ").append(run.path("error").asText());
            if (!run.path("errorNode").isNull() && !run.path("errorNode").isMissingNode()) {
                b.append(" (at node ").append(run.path("errorNode").asText()).append(')');
            }
            b.append('\n');
        }
        if (run.path("tokens").asLong() > 0 || run.path("costMicros").asLong() > 0) {
            b.append("tokens: ").append(run.path("tokens").asLong()).append(", cost: ")
                    .append(Progress.usd(run.path("costMicros").asLong())).append('\n');
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"  NODE", "KIND", "STATUS", "ATTEMPTS"});
        run.path("nodes").fields().forEachRemaining(n -> rows.add(new String[] {"  " + n.getKey(),
                n.getValue().path("kind").asText(), n.getValue().path("status").asText(),
                n.getValue().path("attempts").asText()}));
        out.print(TerminalText.safe(b.toString()));
        if (rows.size() > 1) {
            out.println("nodes:");
            table(out, rows);
        }
        JsonNode output = run.path("output");
        if (!output.isNull() && !output.isMissingNode()) {
            out.println("output:");
            out.println(TerminalText.safe(output.isTextual() ? output.asText() : output.toPrettyString()));
        }
        return ExitCodes.OK;
    }

    @Command(name = "tail", mixinStandardHelpOptions = true,
            header = "Follow a run's events as they come, until it ends.",
            description = {"Prints the run's events from its first (one progress line per event, as 'caravan run' "
                    + "shows them; --json: each event's CloudEvent JSON on a line) and then each new one as the "
                    + "server makes it, until the run ends. A dropped connection (a server restart) is opened again, "
                    + "with backoff, after the last event printed: no event twice, none missed.",
                    "Exit code 0 when the run completed, 1 when it failed or was cancelled."})
    int tail(@Mixin ServerOptions server, @Parameters(paramLabel = "RUN", description = "The run id.") String runId,
            @Option(names = "--reconnect-for", paramLabel = "DURATION", defaultValue = "5m",
                    description = "Give up when the server stays away this long (e.g. 30s, 10m). Default: 5m.")
            String reconnectFor) {
        Duration d;
        try {
            d = Durations.parse(reconnectFor);
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, "--reconnect-for: expected " + Durations.EXPECTED);
        }
        return new RunTail(new ServerClient(server), runId, server.json(), cli.out(), cli.err(), d).follow();
    }

    /** A query string of the parameters that are set, escaped. */
    static String query(Map<String, Object> parameters) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        parameters.forEach((k, v) -> {
            if (v != null) {
                q.add(k + "=" + ServerClient.segment(String.valueOf(v)));
            }
        });
        return q.toString();
    }

    /** Left-aligned columns two spaces apart; what the server sent is made safe to print. */
    static void table(PrintStream out, List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = TerminalText.safe(row[i]).replace('\n', ' ');
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                b.append(i == row.length - 1 ? row[i] : String.format("%-" + width[i] + "s  ", row[i]));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private static void optional(StringBuilder b, String label, JsonNode value) {
        if (!value.isNull() && !value.isMissingNode()) {
            b.append(label).append(": ").append(value.asText()).append('\n');
        }
    }
}
