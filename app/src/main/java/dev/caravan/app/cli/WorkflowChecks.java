package dev.caravan.app.cli;

import dev.caravan.component.call.CallSpec;
import dev.caravan.component.loop.LoopSpec;
import dev.caravan.component.map.MapSpec;
import dev.caravan.component.set.RememberSpec;
import dev.caravan.component.workflow.WorkflowSpec;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Position;
import dev.caravan.dsl.Problem;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.expr.Expressions;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code caravan validate} and {@code caravan run} check before a run, one code for both so they say the same
 * about a file: the file loads (everything {@link WorkflowLoader} checks), the workflows its {@code workflow} nodes
 * name are among the {@code *.caravan.yaml} files beside it (where {@code run} deploys them from) and load too, and
 * which {@code remember} nodes need the run to have a lane.
 */
public final class WorkflowChecks {

    /**
     * What the checks found.
     *
     * @param workflow   the loaded workflow; null when there are problems
     * @param problems   what stops the file from running, in file order (sub-workflows' after the file's own)
     * @param laneNeeded one per {@code remember} node that runs whenever the run reaches it (no {@code when} on it or
     *                   around it): a run without a lane fails there
     */
    /**
     * What the checks found; {@code workflow} is the checked definition (null when it has problems) and
     * {@code siblings} the workflows of its folder by name as loaded for the checks (empty when none was asked for),
     * so a run deploys what was checked without loading it again.
     */
    public record Outcome(Workflow workflow, List<Problem> problems, List<Problem> laneNeeded, Map<String, Workflow> siblings) {
    }

    private final WorkflowLoader loader;
    private final Path workingDir;
    private final ClassLoader classes;
    /** The text of the Camel route files beside the workflow, read once; null until a scheme is looked up. */
    private String routeFiles;
    /** Workflows of the folder by name, read once; null until a workflow node asks. */
    private Map<String, Workflow> folderWorkflows;
    private final List<String> invalidFiles = new ArrayList<>();

    private WorkflowChecks(WorkflowLoader loader, Path workingDir, ClassLoader classes) {
        this.loader = loader;
        this.workingDir = workingDir;
        this.classes = classes;
    }

    /**
     * Checks a workflow file.
     *
     * @param file       the file (absolute)
     * @param arg        the file as the command line names it
     * @param workingDir what file names in messages are relative to
     * @param classes    the class path the run has (with --dep and lib/ jars), where Camel finds components
     */
    public static Outcome check(WorkflowLoader loader, Path workingDir, Path file, String arg, ClassLoader classes) {
        return new WorkflowChecks(loader, workingDir, classes).run(file, arg);
    }

    private Outcome run(Path file, String arg) {
        String display = WorkflowFiles.display(workingDir, file).toString();
        Workflow wf;
        try {
            wf = WorkflowFiles.load(loader, workingDir, file, arg);
        } catch (InvalidWorkflowException e) {
            return new Outcome(null, e.problems(), List.of(), Map.of());
        }
        List<Problem> found = new ArrayList<>();
        List<Problem> lanes = new ArrayList<>();
        walk(wf, wf.nodes(), file.getParent(), false, new ArrayList<>(List.of(wf.name())), found, lanes);
        found.sort(Comparator.comparing((Problem p) -> p.position().file().equals(display) ? 0 : 1)
                .thenComparing(p -> p.position().file()).thenComparingInt(p -> p.position().line())
                .thenComparingInt(p -> p.position().column()));
        return new Outcome(found.isEmpty() ? wf : null, List.copyOf(found), List.copyOf(lanes),
                folderWorkflows == null ? Map.of() : Map.copyOf(folderWorkflows));
    }

