package dev.caravan.app.serve;

import dev.caravan.app.cli.WorkflowFiles;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.DefinitionStore;
import dev.caravan.state.DefinitionStore.Definition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The server's side of the definitions deployed through the API ({@link DefinitionStore}): at start, after the
 * folders' workflows, it deploys every stored one (so one deployed through the API still replaces a folder's workflow
 * of the same name after a restart), and while the server runs it deploys each version another member stores. A
 * stored definition that no longer loads (a newer engine refusing it) is reported and skipped, like a folder's file.
 */
final class StoredDefinitions implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoredDefinitions.class);

    private final Engine engine;
    private final WorkflowLoader loader;
    private final PrintStream err;
    /** Deploys what other members store, one at a time, off Hazelcast's event threads. */
    private final ExecutorService deployer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "caravan-definitions");
        t.setDaemon(true);
        return t;
    });
    private volatile UUID registration;

    StoredDefinitions(Engine engine, WorkflowLoader loader, PrintStream err) {
        this.engine = engine;
        this.loader = loader;
        this.err = err;
    }

    /**
     * Deploys every stored definition; the names of those deployed. One that runs another stored one is deployed
     * after it, whatever their names' order.
     */
    List<String> deployAll() {
        List<Definition> pending = new ArrayList<>(engine.definitions().all());
        List<String> deployed = new ArrayList<>();
        boolean progress = true;
        while (!pending.isEmpty() && progress) {
            progress = false;
            List<Definition> waiting = new ArrayList<>();
            for (Definition d : pending) {
                Outcome outcome = deploy(d);
                if (outcome == Outcome.DEPLOYED) {
                    deployed.add(d.name());
                    progress = true;
                } else if (outcome == Outcome.MISSING_CHILD) {
                    waiting.add(d);
                }
            }
            pending = waiting;
        }
        for (Definition d : pending) {
            err.println("caravan: skipped the definition " + d.name() + " deployed through the API: it runs a "
                        + "workflow that is not deployed");
        }
        return deployed;
    }

    /** From now on, deploys each definition any member stores, unless this member runs that version already. */
    void listen() {
        // an event may be older than what is stored (and deployed) by now: the stored version is deployed
        registration = engine.definitions().listen(d -> deployer.execute(
                () -> engine.definitions().deployStored(d.name(), this::deploy)));
    }

    private enum Outcome { DEPLOYED, MISSING_CHILD, REFUSED }

    private Outcome deploy(Definition d) {
        try {
            Workflow wf = loader.load(d.file(), d.source());
            Workflow current = engine.catalog().get(d.name());
            if (current == null || !current.hash().equals(wf.hash())) {
                engine.catalog().deploy(wf, null, Map.of());
            }
            return Outcome.DEPLOYED;
        } catch (InvalidWorkflowException e) {
            WorkflowFiles.printProblems(err, e);
            err.println("caravan: skipped the definition " + d.name() + " deployed through the API");
            return Outcome.REFUSED;
        } catch (UnknownWorkflowException missing) {
            return Outcome.MISSING_CHILD;
        } catch (RuntimeException e) {
            LOG.warn("The definition {} deployed through the API could not be deployed on this member", d.name(), e);
            return Outcome.REFUSED;
        }
    }

    @Override
    public void close() {
        UUID r = registration;
        if (r != null) {
            try {
                engine.definitions().stopListening(r);
            } catch (RuntimeException memberGone) {
                // the member stopped first: nothing listens any more
            }
        }
        deployer.shutdownNow();
        try {
            deployer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
