package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import dev.caravan.app.export.CamelKExport;
import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.run.WorkflowRoutes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code caravan export FILE --camel-k [-o DIR]} */
@Command(name = "export",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Write the Camel K resources that deploy a workflow.",
        description = {
                "Writes DIR/integration.yaml: a Camel K Integration (camel.apache.org/v1) running the routes 'caravan "
                        + "compile' prints, with the Caravan and Camel components they use as dependencies, the "
                        + "workflow file in a ConfigMap it mounts (with the routes and files of the workflows its "
                        + "workflow nodes run, found among the *.caravan.yaml files of the same folder), settings and keys from the ConfigMap "
                        + "caravan-settings and the Secrets of k8s/ (never their values), its pods joining the "
                        + "server's Hazelcast cluster. For a kafka trigger it also writes DIR/pipe.yaml, a Pipe that "
                        + "starts the runs from the kafka-source Kamelet instead.",
                ""},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  exported", "  1  a file cannot be written", "  2  the file is missing or invalid",
                "%nExamples:",
                "  caravan export ticket-intake.caravan.yaml --camel-k -o integrations/ticket-intake",
                "  kubectl apply -f integrations/ticket-intake/integration.yaml"})
public final class ExportCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file (*.caravan.yaml).")
    String file;

    @Option(names = "--camel-k", required = true,
            description = "Export as Camel K resources (the one format there is, named so that others can follow).")
    boolean camelK;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR",
            description = "The folder to write to (default: a folder named after the workflow).")
    String output;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Set a property for loading the file (repeatable), e.g. -p caravan.limits.nodes=20000.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        Logging.configure(cli.verbosity());
        Path path = WorkflowFiles.resolve(cli.workingDir(), file);
        WorkflowLoader loader = WorkflowFiles.loader(null, properties);
        Workflow wf;
        String text;
        List<CamelKExport.SubWorkflow> subWorkflows;
        RouteCompiler compiler = new RouteCompiler();
        try {
            wf = WorkflowFiles.load(loader, cli.workingDir(), path, file);
            text = Files.readString(path, StandardCharsets.UTF_8);
            subWorkflows = subWorkflows(wf, path.toAbsolutePath().getParent(), loader, compiler);
        } catch (InvalidWorkflowException e) {
            WorkflowFiles.printProblems(cli.err(), e);
            return ExitCodes.USAGE;
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, file + ": cannot be read: " + e.getMessage(), e);
        }
        String routes = compiler.compile(wf);
        CamelKExport.Exported exported = new CamelKExport(wf, path.getFileName().toString(), text, subWorkflows,
                VersionProvider.version()).export(WorkflowRoutes.oneFile(compiler.compileTriggers(wf), routes), routes);

        String dirArg = output != null ? output : wf.name();
        Path dir = cli.workingDir().resolve(dirArg).normalize();
        write(dir, "integration.yaml", exported.integration(), dirArg);
        Path pipe = dir.resolve("pipe.yaml");
        if (exported.pipe() != null) {
            write(dir, "pipe.yaml", exported.pipe(), dirArg);
        } else {
            try {
                Files.deleteIfExists(pipe); // one left by an earlier export of a workflow then triggered from Kafka
            } catch (IOException e) {
                throw new UserException(ExitCodes.FAILED, "cannot delete " + pipe + ": " + e.getMessage(), e);
            }
        }
        cli.err().println(exported.pipeNote());
        if (!exported.unknownSchemes().isEmpty()) {
            cli.err().println("warning: no artifact is known for the endpoint schemes "
                    + String.join(", ", exported.unknownSchemes()) + ": add them to spec.dependencies by hand");
        }
        cli.err().flush();
        return ExitCodes.OK;
    }

    /**
     * The workflows the workflow's {@code workflow} nodes run, at any depth, from the {@code *.caravan.yaml} files of
     * its folder, as {@code caravan run} finds them.
     */
    private List<CamelKExport.SubWorkflow> subWorkflows(Workflow wf, Path folder, WorkflowLoader loader,
            RouteCompiler compiler) throws IOException {
        Map<String, CamelKExport.SubWorkflow> found = new LinkedHashMap<>();
        List<Workflow> pending = new ArrayList<>(List.of(wf));
        while (!pending.isEmpty()) {
            Workflow parent = pending.remove(0);
            for (String child : parent.childWorkflows()) {
                if (child.equals(wf.name()) || found.containsKey(child)) {
                    continue;
                }
                Path childFile = WorkflowCatalog.find(loader, folder, child);
                if (childFile == null) {
                    throw new UserException(ExitCodes.USAGE, file + ": workflow " + parent.name() + " runs workflow "
                            + child + ", which no *.caravan.yaml file of " + folder + " defines");
                }
                Workflow loaded = loader.load(childFile);
                found.put(child, new CamelKExport.SubWorkflow(loaded, childFile.getFileName().toString(),
                        Files.readString(childFile, StandardCharsets.UTF_8), compiler.compile(loaded)));
                pending.add(loaded);
            }
        }
        return List.copyOf(found.values());
    }

    private void write(Path dir, String name, String content, String dirArg) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserException(ExitCodes.FAILED, "cannot write " + dirArg + "/" + name + ": " + e.getMessage(), e);
        }
        cli.err().println("Wrote " + Path.of(dirArg, name));
    }
}