    private void walk(Workflow wf, List<Node> nodes, Path folder, boolean guarded, List<String> calling,
            List<Problem> problems, List<Problem> lanes) {
        if (nodes == wf.nodes()) {
            wf.tools().values().forEach(t -> component(t.uri(), t.position(), "uri of tool '" + t.name() + "'",
                    folder, problems));
        }
        for (Node n : nodes) {
            boolean maySkip = guarded || n.when() != null;
            NodeSpec spec = n.spec();
            if (spec instanceof CallSpec call) {
                component(call.uri(), n.position(), "call.uri of node '" + n.id() + "'", folder, problems);
            } else if (spec instanceof RememberSpec && !maySkip) {
                lanes.add(new Problem(n.position(), laneMessage(n.id())));
            } else if (spec instanceof MapSpec each) {
                walk(wf, each.nodes(), folder, maySkip, calling, problems, lanes);
            } else if (spec instanceof LoopSpec loop) {
                walk(wf, loop.nodes(), folder, maySkip, calling, problems, lanes);
            } else if (spec instanceof WorkflowSpec sub && !calling.contains(sub.name())) {
                Workflow child = folder == null ? null : folderWorkflows(folder).get(sub.name());
                if (child == null) {
                    problems.add(new Problem(n.position(), missingMessage(n.id(), sub.name(), folder)));
                    continue;
                }
                calling.add(child.name()); // a workflow that runs itself (or an ancestor): once is enough
                walk(child, child.nodes(), folder, maySkip, calling, problems, lanes);
                calling.remove(calling.size() - 1);
            }
        }
    }

    /**
     * A fixed endpoint URI names a component that is on the class path, or the run cannot start the node's endpoint.
     * A component made a bean by a Camel route file beside the workflow is the run's to find: a scheme those files
     * mention is left alone.
     */
    private void component(String uri, Position at, String what, Path folder, List<Problem> problems) {
        if (uri == null || Expressions.containsExpression(uri) || uri.indexOf(':') < 1) {
            return; // computed when the node runs, or refused by the loader
        }
        String scheme = uri.strip().substring(0, uri.strip().indexOf(':'));
        if (classes.getResource(COMPONENT_SERVICES + scheme) != null || routeFiles(folder).contains(scheme)) {
            return;
        }
        problems.add(new Problem(at, what + " names the Camel component '" + scheme + "', which is not on the class "
                + "path: add it with --dep camel:" + scheme + " (or --dep with its jar, or its jar in a lib folder "
                + "beside the workflow file)"));
    }

    private static final String COMPONENT_SERVICES = "META-INF/services/org/apache/camel/component/";

    private String routeFiles(Path folder) {
        if (routeFiles != null) {
            return routeFiles;
        }
        StringBuilder text = new StringBuilder();
        if (folder != null) {
            try (DirectoryStream<Path> listed = Files.newDirectoryStream(folder, "*.camel.yaml")) {
                for (Path f : listed) {
                    text.append(Files.readString(f)).append('\n');
                }
            } catch (IOException | RuntimeException unreadable) {
                // the run reports route files it cannot load
            }
        }
        routeFiles = text.toString();
        return routeFiles;
    }

    /** What a run refuses, and validate warns about, for a remember node a run outside a lane reaches. */
    static String laneMessage(String nodeId) {
        return "node '" + nodeId + "' remembers values in the run's lane, and a run outside a lane fails there: run it "
                + "with --lane NAME";
    }

    private String missingMessage(String nodeId, String name, Path folder) {
        Set<String> names = new TreeSet<>(folderWorkflows(folder).keySet());
        StringBuilder b = new StringBuilder("workflow of node '").append(nodeId).append("' names workflow '")
                .append(name).append("', which no *.caravan.yaml file of ")
                .append(folder.equals(workingDir) ? "this folder" : WorkflowFiles.display(workingDir, folder))
                .append(" defines; expected one of: ").append(names.isEmpty() ? "(none)" : String.join(", ", names));
        if (!invalidFiles.isEmpty()) {
            b.append(" (not counting invalid files, which caravan validate explains: ")
                    .append(String.join(", ", invalidFiles)).append(')');
        }
        return b.toString();
    }

    /** The workflows the folder's files define, as run deploys sub-workflows from them: the first file wins. */
    private Map<String, Workflow> folderWorkflows(Path folder) {
        if (folderWorkflows != null) {
            return folderWorkflows;
        }
        Map<String, Workflow> found = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> listed = Files.newDirectoryStream(folder, "*.caravan.yaml")) {
            listed.forEach(files::add);
        } catch (IOException e) {
            throw new UserException(ExitCodes.USAGE, "cannot list the workflow files of " + folder + ": "
                    + e.getMessage(), e);
        }
        files.sort(null);
        for (Path f : files) {
            String display = WorkflowFiles.display(workingDir, f).toString();
            try {
                Workflow wf = loader.load(display, f);
                found.putIfAbsent(wf.name(), wf);
            } catch (RuntimeException invalidOrUnreadable) {
                invalidFiles.add(display);
            }
        }
        folderWorkflows = found;
        return found;
    }
}
