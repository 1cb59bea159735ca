package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code caravan deploy FILE}: deploys a workflow file into a running server. */
@Command(name = "deploy",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Deploy a workflow file into a running server (admin).",
        description = {"Sends the file to PUT /api/v1/definitions/{metadata.name}: the server checks it as "
                + "'caravan validate' does and starts its routes in place of a definition of that name. Its problems "
                + "print as FILE:LINE:COLUMN: message, one a line. The server keeps it until it stops: put the file "
                + "in a --workflows folder as well to keep it.", ""},
        footerHeading = "%nExit codes:%n",
        footer = {
                "  0    deployed (created, updated or unchanged)",
                "  2    the file is invalid or unreadable, or the server refused it",
                "  69   the server could not be reached",
                "",
                "Example:",
                "  caravan deploy triage.caravan.yaml --server http://caravan:8080"})
public final class DeployCommand implements Callable<Integer> {

    /** {@code name:} indented under a top-level {@code metadata:}, before the next top-level key. */
    private static final Pattern METADATA_NAME = Pattern.compile(
            "(?m)^metadata:[ \\t]*(?:#.*)?\\R(?:[ \\t]+.*\\R|[ \\t]*\\R)*?[ \\t]+name:[ \\t]*[\"']?([^\"'#\\s]+)");

    @ParentCommand
    CaravanCli cli;

    @Mixin
    ServerOptions server;

    @Parameters(paramLabel = "FILE", description = "The workflow file (*.caravan.yaml).")
    Path file;

    @Option(names = "--name", paramLabel = "NAME",
            description = "The definition's name, when it is not the file's metadata.name as written.")
    String name;

    @Override
    public Integer call() {
        Path path = cli.workingDir().resolve(file);
        String yaml;
        try {
            yaml = Files.readString(path);
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        String definition = name != null ? name : name(yaml, path);
        ServerClient client = new ServerClient(server);
        ServerClient.Answer answer = client.putYaml("/api/v1/definitions/" + ServerClient.segment(definition), yaml);
        if (!answer.ok()) {
            if (answer.status() == 422 && !server.json()) {
                JsonNode errors = answer.problem().body() == null ? null : answer.problem().body().path("errors");
                if (errors != null && errors.isArray() && !errors.isEmpty()) {
                    for (JsonNode e : errors) {
                        String where = e.has("line") ? file + ":" + e.path("line").asInt() + ":"
                                + e.path("column").asInt() + ": " : "";
                        cli.err().println(TerminalText.safe(where + (e.isTextual() ? e.asText()
                                : e.path("message").asText())));
                    }
                }
            } else if (server.json() && answer.status() != 401 && answer.status() != 403) {
                cli.out().println(TerminalText.json(answer.body()));
            }
            throw client.refusal(answer);
        }
        JsonNode deployed = answer.json();
        answer.print(cli.out(), server.json(), "deployed " + deployed.path("name").asText() + " ("
                + deployed.path("status").asText() + ", hash " + deployed.path("hash").asText() + ")");
        return ExitCodes.OK;
    }

    /** The file's metadata.name, or its name without .caravan.yaml when that cannot be read from the text. */
    static String name(String yaml, Path path) {
        Matcher m = METADATA_NAME.matcher(yaml);
        if (m.find()) {
            return m.group(1);
        }
        String stem = path.getFileName().toString();
        for (String suffix : new String[] {".caravan.yaml", ".caravan.yml", ".yaml", ".yml"}) {
            if (stem.endsWith(suffix)) {
                return stem.substring(0, stem.length() - suffix.length());
            }
        }
        return stem;
    }
}
