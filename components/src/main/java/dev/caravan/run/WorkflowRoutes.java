package dev.caravan.run;

import java.util.List;

import dev.caravan.dsl.Workflow;

/**
 * Turns a workflow definition into the Camel routes that run it. The catalog deploys what this makes; the engine
 * takes the implementation bound in the Camel registry, else the one {@link java.util.ServiceLoader} finds (the
 * workflow compiler), so the engine does not depend on the compiler.
 */
public interface WorkflowRoutes {

    /** Route ids and direct endpoint names of workflows start with this. */
    String ROUTE_PREFIX = "caravan-workflow-";

    /** The route that executes a workflow: {@code direct:caravan-workflow-<name>}. */
    static String routeUri(String workflow) {
        return "direct:" + ROUTE_PREFIX + workflow;
    }

    /**
     * The route that runs the body of a map or loop node once per item or iteration:
     * {@code direct:caravan-workflow-<name>-<container path with '-'>}.
     */
    static String bodyRouteUri(String workflow, String containerPath) {
        return routeUri(workflow) + "-" + containerPath.replace('/', '-');
    }

    /**
     * A workflow's trigger routes (or null) and its own routes as one YAML DSL file, as the catalog loads and
     * {@code caravan compile} prints them: two top-level block sequences one after the other read as one, the
     * triggers' first (what their refusals answer must come before any route).
     */
    static String oneFile(String triggers, String routes) {
        return triggers == null ? routes : triggers + (triggers.endsWith("\n") ? "" : "\n") + routes;
    }

    /** The workflow's routes in the Camel YAML DSL. */
    String compile(Workflow workflow);

    /** The ids of the routes {@link #compile} makes for a workflow, so a new definition can replace them. */
    List<String> routeIds(Workflow workflow);

    /**
     * The routes of the workflow's {@code spec.triggers} in the Camel YAML DSL, or null when it declares none. The
     * catalog deploys them only where triggers are enabled ({@link WorkflowCatalog#TRIGGERS_PROPERTY}).
     */
    String compileTriggers(Workflow workflow);

    /** The ids of the routes {@link #compileTriggers} makes. */
    List<String> triggerRouteIds(Workflow workflow);

    /** The Camel properties the routes of {@link #compileTriggers} need set: a cdc trigger's database, say. */
    List<String> requiredTriggerProperties(Workflow workflow);
}
