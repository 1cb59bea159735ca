package dev.caravan.app.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.caravan.app.CaravanCli;
import dev.caravan.component.agent.AgentComponent;
import dev.caravan.dsl.Durations;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.CloudEventJson;
import dev.caravan.event.RunEvent;
import dev.caravan.expr.Expressions;
import dev.caravan.json.Json;
import dev.caravan.llm.ModelReference;
import dev.caravan.run.Engine;
import dev.caravan.run.InvalidInputException;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.RunService;
import dev.caravan.run.RunWatch;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** {@code caravan run FILE}: runs a workflow in an embedded engine until it ends. */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        sortOptions = false,
        header = "Run a workflow file to completion.",
        description = {
                "Deploys the workflow (and the sub-workflows it names, found among the *.caravan.yaml files of "
                        + "the same folder) into an embedded engine, runs it, shows progress on stderr and prints "
                        + "the run output on stdout: JSON for objects and lists, plain text for strings.",
                "",
                "Gates: on a terminal you are asked 'Approve <node>? <message> [y/N]' unless --approve or "
                        + "--reject decided that gate. Without a terminal, a gate that no option decides ends the "
                        + "command with exit code 3. NODE is a node key (approve, each[2].approve), a node id "
                        + "(approve: every gate with that id), or for gates of sub-workflow runs "
                        + "<workflow-node>/<key> (summary/approve); one that names no gate of the workflow is refused.",
                "",
                "Components: call nodes reach http, https, kafka, file, sql and the Camel core components "
                        + "(direct, log, bean). Others join the class path with --dep or as jars in a lib "
                        + "folder beside the workflow file.",
                ""},
        footerHeading = "%nExit codes:%n",
        footer = {
                "  0    the run completed",
                "  1    the run failed or was cancelled, or its data directory was deleted under it",
                "  2    invalid usage, file, workflow or input",
                "  3    the run awaits approval and no decision could be made",
                "  124  the run did not finish within --timeout (it was cancelled)",
                "  130  interrupted (Ctrl-C): the run is kept, and the command that continues it is printed",
                "",
                "Examples:",
                "  caravan run hello.caravan.yaml --input '{\"name\": \"Ada\"}'",
                "  caravan run gate.caravan.yaml --input @input.json --approve approve",
                "  echo '{\"to\": \"bob\"}' | caravan run gate.caravan.yaml --input @- --reject approve",
                "  caravan run hello.caravan.yaml -i '{\"name\": \"Ada\"}' --json > events.ndjson",
                "  caravan run upload.caravan.yaml --dep camel:aws2-s3 --dep lib/my-tools.jar"})
