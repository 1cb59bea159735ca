package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import dev.caravan.dsl.Problem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code caravan validate FILE...} */
@Command(name = "validate",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Check workflow files without running them.",
        description = {
                "Loads each file and checks everything that can be checked before a run: structure, types, "
                        + "durations, the node graph, every $${{ }} expression, node references, tools and JSON "
                        + "Schemas.",
                "",
                "Prints 'OK <file>' on stdout for each valid file, and every problem of the others on stderr as "
                        + "'file:line:column: message'.",
                ""},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  every file is valid", "  2  a file is missing or invalid"})
public final class ValidateCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Workflow files (*.caravan.yaml).")
    List<String> files;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Set a property (repeatable), e.g. -p caravan.limits.nodes=20000 to accept a larger file.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        Logging.configure(cli.verbosity());
        int code = ExitCodes.OK;
        for (String arg : files) {
            Path file;
            try {
                file = WorkflowFiles.resolve(cli.workingDir(), arg);
            } catch (UserException e) {
                cli.err().println("caravan: " + e.getMessage());
                code = ExitCodes.USAGE;
                continue;
            }
            List<Problem> problems;
            try {
                problems = WorkflowFiles.validate(cli.workingDir(), file, arg, properties);
            } catch (UserException e) {
                cli.err().println("caravan: " + e.getMessage());
                code = ExitCodes.USAGE;
                continue;
            }
            if (problems.isEmpty()) {
                cli.out().println("OK " + arg);
            } else {
                WorkflowFiles.printProblems(cli.err(), problems);
                code = ExitCodes.USAGE;
            }
        }
        cli.out().flush();
        cli.err().flush();
        return code;
    }
}
