package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code caravan gate approve|reject RUN NODE}: decides a gate of a run on a running server. */
@Command(name = "gate",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Approve or reject a gate of a run on a running server.",
        description = {"The run goes on in the server once the gate is decided; follow it with 'caravan runs tail'. "
                + "A gate that does not await approval is refused (exit code 2).", ""},
        footer = {"%nExamples:",
                "  caravan gate approve 3f0c7d2e-... approve --comment 'looks right' --by ada",
                "  caravan gate reject 3f0c7d2e-... each[1].check"})
public final class GateCommand {

    @ParentCommand
    CaravanCli cli;

    @Command(name = "approve", mixinStandardHelpOptions = true, header = "Approve a gate.")
    int approve(@Mixin ServerOptions server, @Mixin Decision decision) {
        return decide(server, decision, "approve");
    }

    @Command(name = "reject", mixinStandardHelpOptions = true, header = "Reject a gate: what needs it is skipped.")
    int reject(@Mixin ServerOptions server, @Mixin Decision decision) {
        return decide(server, decision, "reject");
    }

    /** What names the gate and records the decision. */
    static final class Decision {
        @Parameters(index = "0", paramLabel = "RUN", description = "The run id.")
        String runId;

        @Parameters(index = "1", paramLabel = "NODE", description = "The gate's node key (approve, each[1].check).")
        String node;

        @Option(names = "--comment", paramLabel = "TEXT", description = "Recorded in the gate's output.")
        String comment;

        @Option(names = "--by", paramLabel = "NAME", description = "Who decided; default the key's tenant.")
        String by;
    }

    private int decide(ServerOptions server, Decision d, String decision) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", d.runId);
        body.put("node", d.node);
        body.put("decision", decision);
        if (d.comment != null) {
            body.put("comment", d.comment);
        }
        if (d.by != null) {
            body.put("by", d.by);
        }
        ServerClient.Answer answer = new ServerClient(server).post("/api/v1/approval/resolve", body);
        JsonNode run = answer.json();
        answer.print(cli.out(), server.json(), (decision.equals("approve") ? "approved " : "rejected ") + d.node
                + " of run " + d.runId + "; the run is " + run.path("status").asText());
        return ExitCodes.OK;
    }
}
