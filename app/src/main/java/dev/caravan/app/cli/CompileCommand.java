package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Workflow;
import dev.caravan.run.WorkflowRoutes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code caravan compile FILE [-o OUT]} */
@Command(name = "compile",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Print the Camel YAML routes a workflow compiles to.",
        description = {
                "Compiles a workflow file to Camel YAML DSL: exactly the routes 'caravan run' deploys, and the routes "
                        + "of its triggers that 'caravan serve' adds. The output runs unchanged in plain Camel (Camel "
                        + "Main, Camel JBang, Camel K) with the Caravan jars as dependencies.",
                ""},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  compiled", "  1  the output file cannot be written", "  2  the file is missing or invalid"})
public final class CompileCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file (*.caravan.yaml).")
    String file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT",
            description = "Write the routes to this file instead of stdout.")
    String output;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Set a property (repeatable), e.g. -p caravan.limits.nodes=20000 to load a larger file.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        Logging.configure(cli.verbosity());
        Path path = WorkflowFiles.resolve(cli.workingDir(), file);
        Workflow wf;
        try {
            wf = WorkflowFiles.load(WorkflowFiles.loader(null, properties), cli.workingDir(), path, file);
        } catch (InvalidWorkflowException e) {
            WorkflowFiles.printProblems(cli.err(), e);
            return ExitCodes.USAGE;
        }
        RouteCompiler compiler = new RouteCompiler();
        String yaml = WorkflowRoutes.oneFile(compiler.compileTriggers(wf), compiler.compile(wf));
        if (output == null || output.equals("-")) {
            cli.out().print(yaml);
            if (!yaml.endsWith("\n")) {
                cli.out().println();
            }
            cli.out().flush();
        } else {
            Path out = cli.workingDir().resolve(output).normalize();
            try {
                if (out.getParent() != null) {
                    Files.createDirectories(out.getParent());
                }
                Files.writeString(out, yaml, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UserException(ExitCodes.FAILED, "cannot write " + output + ": " + e.getMessage(), e);
            }
            cli.err().println("Wrote " + output);
        }
        return ExitCodes.OK;
    }
}
