package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code caravan cancel RUN}: cancels a run on a running server. */
@Command(name = "cancel",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Cancel a run on a running server.",
        description = {"A run that is executing stops at its next node boundary; a paused one ends at once. A run "
                + "that already ended is refused (exit code 2).", ""},
        footer = {"%nExample:", "  caravan cancel 3f0c7d2e-... --reason 'customer withdrew'"})
public final class CancelCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "RUN", description = "The run id.")
    String runId;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Recorded as the run's error. Default: cancelled.")
    String reason;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", runId);
        if (reason != null) {
            body.put("reason", reason);
        }
        ServerClient.Answer answer = new ServerClient(server).post("/api/v1/agent/cancel", body);
        answer.print(cli.out(), server.json(), "cancelled run " + runId + "; the run is "
                + answer.json().path("status").asText());
        return ExitCodes.OK;
    }
}
