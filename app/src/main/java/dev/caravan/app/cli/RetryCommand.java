package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/** {@code caravan retry RUN --from NODE}: runs a node of a run again, and what depends on it. */
@Command(name = "retry",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Run a node of a run again on a running server, and every node that depends on it.",
        description = {"For a run that ended (completed, failed) or paused; the other nodes keep their outputs. "
                + "Follow the run with 'caravan runs tail'.", ""},
        footer = {"%nExample:", "  caravan retry 3f0c7d2e-... --from review && caravan runs tail 3f0c7d2e-..."})
public final class RetryCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "RUN", description = "The run id.")
    String runId;

    @Option(names = "--from", required = true, paramLabel = "NODE",
            description = "The node key to run again (review, each[2].summarize).")
    String from;

    @Override
    public Integer call() {
        ServerClient.Answer answer = new ServerClient(server).post("/api/v1/runs/" + ServerClient.segment(runId)
                + "/retry?from=" + ServerClient.segment(from), null);
        answer.print(cli.out(), server.json(), "retrying run " + runId + " from node " + from + "; the run is "
                + answer.json().path("status").asText());
        return ExitCodes.OK;
    }
}
