package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code caravan kill set|clear|list}: the kill switches of a running server (an admin operation). */
@Command(name = "kill",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Set, clear and list kill switches on a running server (admin).",
        description = {"While a switch is set no run of its workflow or tenant (or none at all) starts, and runs "
                + "that execute stop at their next node boundary, cancelled with the reason. With API keys, only "
                + "the tenants of caravan.api.admin-tenants may use them.", ""},
        footer = {"%nExamples:",
                "  caravan kill set --workflow triage --reason 'runaway costs'",
                "  caravan kill list",
                "  caravan kill clear --workflow triage"})
public final class KillCommand {

    @ParentCommand
    CaravanCli cli;

    /** What a switch stops: one workflow, one tenant, or everything. */
    static final class Scope {
        @Option(names = "--workflow", paramLabel = "W", description = "The runs of this workflow.")
        String workflow;

        @Option(names = "--tenant", paramLabel = "T", description = "The runs of this tenant.")
        String tenant;

        @Option(names = "--all", description = "Every run.")
        boolean all;
    }

    @Command(name = "set", mixinStandardHelpOptions = true, header = "Set a kill switch.")
    int set(@Mixin ServerOptions server, @ArgGroup(multiplicity = "1") Scope scope,
            @Option(names = "--reason", paramLabel = "TEXT", description = "Why; the stopped runs record it.")
            String reason) {
        return post(server, scope, reason, false);
    }

    @Command(name = "clear", mixinStandardHelpOptions = true, header = "Clear a kill switch.")
    int clear(@Mixin ServerOptions server, @ArgGroup(multiplicity = "1") Scope scope) {
        return post(server, scope, null, true);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, header = "List the kill switches that are set.")
    int list(@Mixin ServerOptions server) {
        print(server, new ServerClient(server).get("/api/v1/admin/kill-switch"));
        return ExitCodes.OK;
    }

    private int post(ServerOptions server, Scope scope, String reason, boolean clear) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("scope", scope.all ? "all" : scope.workflow != null ? "workflow" : "tenant");
        if (!scope.all) {
            body.put("target", scope.workflow != null ? scope.workflow : scope.tenant);
        }
        if (reason != null) {
            body.put("reason", reason);
        }
        if (clear) {
            body.put("clear", true);
        }
        print(server, new ServerClient(server).post("/api/v1/admin/kill-switch", body));
        return ExitCodes.OK;
    }

    private void print(ServerOptions server, ServerClient.Answer answer) {
        StringBuilder b = new StringBuilder();
        for (JsonNode s : answer.json().path("killSwitches")) {
            b.append(b.length() == 0 ? "" : "\n").append(s.path("scope").asText())
                    .append(s.path("target").isNull() ? "" : " " + s.path("target").asText())
                    .append(s.path("reason").isNull() || s.path("reason").isMissingNode() ? ""
                            : ": " + s.path("reason").asText());
        }
        answer.print(cli.out(), server.json(), b.length() == 0 ? "no kill switch is set" : b.toString());
    }
}
