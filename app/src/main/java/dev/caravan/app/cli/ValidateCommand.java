package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
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
                "Loads each file and checks everything that can be checked before a run, as caravan run does "
                        + "before it starts one: structure, types, durations, the node graph, every $${{ }} "
                        + "expression, node references, tools, JSON Schemas, model references (their providers are "
                        + "those installed, with the jars of --dep and of a lib folder beside the file), the Camel "
                        + "components that fixed endpoint URIs name (on that class path), and the sub-workflows that "
                        + "workflow nodes name (among the *.caravan.yaml files of the same folder).",
                "",
                "Prints 'OK <file>' on stdout for each valid file, and every problem of the others on stderr as "
                        + "'file:line:column: message'. A remember node that every run reaches needs a lane: "
                        + "it is a warning ('file:line:column: warning: ...'), as caravan run refuses such a file "
                        + "only without --lane.",
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

    @Option(names = "--dep", paramLabel = "DEP",
            description = "Add to the class path as caravan run --dep does (repeatable): jars that bring model "
                    + "providers or Camel components.")
    List<String> deps = new ArrayList<>();

    @Option(names = "--repo", paramLabel = "URL",
            description = "Also resolve --dep coordinates from this Maven repository (repeatable).")
    List<String> repos = new ArrayList<>();

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
            WorkflowChecks.Outcome checked;
            try {
                checked = check(file, arg);
            } catch (UserException e) {
                cli.err().println("caravan: " + e.getMessage());
                code = ExitCodes.USAGE;
                continue;
            }
            if (checked.problems().isEmpty()) {
                WorkflowFiles.printWarnings(cli.err(), checked.laneNeeded());
                cli.out().println("OK " + arg);
            } else {
                WorkflowFiles.printProblems(cli.err(), checked.problems());
                code = ExitCodes.USAGE;
            }
        }
        cli.out().flush();
        cli.err().flush();
        return code;
    }

    /** The checks run makes before it starts, with the jars run would add for this file. */
    private WorkflowChecks.Outcome check(Path file, String arg) {
        URLClassLoader dependencies = Dependencies.classLoader(deps, repos, cli.workingDir(),
                file.getParent().resolve("lib"), cli.err());
        try {
            return WorkflowChecks.check(WorkflowFiles.loader(dependencies, properties), cli.workingDir(), file, arg,
                    dependencies != null ? dependencies : ValidateCommand.class.getClassLoader());
        } finally {
            if (dependencies != null) {
                try {
                    dependencies.close();
                } catch (IOException ignored) {
                    // nothing was loaded from it that needs closing
                }
            }
        }
    }
}
