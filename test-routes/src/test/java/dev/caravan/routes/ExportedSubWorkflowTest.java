package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caravan export} of a workflow that runs another ({@code routes/examples/subflow}): the Integration carries the
 * child's routes and its ConfigMap the child's file, and run as Camel K would run it ({@link CamelKRuntime}), a run
 * gets the output {@code caravan run} gives, its sub-workflow run included.
 */
class ExportedSubWorkflowTest {

    private static final Path WORKFLOW = Path.of("../routes/examples/subflow.caravan.yaml");

    @TempDir
    Path dir;

    @Test
    void anExportedWorkflowCarriesTheWorkflowsItRunsAndRunsThemAsCaravanRunDoes() throws Exception {
        String input = "{\"ticket\": \"urgent: help\"}";
        JsonNode expected = Examples.JSON.readTree(cli("run", WORKFLOW.toString(), "-q", "--input", input));
        Path exported = dir.resolve("subflow");
        cli("export", WORKFLOW.toString(), "--camel-k", "-o", exported.toString());

        JsonNode integration = CamelKRuntime.resource(exported.resolve("integration.yaml"), "Integration");
        JsonNode configMap = CamelKRuntime.resource(exported.resolve("integration.yaml"), "ConfigMap");
        List<String> files = new ArrayList<>();
        configMap.path("data").fieldNames().forEachRemaining(files::add);
        assertThat(files).containsExactly("subflow.caravan.yaml", "summarize-ticket.caravan.yaml");
        List<String> routeIds = new ArrayList<>();
        integration.at("/spec/flows").forEach(f -> routeIds.add(f.at("/route/id").asText()));
        assertThat(routeIds).containsExactly("caravan-workflow-subflow", "caravan-workflow-summarize-ticket");

        Map<String, String> properties = CamelKRuntime.properties(integration.at("/spec/traits"), configMap,
                dir.resolve("mounted"), Map.of());
        Main main = CamelKRuntime.start(properties,
                List.of(CamelKRuntime.flowsFile(integration.at("/spec/flows"), dir.resolve("flows.yaml"))));
        try {
            CamelContext camel = main.getCamelContext();
            assertThat(camel.getRoutes()).extracting(Route::getRouteId)
                    .contains("caravan-workflow-subflow", "caravan-workflow-summarize-ticket");
            Engine engine = camel.getRegistry().findSingleByType(Engine.class);
            RunRecord run = engine.runs().start(new RunService.StartRequest("subflow",
                    Examples.JSON.readValue(input, Map.class), null, null, null, null, null))
                    .get(60, TimeUnit.SECONDS);
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(Examples.tree(run.output())).isEqualTo(expected);
        } finally {
            main.stop();
        }
    }

    private static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
