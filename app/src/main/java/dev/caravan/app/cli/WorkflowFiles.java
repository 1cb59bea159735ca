package dev.caravan.app.cli;

import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.LoadLimits;
import dev.caravan.dsl.NodeKinds;
import dev.caravan.dsl.Problem;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.expr.Expressions;
import dev.caravan.llm.provider.ChatModelFactory;
import org.apache.camel.util.IOHelper;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Resolving workflow file arguments and reporting their problems. */
public final class WorkflowFiles {

    private WorkflowFiles() {
    }

    /**
     * The file a command-line argument names, relative to the working directory; exit code 2 when it is missing or
     * not a readable file.
     */
    static Path resolve(Path workingDir, String arg) {
        Path p = workingDir.resolve(arg).normalize();
        if (!Files.exists(p)) {
            throw new UserException(ExitCodes.USAGE, arg + ": no such file");
        }
        if (Files.isDirectory(p)) {
            throw new UserException(ExitCodes.USAGE, arg + ": is a directory, not a workflow file");
        }
        if (!Files.isReadable(p)) {
            throw new UserException(ExitCodes.USAGE, arg + ": cannot be read (permission denied)");
        }
        return p;
    }

    /**
     * Loads a workflow file, named as {@link #display} names it (a file over the size limit is refused before it is
     * read); exit code 2 when it cannot be read.
     *
     * @throws InvalidWorkflowException listing every problem of the file
     */
    static Workflow load(WorkflowLoader loader, Path workingDir, Path file, String arg) {
        try {
            return loader.load(display(workingDir, file).toString(), file);
        } catch (UncheckedIOException e) {
            throw new UserException(ExitCodes.USAGE, arg + ": cannot be read: " + e.getCause().getMessage(), e);
        }
    }

    /**
     * The loader both validate and run check files with: model references may name the providers, and nodes the
     * kinds, installed in the CLI and in the extra jars ({@code --dep}, {@code lib/}; null when there are none), and
     * the limits come from the command's {@code -p} properties and the environment, as the engine's do.
     */
    public static WorkflowLoader loader(ClassLoader dependencies, Map<String, String> properties) {
        LoadLimits limits;
        try {
            limits = LoadLimits.from(key -> Optional.ofNullable(properties.get(key))
                    .or(() -> Optional.ofNullable(IOHelper.lookupEnvironmentVariable(key))));
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, e.getMessage(), e);
        }
        // found once for the command, not per file: finding them scans the class path
        Set<String> providers = modelProviders(dependencies);
        NodeKinds kinds = NodeKinds.installed(dependencies);
        return new WorkflowLoader(new Expressions(), limits, () -> providers, () -> kinds);
    }

    /** The model providers installed in the CLI and in the extra jars (null when there are none). */
    static Set<String> modelProviders(ClassLoader dependencies) {
        return ChatModelFactory.installedProviders(dependencies != null ? dependencies
                : WorkflowFiles.class.getClassLoader());
    }

    /** How a file is named in messages: as the user wrote it when it is under the working directory. */
    public static Path display(Path workingDir, Path file) {
        return file.startsWith(workingDir) ? workingDir.relativize(file) : file;
    }

    /** Prints every problem as {@code file:line:column: message}. */
    public static void printProblems(PrintStream err, List<Problem> problems) {
        for (Problem p : problems) {
            err.println(p);
        }
    }

    /** Prints every warning as {@code file:line:column: warning: message}. */
    static void printWarnings(PrintStream err, List<Problem> warnings) {
        for (Problem p : warnings) {
            err.println(p.position() + ": warning: " + p.message());
        }
    }

    public static void printProblems(PrintStream err, InvalidWorkflowException e) {
        if (e.problems().isEmpty()) {
            err.println(e.getMessage());
        } else {
            printProblems(err, e.problems());
        }
    }
}
