package dev.caravan.run;

import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.Node;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.expr.Expressions;
import org.apache.camel.CamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The workflows deployed in this instance: each one compiled to Camel YAML and loaded as routes into the Camel
 * context, so the routes that run are exactly what {@code caravan compile} prints.
 */
public final class WorkflowCatalog {

    private final CamelContext camelContext;
    private final WorkflowLoader loader;
    private final RouteCompiler compiler = new RouteCompiler();
    private final Map<String, Workflow> workflows = new ConcurrentHashMap<>();
    private final Map<String, InputValidator> validators = new ConcurrentHashMap<>();
    private final Set<Path> routeFolders = ConcurrentHashMap.newKeySet();
    private final List<String> routeProblems = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WorkflowCatalog.class);

    WorkflowCatalog(CamelContext camelContext, Expressions expressions) {
        this.camelContext = camelContext;
        this.loader = new WorkflowLoader(expressions);
    }

    /**
     * Loads a workflow file and deploys it, with the workflows its {@code workflow} nodes name, found among the
     * {@code *.caravan.yaml} files of the same folder.
     */
    public Workflow deploy(Path file) {
        Workflow wf = loader.load(file);
        Path folder = file.toAbsolutePath().getParent();
        loadRoutes(folder);
        deployWithChildren(wf, folder);
        return wf;
    }

    /**
     * Loads the Camel routes ({@code *.camel.yaml}) of a folder once: tools and endpoints workflows call. A file that
     * does not load is reported by name and skipped, so it fails only the workflows that call its routes.
     */
    private synchronized void loadRoutes(Path folder) {
        if (folder == null || !routeFolders.add(folder)) {
            return;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(folder, "*.camel.yaml")) {
            found.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list the Camel routes of " + folder, e);
        }
        files.sort(null);
        for (Path f : files) {
            try {
                PluginHelper.getRoutesLoader(camelContext).loadRoutes(
                        ResourceHelper.fromString(f.getFileName().toString(), Files.readString(f)));
            } catch (Exception e) {
                routeProblems.add(f + ": " + e.getMessage());
                LOG.warn("Skipped the Camel routes of {}: {}", f, e.getMessage());
            }
        }
    }

    /** Route files next to deployed workflows that did not load, with the reason. */
    public List<String> routeProblems() {
        return List.copyOf(routeProblems);
    }

    private void deployWithChildren(Workflow wf, Path folder) {
        deploy(wf);
        for (String child : childNames(wf.nodes())) {
            if (!workflows.containsKey(child) && folder != null) {
                Path found = find(folder, child);
                if (found == null) {
                    throw new UnknownWorkflowException(child, names());
                }
                deployWithChildren(loader.load(found), folder);
            }
        }
    }

    private Path find(Path folder, String name) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.caravan.yaml")) {
            for (Path f : files) {
                try {
                    if (loader.load(f).name().equals(name)) {
                        return f;
                    }
                } catch (RuntimeException invalid) {
                    // not the one we look for, or broken: the named workflow is reported missing if no file matches
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    private static Set<String> childNames(List<Node> nodes) {
        Set<String> out = new TreeSet<>();
        for (Node n : nodes) {
            if (n.spec() instanceof NodeSpec.SubWorkflow s) {
                out.add(s.name());
            } else if (n.spec() instanceof NodeSpec.ForEach m) {
                out.addAll(childNames(m.nodes()));
            } else if (n.spec() instanceof NodeSpec.Loop l) {
                out.addAll(childNames(l.nodes()));
            }
        }
        return out;
    }

    /** Compiles a loaded workflow and adds (or replaces) its routes. */
    public synchronized void deploy(Workflow wf) {
        Workflow old = workflows.get(wf.name());
        if (old != null && old.hash().equals(wf.hash())) {
            return;
        }
        String yaml = compiler.compile(wf);
        try {
            if (old != null) {
                for (String routeId : compiler.routeIds(old)) {
                    camelContext.getRouteController().stopRoute(routeId);
                    camelContext.removeRoute(routeId);
                }
            }
            PluginHelper.getRoutesLoader(camelContext)
                    .loadRoutes(ResourceHelper.fromString(wf.name() + ".camel.yaml", yaml));
        } catch (Exception e) {
            throw new IllegalStateException("Cannot deploy workflow " + wf.name() + ": " + e.getMessage(), e);
        }
        workflows.put(wf.name(), wf);
        validators.put(wf.name(), InputValidator.of(wf.name(), wf.inputSchema()));
    }

    public Workflow get(String name) {
        return workflows.get(name);
    }

    public List<String> names() {
        return new ArrayList<>(new TreeSet<>(workflows.keySet()));
    }

    InputValidator inputValidator(Workflow wf) {
        return validators.computeIfAbsent(wf.name(), n -> InputValidator.of(n, wf.inputSchema()));
    }
}
