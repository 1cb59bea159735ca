package dev.caravan.run;

import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.WorkflowLoader;
import org.apache.camel.Route;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@value WorkflowCatalog#DEPLOY_PROPERTY}: a plain Camel context whose only Caravan route starts runs (as a Camel K
 * Pipe's {@code caravan-run-action} does) deploys the workflows of {@value WorkflowCatalog#LOCATIONS_PROPERTY} when it
 * has started, with the workflows they run and without their triggers; without the property it deploys nothing; routes
 * it was started with (an Integration's flows) are not deployed again.
 */
class LocationsDeploymentTest {

    /** Runs a sub-workflow of its folder; its cron trigger would need camel-quartz, which is not on this class path. */
    private static final String GREET = header("greet") + """
                - id: polite
                  workflow: { name: polish, input: "${{ {'name': input.name} }}" }
                - id: hello
                  needs: [polite]
                  set: { text: "Hello ${{ nodes.polite.output.title }}" }
              triggers:
                - cron: { schedule: "0 0 0 * * ?", input: { name: nobody } }
              output: ${{ nodes.hello.output.text }}
            """;
    private static final String POLISH = header("polish") + """
                - id: title
                  set: { title: "dear ${{ input.name }}" }
              output: ${{ nodes.title.output }}
            """;
    private static final List<String> ROUTES = List.of(WorkflowRoutes.ROUTE_PREFIX + "greet",
            WorkflowRoutes.ROUTE_PREFIX + "polish");

    @TempDir
    Path workflows;

    private final DefaultCamelContext camel = new DefaultCamelContext();
    /** The ids of the routes added to the context, in order, each time one is. */
    private final List<String> added = new CopyOnWriteArrayList<>();

    @BeforeEach
    void writeTheWorkflowsAndWatchRoutesBeingAdded() throws Exception {
        Files.writeString(workflows.resolve("greet.caravan.yaml"), GREET);
        Files.writeString(workflows.resolve("polish.caravan.yaml"), POLISH);
        camel.getPropertiesComponent().addInitialProperty(WorkflowCatalog.LOCATIONS_PROPERTY, workflows.toString());
        camel.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.RouteAddedEvent routeAdded) {
                    added.add(routeAdded.getRoute().getRouteId());
                }
            }
        });
    }

    @AfterEach
    void stopCamel() {
        camel.stop();
    }

    @Test
    void theWorkflowsOfTheLocationsAreDeployedOnceTheContextHasStartedAndARunStartedByNameCompletes() throws Exception {
        camel.getPropertiesComponent().addInitialProperty(WorkflowCatalog.DEPLOY_PROPERTY, "true");
        camel.addRoutes(runStarter());
        camel.start();

        assertThat(camel.getRoutes()).extracting(Route::getRouteId).containsAll(ROUTES)
                .as("the triggers stay off").noneMatch(id -> id.startsWith("caravan-trigger-"));
        assertThat(camel.createProducerTemplate().requestBody("direct:start", Map.of("name", "ada")))
                .isEqualTo("Hello dear ada");
    }

    @Test
    void anEngineMadeInAContextThatIsUpDeploysThemAtOnce() {
        camel.getPropertiesComponent().addInitialProperty(WorkflowCatalog.DEPLOY_PROPERTY, "true");
        camel.start();
        assertThat(camel.getRoute(ROUTES.get(0))).isNull();

        assertThat(Engine.of(camel).catalog().names()).containsExactly("greet", "polish");
        assertThat(camel.getRoutes()).extracting(Route::getRouteId).containsAll(ROUTES);
    }

    @Test
    void withoutThePropertyNothingIsDeployedAndAStartByNameIsRefused() throws Exception {
        camel.addRoutes(runStarter());
        camel.start();

        assertThat(camel.getRoutes()).extracting(Route::getRouteId).containsExactly("start");
        assertThatThrownBy(() -> camel.createProducerTemplate().requestBody("direct:start", Map.of("name", "ada")))
                .rootCause().isInstanceOf(UnknownWorkflowException.class)
                .hasMessageStartingWith("No workflow named greet is deployed");
    }

    @Test
    void routesTheContextStartedWithAreNotDeployedAgain() throws Exception {
        camel.getPropertiesComponent().addInitialProperty(WorkflowCatalog.DEPLOY_PROPERTY, "true");
        // as an Integration's spec.flows: the workflows' compiled routes, loaded before the context starts
        WorkflowRoutes compiler = ServiceLoader.load(WorkflowRoutes.class).findFirst().orElseThrow();
        WorkflowLoader loader = new WorkflowLoader();
        String flows = WorkflowRoutes.oneFile(compiler.compile(loader.load(workflows.resolve("greet.caravan.yaml"))),
                compiler.compile(loader.load(workflows.resolve("polish.caravan.yaml"))));
        PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("flows.yaml", flows));
        camel.addRoutes(runStarter());
        camel.start();

        assertThat(added).as("each route added once, with the context").containsExactlyInAnyOrder(
                ROUTES.get(0), ROUTES.get(1), "start");
        assertThat(camel.createProducerTemplate().requestBody("direct:start", Map.of("name", "ada")))
                .isEqualTo("Hello dear ada");
    }

    @Test
    void aWorkflowFileThatDoesNotLoadFailsTheStartAtItsPosition() throws Exception {
        Files.writeString(workflows.resolve("broken.caravan.yaml"), header("broken") + """
                    - id: a
                      needs: [nowhere]
                      set: { x: 1 }
                """);
        camel.getPropertiesComponent().addInitialProperty(WorkflowCatalog.DEPLOY_PROPERTY, "true");
        camel.addRoutes(runStarter());

        assertThatThrownBy(camel::start).isInstanceOf(InvalidWorkflowException.class)
                .hasMessageEndingWith("broken.caravan.yaml:8:15: needs of node 'a' names unknown node 'nowhere'; "
                        + "expected one of: (none)");
    }

    /** What a Pipe's sink runs: a start of a run by name, here waiting for its output. */
    private static RouteBuilder runStarter() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:start").routeId("start").to("caravan-run:start?workflow=greet&waitForCompletion=true");
            }
        };
    }
}
