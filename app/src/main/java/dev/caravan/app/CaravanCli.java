package dev.caravan.app;

import dev.caravan.app.cli.CancelCommand;
import dev.caravan.app.cli.CompileCommand;
import dev.caravan.app.cli.ExportCommand;
import dev.caravan.app.cli.CompletionCommand;
import dev.caravan.app.cli.DeployCommand;
import dev.caravan.app.cli.ExitCodes;
import dev.caravan.app.cli.GateCommand;
import dev.caravan.app.cli.KillCommand;
import dev.caravan.app.cli.LanesCommand;
import dev.caravan.app.cli.Prompter;
import dev.caravan.app.cli.RetryCommand;
import dev.caravan.app.cli.RunCommand;
import dev.caravan.app.cli.RunsCommand;
import dev.caravan.app.cli.ServeCommand;
import dev.caravan.app.cli.TerminalText;
import dev.caravan.app.cli.TriggersCommand;
import dev.caravan.app.cli.UserException;
import dev.caravan.app.cli.ValidateCommand;
import dev.caravan.app.cli.VersionProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The {@code caravan} command line: run, validate and compile workflow files, serve them over HTTP, and manage the
 * runs of a running server over its REST API.
 *
 * <p>{@link #execute(String...)} runs one command in-process and returns its exit code; output goes to the
 * streams given to the constructor, so tests and embedders can capture it. {@link #main} exits the JVM with that
 * code.
 */
@Command(name = "caravan",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        header = "Durable AI-agent workflows on Apache Camel.",
        description = {
                "Runs, checks and compiles Caravan workflow files (*.caravan.yaml), and serves them over HTTP. "
                        + "Results go to stdout; progress, problems and logs go to stderr.",
                ""},
        subcommands = {RunCommand.class, ServeCommand.class, ValidateCommand.class, CompileCommand.class,
                ExportCommand.class, RunsCommand.class, GateCommand.class, CancelCommand.class, RetryCommand.class,
                LanesCommand.class, TriggersCommand.class, KillCommand.class, DeployCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {
                "  0   success",
                "  1   the run failed or was cancelled (or an unexpected error)",
                "  2   invalid usage, file, workflow or input",
                "  3   the run awaits approval and no decision could be made",
                "  69  the server could not be reached (commands that talk to a server)",
                "  124 the run did not finish within --timeout",
                "  130 interrupted (Ctrl-C); caravan run prints how to continue the run",
                "",
                "Examples:",
                "  caravan run routes/examples/hello.caravan.yaml --input '{\"name\": \"Ada\"}'",
                "  caravan run gate.caravan.yaml --input @in.json --approve approve",
                "  caravan run hello.caravan.yaml --input '{\"name\": \"Ada\"}' --json | jq .type",
                "  caravan validate routes/examples/*.caravan.yaml",
                "  caravan serve --workflows routes/examples",
                "  caravan compile hello.caravan.yaml -o hello.camel.yaml",
                "  caravan export ticket-intake.caravan.yaml --camel-k -o integrations/ticket-intake",
                "  caravan runs tail 3f0c7d2e-... --server http://caravan:8080",
                "  caravan triggers --server http://caravan:8080",
                "  caravan gate approve 3f0c7d2e-... approve --by ada"})
public final class CaravanCli implements Callable<Integer> {

    @Option(names = {"-v", "--verbose"},
            description = "Log more, with stack traces: -v for INFO, -vv for DEBUG.",
            scope = CommandLine.ScopeType.INHERIT)
    boolean[] verbose = new boolean[0];

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Path workingDir;
    private Prompter prompter;

    /** A CLI writing to the process's stdout and stderr. */
    public CaravanCli() {
        this(System.out, System.err);
    }

    public CaravanCli(PrintStream out, PrintStream err) {
        this(out, err, System.in, null);
    }

    /**
     * @param out      where results (and {@code --json} events) go
     * @param err      where progress, problems and logs go
     * @param in       read by {@code --input @-}
     * @param prompter asks approval questions; null to ask on the terminal when there is one
     */
    public CaravanCli(PrintStream out, PrintStream err, InputStream in, Prompter prompter) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.prompter = prompter;
        this.workingDir = Path.of("").toAbsolutePath();
    }

    public static void main(String[] args) {
        int code = new CaravanCli().execute(args);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs one command line; returns its exit code (see {@link ExitCodes}). Never exits the JVM. */
    public int execute(String... args) {
        CommandLine cmd = commandLine();
        return cmd.execute(args);
    }

    /** The picocli command tree, wired to this CLI's streams. */
    public CommandLine commandLine() {
        CommandLine cmd = new CommandLine(this);
        cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExpandAtFiles(false); // --input @file.json is ours, not picocli's argument files
        cmd.setParameterExceptionHandler(this::onUsageError);
        cmd.setExecutionExceptionHandler(this::onError);
        return cmd;
    }

    @Override
    public Integer call() {
        // `caravan` alone: show what it can do
        new CommandLine(this).usage(new PrintWriter(err, true, StandardCharsets.UTF_8));
        return ExitCodes.USAGE;
    }

    private int onUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter w = cmd.getErr();
        w.println("caravan: " + e.getMessage());
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, w)) {
            w.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        w.flush();
        return ExitCodes.USAGE;
    }

    private int onError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter w = cmd.getErr();
        if (e instanceof UserException u) {
            w.println("caravan: " + TerminalText.safe(u.getMessage()));
            if (verbosity() > 0 && u.getCause() != null) {
                u.getCause().printStackTrace(w);
            }
            w.flush();
            return u.exitCode();
        }
        w.println("caravan: unexpected error: " + TerminalText.safe(String.valueOf(e)));
        if (verbosity() > 0) {
            e.printStackTrace(w);
        } else {
            w.println("Run again with --verbose to see the stack trace.");
        }
        w.flush();
        return ExitCodes.FAILED;
    }

    /** How many {@code -v} were given. */
    public int verbosity() {
        return verbose.length;
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    public InputStream in() {
        return in;
    }

    /** Relative file arguments resolve against this directory (the caller's working directory). */
    public Path workingDir() {
        return workingDir;
    }

    /** The prompter used for approval questions, or null when nobody can be asked. */
    public Prompter prompter() {
        if (prompter == null) {
            prompter = Prompter.terminal();
        }
        return prompter;
    }
}
