package dev.caravan.app.serve;

import dev.caravan.app.cli.UserException;
import dev.caravan.app.cli.WorkflowChecks;
import dev.caravan.app.cli.WorkflowFiles;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.UnknownWorkflowException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The server's workflow folders: every {@code *.caravan.yaml} in them is checked and deployed at start, and deployed
 * again when it changes while the server runs. A file with problems is reported as {@code file:line:column: message}
 * and changes nothing: at start it is skipped, later the version that runs keeps running. A file that goes away leaves
 * its workflow deployed until the server stops (its runs, paused ones too, need it).
 */
final class WorkflowFolders implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkflowFolders.class);
    private static final String PATTERN = "*.caravan.yaml";
    private static final String SUFFIX = ".caravan.yaml";
    /** Editors write a file in several steps: changes this close together are one. */
    private static final long SETTLE_MILLIS = 300;

    private final Engine engine;
    private final WorkflowLoader loader;
    private final ServeOptions options;
    private final PrintStream err;
    private volatile WatchService watcher;
    private Thread thread;

    WorkflowFolders(Engine engine, WorkflowLoader loader, ServeOptions options, PrintStream err) {
        this.engine = engine;
        this.loader = loader;
        this.options = options;
        this.err = err;
    }

    /** Deploys every workflow file of the folders, in name order; the names of those deployed. */
    List<String> deployAll() throws IOException {
        List<String> deployed = new ArrayList<>();
        for (Path dir : options.workflowDirs()) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, PATTERN)) {
                found.forEach(files::add);
            }
            files.sort(null);
            for (Path file : files) {
                String name = deploy(file, "caravan: skipped ");
                if (name != null) {
                    deployed.add(name);
                }
            }
        }
        return deployed;
    }

    /**
     * Checks and deploys one file; its workflow's name, or null when it has problems, which are reported and
     * followed by {@code refused} and the file's name.
     */
    private String deploy(Path file, String refused) {
        String shown = WorkflowFiles.display(options.workingDir(), file.toAbsolutePath()).toString();
        try {
            WorkflowChecks.Outcome checked = WorkflowChecks.check(loader, options.workingDir(), file.toAbsolutePath(),
                    shown, WorkflowFolders.class.getClassLoader());
            if (!checked.problems().isEmpty()) {
                WorkflowFiles.printProblems(err, checked.problems());
                err.println(refused + shown);
                return null;
            }
            engine.catalog().deploy(checked.workflow(), file.toAbsolutePath().getParent(), checked.siblings());
            return checked.workflow().name();
        } catch (InvalidWorkflowException e) {
            WorkflowFiles.printProblems(err, e);
            err.println(refused + shown);
        } catch (UnknownWorkflowException | IllegalStateException | UserException e) {
            err.println(refused + shown + ": " + e.getMessage());
        }
        return null;
    }

    /** Deploys the folders' files again as they change, on a thread of its own, until {@link #close}. */
    void watch() throws IOException {
        WatchService service = FileSystems.getDefault().newWatchService();
        for (Path dir : options.workflowDirs()) {
            dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        watcher = service;
        thread = new Thread(() -> watchLoop(service), "caravan-workflow-folders");
        thread.setDaemon(true);
        thread.start();
    }

    private void watchLoop(WatchService service) {
        try {
            while (true) {
                WatchKey key = service.take();
                // what changed within the settling time, each file once
                Set<Path> changed = new LinkedHashSet<>();
                Set<Path> removed = new LinkedHashSet<>();
                for (WatchKey k = key; k != null; k = service.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) {
                    Path dir = (Path) k.watchable();
                    for (WatchEvent<?> event : k.pollEvents()) {
                        if (!(event.context() instanceof Path name) || !name.toString().endsWith(SUFFIX)) {
                            continue;
                        }
                        Path file = dir.resolve(name);
                        if (event.kind() == StandardWatchEventKinds.ENTRY_DELETE) {
                            removed.add(file);
                            changed.remove(file);
                        } else {
                            changed.add(file);
                            removed.remove(file);
                        }
                    }
                    k.reset();
                }
                changed.forEach(this::redeploy);
                removed.forEach(file -> err.println("caravan: " + WorkflowFiles.display(options.workingDir(),
                        file.toAbsolutePath()) + " was removed; its workflow stays deployed until the server stops"));
            }
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // closed
        } catch (RuntimeException e) {
            LOG.warn("Workflow folders are no longer watched", e);
        }
    }

    private void redeploy(Path file) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        String name = deploy(file, "caravan: kept the running version of ");
        if (name != null) {
            err.println("caravan: deployed " + name + " again from "
                        + WorkflowFiles.display(options.workingDir(), file.toAbsolutePath()));
        }
    }

    @Override
    public void close() {
        WatchService service = watcher;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("Cannot close the workflow folders' watch", e);
            }
        }
    }
}