public final class RunCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file (*.caravan.yaml).")
    String file;

    @Option(names = {"-i", "--input"}, paramLabel = "JSON|@FILE",
            description = "The run input: JSON text, @file.json, or @- to read stdin. Default: {}.")
    String input;

    @Option(names = "--json",
            description = "Print the run's events as CloudEvents, one JSON object per line (NDJSON), on stdout "
                    + "and nothing else there. Progress is off; problems still go to stderr.")
    boolean json;

    @Option(names = "--approve", paramLabel = "NODE",
            description = "Approve this gate when it asks (repeatable).")
    List<String> approve = new ArrayList<>();

    @Option(names = "--reject", paramLabel = "NODE",
            description = "Reject this gate when it asks (repeatable). Nodes that need it are skipped.")
    List<String> reject = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Give up after this long (e.g. 30s, 10m, 1h30m): the run is cancelled, exit code 124. "
                    + "Default: no limit.")
    String timeout;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr; only the output and problems.")
    boolean quiet;

    @Option(names = "--model", paramLabel = "PROVIDER:MODEL",
            description = "Run the agents written for the scripted model on this model instead (openai:gpt-4o-mini, "
                    + "anthropic:claude-haiku-4-5, gemini:gemini-2.5-flash, ollama:llama3.2); its key comes from the "
                    + "environment (OPENAI_API_KEY, ...).")
    String model;

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Set a Camel property (repeatable), e.g. -p caravan.llm.openai.base-url=http://localhost:8000/v1 "
                    + "for an OpenAI-compatible server. Keys are better left in the environment.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--resume", paramLabel = "RUN_ID",
            description = "Continue a run kept in the data directory (one that awaits approval, or was interrupted) "
                    + "instead of starting a new one. It goes on with the input it started with: no --input.")
    String resume;

    @Option(names = "--migrate",
            description = "With --resume: continue a run whose workflow file changed since it started (it awaits "
                    + "migration) on the file as it is now, accepting that the changed nodes may decide differently.")
    boolean migrate;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where runs are kept (an embedded H2 database), so a run that awaits approval or was "
                    + "interrupted can be continued by a later command. Default: .caravan in the working directory.")
    Path dataDir;

    @Option(names = "--ephemeral",
            description = "Keep runs in memory only: nothing is written, and nothing survives the command.")
    boolean ephemeral;

    @Option(names = "--lane", paramLabel = "NAME",
            description = "Start the run in this lane (made when it does not exist). Runs of a lane share its memory, "
                    + "which remember nodes write; with the data directory it outlives the command.")
    String lane;

    @Option(names = "--dep", paramLabel = "DEP",
            description = "Add to the class path (repeatable, or comma-separated): a jar, a folder of jars, Maven "
                    + "coordinates groupId:artifactId:version (with their dependencies, from the local Maven repository "
                    + "or Maven Central), or camel:NAME for a Camel component (camel:aws2-s3). The jars of a lib folder "
                    + "beside the workflow file join too.")
    List<String> deps = new ArrayList<>();

    @Option(names = "--repo", paramLabel = "URL",
            description = "Also resolve --dep coordinates from this Maven repository (repeatable).")
    List<String> repos = new ArrayList<>();

    /** Properties whose values are not repeated in the commands the CLI prints. */
    private static final Pattern SECRET_KEY = Pattern.compile(
            "(?i)key|token|secret|password|credential");
    /** How long a command that gives up on its run waits for the run's in-flight work to stop. */
    private static final long ABANDON_MILLIS = 200;
    /** How often a command waiting for its run checks that the data directory is still there. */
    private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private DataDirectory data;

    /** What this command decided at gates, set when it runs. */
    private GateDecisions decisions;

    @Override
    public Integer call() throws Exception {
        Logging.configure(cli.verbosity());
        Duration limit = parseTimeout();
        decisions = new GateDecisions(approve, reject, cli.prompter());
        if (resume != null && input != null) {
            throw new UserException(ExitCodes.USAGE, "--input cannot be given with --resume: run " + resume
                    + " goes on with the input it started with");
        }
        if (migrate && resume == null) {
            throw new UserException(ExitCodes.USAGE, "--migrate needs --resume RUN_ID: only a kept run can be migrated");
        }
        if (ephemeral && resume != null) {
            throw new UserException(ExitCodes.USAGE, "--resume needs the data directory; drop --ephemeral");
        }
        if (resume != null && lane != null) {
            throw new UserException(ExitCodes.USAGE, "--lane cannot be given with --resume: run " + resume
                    + " goes on in the lane it started in");
        }
        if (lane != null && lane.isBlank()) {
            throw new UserException(ExitCodes.USAGE, "--lane needs a name");
        }
        Path path = WorkflowFiles.resolve(cli.workingDir(), file);
        URLClassLoader dependencies = Dependencies.classLoader(deps, repos, cli.workingDir(),
                path.getParent().resolve("lib"), json || quiet ? null : cli.err());
        try {
            return checkAndRun(path, dependencies, limit);
        } finally {
            if (dependencies != null) {
                dependencies.close();
            }
        }
    }

    private int checkAndRun(Path path, URLClassLoader dependencies, Duration limit) throws Exception {
        // what validate checks, with the model providers of the jars this run has (--dep, lib/)
        WorkflowLoader loader = WorkflowFiles.loader(dependencies, properties);
        WorkflowChecks.Outcome checked = WorkflowChecks.check(loader, cli.workingDir(), path, file,
                dependencies != null ? dependencies : RunCommand.class.getClassLoader());
        if (!checked.problems().isEmpty()) {
            WorkflowFiles.printProblems(cli.err(), checked.problems());
            return ExitCodes.USAGE;
        }
        if (lane == null && resume == null && !checked.laneNeeded().isEmpty()) {
            WorkflowFiles.printProblems(cli.err(), checked.laneNeeded());
            return ExitCodes.USAGE;
        }
        checkModelOption(dependencies);
        Object runInput = JsonInput.parse(input, cli.in(), cli.workingDir());

        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getShutdownStrategy().setTimeout(2);
        camel.getShutdownStrategy().setTimeUnit(TimeUnit.SECONDS);
        camel.getShutdownStrategy().setShutdownNowOnTimeout(true);
        camel.getShutdownStrategy().setSuppressLoggingOnTimeout(true);
        properties.forEach(camel.getPropertiesComponent()::addOverrideProperty);
        if (model != null) {
            camel.getComponent("caravan-agent", AgentComponent.class).getConfiguration().setScriptedModel(model);
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            if (dependencies != null) {
                // Camel finds components, type converters and classes through it; libraries through the thread's
                camel.setApplicationContextClassLoader(dependencies);
                thread.setContextClassLoader(dependencies);
            }
            if (!ephemeral) {
                data = DataDirectory.lock(dataDirectory());
                // an initial property: a caravan.store.jdbc-url set in the environment (CARAVAN_STORE_JDBC_URL) wins
                camel.getPropertiesComponent().addInitialProperty("caravan.store.jdbc-url",
                        "jdbc:h2:file:" + data.path().resolve("db").resolve("caravan"));
            }
            // the expressions the checks compiled: the engine's endpoints do not compile them again
            camel.getRegistry().bind("caravanExpressions", Expressions.class, loader.expressions());
            camel.start();
            Engine engine = Engine.of(camel);
            if (data != null) {
                data.watch(data.path().resolve("db"));
            }
            return run(engine, path, checked, runInput, limit);
        } finally {
            if (camel.getInflightRepository().size() > 0) {
                // what is still in flight belongs to a run this command gave up on (out of time, or its data
                // directory gone): the run is recorded as it stands, and waiting for it only delays the exit
                camel.getShutdownStrategy().setTimeUnit(TimeUnit.MILLISECONDS);
                camel.getShutdownStrategy().setTimeout(ABANDON_MILLIS);
            }
            camel.close(); // stops the embedded engine and its Hazelcast member too
            thread.setContextClassLoader(previous);
            if (data != null) {
                data.close();
            }
        }
    }

    private Path dataDirectory() {
        return (dataDir != null ? cli.workingDir().resolve(dataDir) : cli.workingDir().resolve(".caravan"))
                .toAbsolutePath().normalize();
    }

    private int run(Engine engine, Path path, WorkflowChecks.Outcome checked, Object runInput, Duration limit)
            throws Exception {
        Workflow wf = checked.workflow();
        try {
            // what the checks loaded, not loaded again
            engine.catalog().deploy(wf, path.getParent(), checked.siblings());
        } catch (InvalidWorkflowException e) {
            WorkflowFiles.printProblems(cli.err(), e);
            return ExitCodes.USAGE;
        } catch (UnknownWorkflowException e) {
            throw new UserException(ExitCodes.USAGE, file + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            // Camel wraps why a route cannot start in several layers: the innermost says it plainly
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            throw new UserException(ExitCodes.USAGE, file + ": cannot deploy: " + root.getMessage(), e);
        }
        String runId = resume != null ? resume : RunService.newRunId();
        if (resume != null) {
            RunRecord kept = engine.queries().get(resume);
            if (kept == null) {
                throw new UserException(ExitCodes.USAGE, "no run " + resume + " in " + dataDirectory()
                        + " (finished runs are kept for caravan.runs.retention, 7 days by default)");
            }
            if (!kept.workflow().equals(wf.name())) {
                throw new UserException(ExitCodes.USAGE, "run " + resume + " is a run of workflow " + kept.workflow()
                        + ", not of " + wf.name());
            }
        }
        checkGateNames(engine, wf);
        PrintStream out = cli.out();
        Progress progress = json || quiet ? null : new Progress(cli.err(), runId);
        Consumer<RunEvent> listener = e -> {
            if (json) {
                // events hold references to large values; the NDJSON a run leaves behind holds the values themselves
                out.println(TerminalText.json(CloudEventJson.toJson(engine.values().resolve(e))));
                out.flush();
            }
            if (progress != null) {
                progress.accept(e);
            }
        };
        long deadline = limit == null ? Long.MAX_VALUE : System.nanoTime() + limit.toNanos();
        // Ctrl-C (or a kill) ends the JVM with this hook as the last word: how to go on with the run
        Thread interrupted = new Thread(() -> {
            if (progress != null) {
                progress.finish();
            }
            cli.err().println();
            if (ephemeral) {
                cli.err().println("caravan: interrupted; run " + runId + " ended with the command (--ephemeral keeps "
                        + "nothing)");
            } else {
                cli.err().println("caravan: interrupted; run " + runId + " is kept in " + data.path()
                        + ". Continue it with:");
                cli.err().println("  " + resumeCommand(runId));
            }
            cli.err().flush();
        }, "caravan-interrupted");
        Runtime.getRuntime().addShutdownHook(interrupted);
        try (RunWatch watch = new RunWatch(engine, runId, listener)) {
            try {
                if (resume == null) {
                    if (lane != null) {
                        // a lane of its own for the command line: no cap worth queueing behind (a kept run that
                        // awaits approval holds its slot), and a lane that exists is left as it is
                        engine.lanes().create(lane, null, Integer.MAX_VALUE);
                    }
                    engine.runs().create(new RunService.StartRequest(wf.name(), runInput, null, lane, runId, null, null));
                    if (lane != null && engine.queries().get(runId).status() == RunStatus.QUEUED) {
                        engine.runs().cancel(runId, "lane " + lane + " has no free slot");
                        throw new UserException(ExitCodes.USAGE, "--lane " + lane + ": the lane has no free slot (its "
                                + "cap is " + engine.lanes().get(lane).cap() + "); run " + runId + " was cancelled");
                    }
                }
            } catch (RunConflictException e) {
                throw new UserException(ExitCodes.USAGE, "--lane " + lane + ": " + e.getMessage(), e);
            } catch (InvalidInputException e) {
                cli.err().println("caravan: invalid input for workflow " + wf.name() + ":");
                for (String p : e.problems()) {
                    cli.err().println("  - " + TerminalText.safe(p));
                }
                return ExitCodes.USAGE;
            }
            CompletableFuture<RunRecord> first;
            try {
                first = resume == null ? engine.executor().execute(runId)
                        : migrate ? engine.runs().migrate(runId) : engine.runs().resume(runId);
            } catch (RunConflictException e) {
                throw new UserException(ExitCodes.USAGE, "--migrate: " + e.getMessage(), e);
            }
            watch.follow(first);
            Outcome outcome = drive(engine, watch, runId, deadline, progress);
            if (outcome.timedOut) {
                try {
                    engine.runs().cancel(runId, "timed out after " + timeout);
                } catch (RuntimeException ignored) {
                    // it ended meanwhile
                }
            }
            engine.events().drain(5_000);
            if (progress != null) {
                progress.finish();
            }
            checkDataDirectory(runId);
            return report(engine, wf, outcome);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran: it had the last word
            }
        }
    }

    /** Exit code 1 when the data directory went away under the run: the run is not kept where it seems to be. */
    private void checkDataDirectory(String runId) {
        if (data != null && !data.intact()) {
            throw new UserException(ExitCodes.FAILED, "the data directory " + data.path() + " was deleted while run "
                    + runId + " was going; the run cannot be kept there, so the command stopped");
        }
    }

    /** Names given to --approve and --reject must match a gate of the workflow or of its sub-workflows. */
    private void checkGateNames(Engine engine, Workflow wf) {
        if (approve.isEmpty() && reject.isEmpty()) {
            return;
        }
        GateNames gates = GateNames.of(wf, engine.catalog()::get);
        for (List<String> nodes : List.of(approve, reject)) {
            for (String node : nodes) {
                if (!gates.matches(node)) {
                    throw new UserException(ExitCodes.USAGE, (nodes == approve ? "--approve " : "--reject ") + node
                            + ": workflow " + wf.name() + " has no gate " + node.strip() + (gates.all().isEmpty()
                            ? " (it has no gates)" : "; its gates: " + String.join(", ", gates.all())));
                }
            }
        }
    }

    /** The command that continues a kept run, with what this one was given to run it (but not its input). */
    private String resumeCommand(String runId) {
        StringBuilder b = new StringBuilder("caravan run ").append(shellQuote(file));
        if (dataDir != null) {
            b.append(" --data-dir ").append(shellQuote(dataDir.toString()));
        }
        for (String d : deps) {
            b.append(" --dep ").append(shellQuote(d));
        }
        for (String r : repos) {
            b.append(" --repo ").append(shellQuote(r));
        }
        if (model != null) {
            b.append(" --model ").append(shellQuote(model));
        }
        properties.forEach((k, v) -> b.append(" -p ").append(shellQuote(k + "=" + (SECRET_KEY.matcher(k).find()
                ? "..." : v))));
        return b.append(" --resume ").append(runId).toString();
    }

    // --- driving the run to its end -------------------------------------------------------------------------

    /** How the command leaves the run: finished, awaiting gates nobody could decide, or out of time. */
    private record Outcome(RunRecord record, List<GateDecisions.Gate> undecided, boolean timedOut) {
    }

    private Outcome drive(Engine engine, RunWatch watch, String runId, long deadline, Progress progress)
            throws InterruptedException {
        while (true) {
            // looks at the data directory between waits
            checkDataDirectory(runId);
            long left = remaining(deadline);
            if (left <= 0) {
                return new Outcome(engine.queries().get(runId), List.of(), true);
            }
            Optional<RunWatch.Settled> settled = watch.awaitSettled(Math.min(left, CHECK_NANOS));
            if (settled.isEmpty()) {
                continue;
            }
            RunWatch.Settled s = settled.get();
            if (s.engineError() != null) {
                throw new UserException(ExitCodes.FAILED, "run " + runId + " stopped by an engine error: "
                        + s.engineError(), s.engineError());
            }
            if (s.isOver()) {
                return new Outcome(s.run(), List.of(), false);
            }
            List<GateDecisions.Gate> undecided = new ArrayList<>();
            GateDecisions.Gate decided = null;
            Boolean decision = null;
            for (GateDecisions.Gate g : GateDecisions.gates(engine, runId, s.pendingGates())) {
                decision = decisions.decide(g, () -> {
                    // what the run printed so far comes before the question
                    engine.events().drain(2_000);
                    if (progress != null) {
                        progress.finish();
                    }
                    cli.err().flush();
                });
                if (decision != null) {
                    decided = g;
                    break;
                }
                undecided.add(g);
            }
            if (decided == null) {
                return new Outcome(s.run(), undecided, false);
            }
            watch.follow(engine.runs().resolveGate(decided.runId(), decided.key(), decision,
                    System.getProperty("user.name", "caravan-cli"), "caravan run " + decisions.how(decided, decision)));
        }
    }

    /** Nanoseconds left until the deadline; Long.MAX_VALUE without one. */
    private static long remaining(long deadline) {
        return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
    }

    // --- reporting ------------------------------------------------------------------------------------------

    private int report(Engine engine, Workflow wf, Outcome outcome) {
        RunRecord r = outcome.record();
        PrintStream err = cli.err();
        if (outcome.timedOut()) {
            err.println("caravan: run " + r.runId() + " did not finish within " + timeout + "; it was cancelled");
            return ExitCodes.TIMEOUT;
        }
        if (!outcome.undecided().isEmpty()) {
            err.println("caravan: run " + r.runId() + " of workflow " + wf.name() + " awaits approval:");
            Set<String> flags = new LinkedHashSet<>();
            for (GateDecisions.Gate g : outcome.undecided()) {
                err.println(TerminalText.safe("  " + g.label() + (g.runId().equals(r.runId()) ? ""
                        : " (run " + g.runId() + ")") + (g.message().isBlank() ? "" : ": " + g.message()))
                        .replace("\n", "\n    "));
                flags.add(g.label());
            }
            String first = flags.iterator().next();
            if (ephemeral) {
                err.println("Decide by running it again with --approve NODE or --reject NODE, e.g.:");
                err.println("  caravan run " + file + (input == null ? "" : " --input " + shellQuote(JsonInput.printable(input)))
                        + " --approve " + first);
                err.println("or run it on a terminal to be asked. (With --ephemeral the run ended with the command.)");
            } else {
                err.println("It is kept; decide with --approve NODE or --reject NODE, e.g.:");
                err.println("  " + resumeCommand(r.runId()) + " --approve " + first);
            }
            return ExitCodes.AWAITING_APPROVAL;
        }
        switch (r.status()) {
            case AWAITING_MIGRATION -> {
                err.println("caravan: run " + r.runId() + " started on another version of " + file + " ("
                        + Workflow.shortHash(r.workflowHash()) + "; now " + Workflow.shortHash(wf.hash()) + "), and replay on the changed file may "
                        + "decide differently: it is kept, and waits.");
                err.println("Continue it on the file as it is now with:");
                err.println("  " + resumeCommand(r.runId()) + " --migrate");
                err.println("or restore the file it started with and resume it.");
                return ExitCodes.USAGE;
            }
            case COMPLETED -> {
                if (!json) {
                    printOutput(r.output());
                }
                return ExitCodes.OK;
            }
            case CANCELLED -> {
                err.println(TerminalText.safe("caravan: run " + r.runId() + " was cancelled"
                        + (r.error() == null ? "" : ": " + r.error())));
                return ExitCodes.FAILED;
            }
            default -> {
                err.println(TerminalText.safe("caravan: run " + r.runId() + " of workflow " + wf.name() + " failed"
                        + failure(engine, r)));
                return ExitCodes.FAILED;
            }
        }
    }

    /** Where and why a run failed, following failed sub-workflow runs down to the node that failed first. */
    private static String failure(Engine engine, RunRecord r) {
        StringBuilder path = new StringBuilder();
        RunRecord at = r;
        NodeRecord node = null;
        for (int depth = 0; depth < 16 && at != null && at.errorNode() != null; depth++) {
            node = at.node(at.errorNode());
            path.append(path.length() == 0 ? "" : "/").append(at.errorNode());
            Object child = node == null || node.detail() == null ? null : node.detail().get("childRunId");
            RunRecord c = child instanceof String id ? engine.queries().get(id) : null;
            if (c == null || c.status() != RunStatus.FAILED) {
                break;
            }
            at = c;
        }
        String message = node != null && node.error() != null ? node.error() : at != null ? at.error() : r.error();
        String errorClass = node == null ? null : node.errorClass();
        StringBuilder b = new StringBuilder();
        if (path.length() > 0) {
            b.append(" at node ").append(path);
        }
        b.append(":\n  ");
        if (errorClass != null) {
            b.append(errorClass).append(": ");
        }
        b.append(message == null ? "(no message)" : message);
        return b.toString();
    }

    private void printOutput(Object output) {
        PrintStream out = cli.out();
        if (output == null) {
            return;
        }
        // text may come from a model or the input: its control characters show escaped; --json has it exactly
        if (output instanceof String s) {
            out.println(TerminalText.safe(s));
        } else if (output instanceof Map<?, ?> || output instanceof List<?>) {
            try {
                out.println(TerminalText.json(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(output)));
            } catch (JsonProcessingException e) {
                out.println(TerminalText.json(Json.write(output)));
            }
        } else {
            out.println(TerminalText.json(Json.write(output)));
        }
        out.flush();
    }

    // --- options --------------------------------------------------------------------------------------------

    private Duration parseTimeout() {
        if (timeout == null) {
            return null;
        }
        try {
            Duration d = Durations.parse(timeout);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("expected a positive duration, found '" + timeout + "'");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, "--timeout: " + e.getMessage());
        }
    }

    /** --model names a model as an agent does: a reference whose provider the run has. */
    private void checkModelOption(ClassLoader dependencies) {
        if (model == null || model.isBlank()) {
            return; // no replacement: the agents' own models
        }
        ModelReference ref;
        try {
            ref = ModelReference.parse(model);
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, "--model " + model + ": expected provider:model such as "
                    + "openai:gpt-4o-mini");
        }
        Set<String> known = WorkflowFiles.modelProviders(dependencies);
        if (!known.contains(ref.provider())) {
            throw new UserException(ExitCodes.USAGE, "--model " + model + ": unknown model provider '" + ref.provider()
                    + "'; expected one of: " + String.join(", ", known));
        }
    }


    private static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_@./:=-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
