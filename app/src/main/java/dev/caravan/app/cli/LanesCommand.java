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

/** {@code caravan lanes create|cleanup|show LANE}: the lanes of a running server. */
@Command(name = "lanes",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Create, show and clean up lanes on a running server.",
        description = {"A lane groups the runs of one session: at most its cap run at once, the others wait in "
                + "order. It belongs to the tenant of the API key that created it.", ""},
        footer = {"%nExamples:",
                "  caravan lanes create session-42 --cap 2",
                "  caravan lanes show session-42",
                "  caravan lanes cleanup session-42 --mode cancel"})
public final class LanesCommand {

    @ParentCommand
    CaravanCli cli;

    @Command(name = "create", mixinStandardHelpOptions = true,
            header = "Create a lane (a lane the tenant has already is left as it is).")
    int create(@Mixin ServerOptions server, @Parameters(paramLabel = "LANE", description = "The lane id.") String lane,
            @Option(names = "--cap", paramLabel = "N", description = "Runs at once, 1 to 10000. Default: 1.")
            Integer cap) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("laneId", lane);
        if (cap != null) {
            body.put("cap", cap);
        }
        ServerClient.Answer answer = new ServerClient(server).post("/api/v1/lane/create", body);
        answer.print(cli.out(), server.json(), (answer.status() == 201 ? "created" : "exists already:") + " "
                + describe(answer.json()));
        return ExitCodes.OK;
    }

    @Command(name = "cleanup", mixinStandardHelpOptions = true, header = "Drain or cancel a lane, and remove it.")
    int cleanup(@Mixin ServerOptions server, @Parameters(paramLabel = "LANE", description = "The lane id.") String lane,
            @Option(names = "--mode", paramLabel = "MODE", defaultValue = "drain",
                    description = "drain: admit no more runs, remove the lane after its last run; cancel: cancel its "
                            + "runs and remove it now. Default: drain.") String mode) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("laneId", lane);
        body.put("mode", mode);
        ServerClient.Answer answer = new ServerClient(server).post("/api/v1/lane/cleanup", body);
        JsonNode l = answer.json();
        answer.print(cli.out(), server.json(), l.path("removed").asBoolean() ? "removed lane " + lane
                : "draining " + describe(l));
        return ExitCodes.OK;
    }

    @Command(name = "show", mixinStandardHelpOptions = true, header = "Show a lane: its state, runs and memory keys.")
    int show(@Mixin ServerOptions server, @Parameters(paramLabel = "LANE", description = "The lane id.") String lane) {
        ServerClient.Answer answer = new ServerClient(server).get("/api/v1/lanes/" + ServerClient.segment(lane));
        JsonNode l = answer.json();
        answer.print(cli.out(), server.json(), describe(l) + "\nrunning: " + list(l.path("running")) + "\nqueued: "
                + list(l.path("queued")) + "\nmemory keys: " + list(l.path("memoryKeys")) + "\ncreated: "
                + l.path("createdAt").asText());
        return ExitCodes.OK;
    }

    private static String describe(JsonNode lane) {
        return "lane " + lane.path("laneId").asText() + " (" + lane.path("status").asText() + ", cap "
                + lane.path("cap").asText() + ", " + lane.path("running").size() + " running, "
                + lane.path("queued").size() + " queued)";
    }

    private static String list(JsonNode values) {
        StringBuilder b = new StringBuilder();
        values.forEach(v -> b.append(b.length() == 0 ? "" : ", ").append(v.asText()));
        return b.length() == 0 ? "-" : b.toString();
    }
}
