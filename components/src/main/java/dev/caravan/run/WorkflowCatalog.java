package dev.caravan.run;

import dev.caravan.dsl.LoadLimits;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.expr.Expressions;
import dev.caravan.llm.LlmComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The workflows of this instance. A deployed workflow is compiled to Camel YAML and loaded as routes into the Camel
 * context, so the routes that run are exactly what {@code caravan compile} prints. Those routes name only the workflow
 * and node; each node endpoint takes its definition from here ({@link #definition}). Routes written or compiled
 * elsewhere (plain Camel, Camel K) find their workflow files through the {@value #LOCATIONS_PROPERTY} property; routes
 * that only start runs have the workflows of those files deployed with {@value #DEPLOY_PROPERTY}.
 */
public final class WorkflowCatalog {

    private final CamelContext camelContext;
    private final WorkflowLoader loader;
    private final WorkflowRoutes compiler;
    private final Map<String, Workflow> workflows = new ConcurrentHashMap<>();
    private final Map<String, InputValidator> validators = new ConcurrentHashMap<>();
    private final Set<Path> routeFolders = ConcurrentHashMap.newKeySet();
    /** Whether the {@value #LOCATIONS_PROPERTY} files were read. */
    private volatile boolean locationsRead;
    /** The workflows of the {@value #LOCATIONS_PROPERTY} files, in the order read, the first of a name only. */
    private final List<Located> located = new CopyOnWriteArrayList<>();

    /**
     * The Camel property listing where workflow files are (comma-separated files or folders of
     * {@code *.caravan.yaml}), for routes whose workflow this instance did not deploy itself.
     */
    public static final String LOCATIONS_PROPERTY = "caravan.workflows";
    /**
     * The Camel property that makes deploying a workflow start its {@code spec.triggers} routes too: {@code caravan
     * serve} sets it; a one-shot {@code caravan run} and plain embedding leave it off.
     */
    public static final String TRIGGERS_PROPERTY = "caravan.triggers.enabled";
    /**
     * The Camel property that makes the engine deploy, once the Camel context has started, every workflow of the
     * {@value #LOCATIONS_PROPERTY} files whose route is not in the context (with the workflows it runs), without its
     * triggers unless {@value #TRIGGERS_PROPERTY} says so: for routes that only start runs, such as a Camel K Pipe's
     * {@code caravan-run-action}. Off by default: routes loaded with the workflow's own (an Integration's flows) need
     * only its definition.
     */
    public static final String DEPLOY_PROPERTY = "caravan.workflows.deploy";
    private final List<String> routeProblems = new CopyOnWriteArrayList<>();
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowCatalog.class);

    WorkflowCatalog(CamelContext camelContext, Expressions expressions) {
        this.camelContext = camelContext;
        this.compiler = routes(camelContext);
        // the providers the agents' caravan-llm endpoints will resolve: the registry's factories and the installed ones
        this.loader = new WorkflowLoader(expressions,
                LoadLimits.from(camelContext.getPropertiesComponent()::resolveProperty),
                () -> camelContext.getComponent("caravan-llm", LlmComponent.class).knownProviders());
    }

    private static WorkflowRoutes routes(CamelContext camelContext) {
        WorkflowRoutes bound = camelContext.getRegistry().findSingleByType(WorkflowRoutes.class);
        if (bound != null) {
            return bound;
        }
        return ServiceLoader.load(WorkflowRoutes.class, WorkflowRoutes.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("No " + WorkflowRoutes.class.getName() + " on the class "
                        + "path: the workflow compiler (caravan-components) is missing"));
    }

    /**
     * Loads a workflow file and deploys it, with the workflows its {@code workflow} nodes name, found among the
     * {@code *.caravan.yaml} files of the same folder.
     */
    public Workflow deploy(Path file) {
        Workflow wf = loader.load(file);
        deploy(wf, file.toAbsolutePath().getParent(), Map.of());
        return wf;
    }

    /**
     * Deploys a loaded workflow with the workflows its {@code workflow} nodes name: deployed ones, then
     * {@code siblings} (the folder's workflows by name, as the caller loaded them), then the {@code *.caravan.yaml}
     * files of the folder; and the Camel routes of the folder. The folder may be null.
     */
    public void deploy(Workflow wf, Path folder, Map<String, Workflow> siblings) {
        Path absolute = folder == null ? null : folder.toAbsolutePath();
        loadRoutes(absolute);
        deployWithChildren(wf, absolute, siblings);
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

    private void deployWithChildren(Workflow wf, Path folder, Map<String, Workflow> siblings) {
        // every workflow it runs is found before any is deployed: one that is missing leaves the catalog as it was
        Map<String, Workflow> found = new LinkedHashMap<>();
        withChildren(wf, folder, siblings, found);
        found.values().forEach(this::deploy);
    }

    private void withChildren(Workflow wf, Path folder, Map<String, Workflow> siblings, Map<String, Workflow> found) {
        found.put(wf.name(), wf);
        for (String child : wf.childWorkflows()) {
            if (found.containsKey(child) || deployed(child)) {
                continue;
            }
            Workflow known = workflows.getOrDefault(child, siblings.get(child));
            Path file = known != null || folder == null ? null : find(loader, folder, child);
            if (known == null && file == null) {
                throw new UnknownWorkflowException(child, names());
            }
            withChildren(known != null ? known : loader.load(file), folder, siblings, found);
        }
    }

    /**
     * The file among a folder's {@code *.caravan.yaml} whose workflow has the name, as {@code workflow} nodes find the
     * workflows they run; null when none has (files that do not load are passed over).
     */
    public static Path find(WorkflowLoader loader, Path folder, String name) {
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

    private boolean deployed(String name) {
        return camelContext.getRoute(WorkflowRoutes.ROUTE_PREFIX + name) != null;
    }

    /** Compiles a loaded workflow and adds (or replaces) its routes. */
    public synchronized void deploy(Workflow wf) {
        Workflow old = workflows.get(wf.name());
        if (old != null && old.hash().equals(wf.hash()) && deployed(wf.name())) {
            return;
        }
        String triggers = triggersEnabled() ? compiler.compileTriggers(wf) : null;
        if (triggers != null) {
            List<String> missing = compiler.requiredTriggerProperties(wf).stream()
                    .filter(p -> camelContext.getPropertiesComponent().resolveProperty(p).isEmpty()).toList();
            if (!missing.isEmpty()) {
                throw new IllegalStateException("Cannot deploy workflow " + wf.name() + ": its triggers need the "
                        + "propert" + (missing.size() == 1 ? "y " : "ies ") + String.join(", ", missing)
                        + " (set with -p KEY=VALUE or in the environment)");
            }
        }
        String yaml = WorkflowRoutes.oneFile(triggers, compiler.compile(wf));
        // the routes' endpoints read the definition when they start: it is registered first
        register(wf);
        try {
            if (old != null) {
                List<String> oldRoutes = new ArrayList<>(compiler.routeIds(old));
                oldRoutes.addAll(compiler.triggerRouteIds(old));
                for (String routeId : oldRoutes) {
                    if (camelContext.getRoute(routeId) != null) {
                        camelContext.getRouteController().stopRoute(routeId);
                        camelContext.removeRoute(routeId);
                    }
                }
            }
            removeEndpoints(wf.name());
            PluginHelper.getRoutesLoader(camelContext)
                    .loadRoutes(ResourceHelper.fromString(wf.name() + ".camel.yaml", yaml));
        } catch (Exception e) {
            if (old != null) {
                register(old);
            } else {
                workflows.remove(wf.name());
                validators.remove(wf.name());
            }
            throw new IllegalStateException("Cannot deploy workflow " + wf.name() + ": " + e.getMessage(), e);
        }
    }

    private boolean triggersEnabled() {
        return switchedOn(TRIGGERS_PROPERTY);
    }

    /** Whether a Camel property that is off unless set says {@code true}. */
    private boolean switchedOn(String property) {
        return camelContext.getPropertiesComponent().resolveProperty(property).map(Boolean::parseBoolean)
                .orElse(false);
    }

    /**
     * Makes a workflow's definition known without deploying routes for it: routes written by hand (or compiled
     * elsewhere) name it, and their endpoints read it when they start. Replaces a definition of the same name.
     */
    public void register(Workflow wf) {
        workflows.put(wf.name(), wf);
        validators.put(wf.name(), InputValidator.of(wf.name(), wf.inputSchema()));
    }

    /**
     * The definition a route's endpoints run: a deployed or registered workflow, else one found in the files the
     * {@value #LOCATIONS_PROPERTY} property lists.
     *
     * @throws UnknownWorkflowException when there is none, saying where it was looked for
     */
    public Workflow definition(String name) {
        Workflow wf = workflows.get(name);
        if (wf == null) {
            readLocations();
            wf = workflows.get(name);
        }
        if (wf == null) {
            throw new UnknownWorkflowException(name, names(), "deploy it, or list its file in the Camel property "
                    + LOCATIONS_PROPERTY + locationsText());
        }
        return wf;
    }

    private String locationsText() {
        return camelContext.getPropertiesComponent().resolveProperty(LOCATIONS_PROPERTY)
                .map(l -> " (now " + l + ")").orElse("");
    }

    /** Whether {@value #DEPLOY_PROPERTY} asks to deploy the workflows of the {@value #LOCATIONS_PROPERTY} files. */
    boolean deploysLocations() {
        return switchedOn(DEPLOY_PROPERTY);
    }

    /**
     * Deploys every workflow of the {@value #LOCATIONS_PROPERTY} files whose route is not in the Camel context, as
     * {@link #deploy(Workflow, Path, Map)} does with its file's folder; one whose route is there (loaded from an
     * Integration's flows, or deployed already) is left as it is. A file that does not load fails it, naming the
     * file, line and column.
     *
     * @return the names of the workflows deployed, without the ones they run
     */
    public synchronized List<String> deployLocations() {
        readLocations();
        List<String> deployedNow = new ArrayList<>();
        for (Located l : located) {
            if (deployed(l.workflow().name())) {
                continue;
            }
            Map<String, Workflow> siblings = new LinkedHashMap<>();
            located.stream().filter(s -> s.folder().equals(l.folder()))
                    .forEach(s -> siblings.put(s.workflow().name(), s.workflow()));
            deploy(l.workflow(), l.folder(), siblings);
            deployedNow.add(l.workflow().name());
        }
        LOG.debug("Deployed the workflows {} of {}", deployedNow, LOCATIONS_PROPERTY);
        return deployedNow;
    }

    /** A workflow of the {@value #LOCATIONS_PROPERTY} files and the folder of its file. */
    private record Located(Workflow workflow, Path folder) {
    }

    /** Registers every workflow in the {@value #LOCATIONS_PROPERTY} files, once; a broken file fails loudly. */
    private synchronized void readLocations() {
        if (locationsRead) {
            return;
        }
        String locations = camelContext.getPropertiesComponent().resolveProperty(LOCATIONS_PROPERTY).orElse("");
        for (String location : locations.split(",")) {
            if (location.isBlank()) {
                continue;
            }
            Path path = Path.of(location.trim());
            List<Path> files = new ArrayList<>();
            if (Files.isDirectory(path)) {
                try (DirectoryStream<Path> found = Files.newDirectoryStream(path, "*.caravan.yaml")) {
                    found.forEach(files::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot list the workflows of " + path, e);
                }
                files.sort(null);
            } else if (Files.isRegularFile(path)) {
                files.add(path);
            } else {
                throw new IllegalArgumentException(LOCATIONS_PROPERTY + " names " + path
                        + ", which is neither a workflow file nor a folder");
            }
            for (Path f : files) {
                Workflow wf = loader.load(f);
                if (located.stream().noneMatch(l -> l.workflow().name().equals(wf.name()))) {
                    located.add(new Located(wf, f.toAbsolutePath().getParent()));
                }
                workflows.putIfAbsent(wf.name(), wf);
            }
        }
        locationsRead = true;
    }

    /** Camel keeps endpoints after their routes are removed: a redeployed workflow's endpoints must read it anew. */
    private void removeEndpoints(String workflow) throws Exception {
        for (Endpoint e : List.copyOf(camelContext.getEndpoints())) {
            if (e instanceof WorkflowStep step && workflow.equals(step.workflowName())) {
                camelContext.removeEndpoint(e);
            }
        }
    }

    /** An endpoint that runs a step of a named workflow and reads its definition when it starts. */
    public interface WorkflowStep {
        String workflowName();
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
