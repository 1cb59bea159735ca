package dev.caravan.compile;

import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.FromDefinition;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.ToDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A workflow's triggers compile into plain Camel YAML routes, each ending in the run producer. */
class TriggerRoutesTest {

    private final TriggerRoutes compiler = new TriggerRoutes();

    private static Workflow triage() throws URISyntaxException {
        return new WorkflowLoader().load(Path.of(TriggerRoutesTest.class.getResource(
                "/workflows/triggers.caravan.yaml").toURI()));
    }

    @Test
    void eachTriggerIsARouteCamelsYamlDslReadsEndingInTheRunProducer() throws Exception {
        Workflow wf = triage();
        String yaml = compiler.compile(wf);
        // as the catalog deploys them: the trigger routes, then the workflow's own
        String both = yaml + new RouteCompiler().compile(wf);

        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            // read, not started: the consumers' components (platform-http, kafka, ...) belong to the server
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("triage.camel.yaml", both));
            List<RouteDefinition> routes = camel.getCamelContextExtension().getContextPlugin(ModelCamelContext.class)
                    .getRouteDefinitions().stream().filter(r -> r.getRouteId().startsWith(TriggerRoutes.ROUTE_PREFIX))
                    .toList();
            assertThat(routes).extracting(RouteDefinition::getRouteId).containsExactlyElementsOf(compiler.routeIds(wf))
                    .containsExactly("caravan-trigger-triage-webhook", "caravan-trigger-triage-payments",
                            "caravan-trigger-triage-kafka", "caravan-trigger-triage-cdc",
                            "caravan-trigger-triage-cron", "caravan-trigger-triage-cron-2");
            assertThat(routes).extracting(RouteDefinition::getInput).extracting(FromDefinition::getEndpointUri)
                    .extracting(TriggerRoutesTest::sortedQuery)
                    .containsExactlyElementsOf(List.of(
                            "platform-http:/hooks/issues?httpMethodRestrict=POST",
                            "platform-http:/hooks/stripe?httpMethodRestrict=POST",
                            "kafka:tickets?groupId=triage&autoOffsetReset=earliest&breakOnFirstError=true",
                            "debezium-postgres:triage-cdc?databaseHostname={{caravan.triggers.cdc.hostname}}"
                            + "&databasePort={{caravan.triggers.cdc.port:5432}}"
                            + "&databaseUser={{caravan.triggers.cdc.user}}"
                            + "&databasePassword={{caravan.triggers.cdc.password}}"
                            + "&databaseDbname={{caravan.triggers.cdc.database}}&topicPrefix=caravan"
                            + "&pluginName=pgoutput&slotName=caravan_triage_cdc&publicationName=caravan_triage_cdc"
                            + "&tableIncludeList=public.orders"
                            + "&offsetStorageFileName={{caravan.triggers.cdc.offsets-dir}}/triage-cdc.offsets"
                            + "&snapshotMode=no_data&additionalProperties.bootstrap.servers=127.0.0.1:9",
                            "quartz:caravan/triage-cron?cron=0 0/5 * * * ?",
                            "timer:caravan-trigger-triage-cron-2?period=600000").stream()
                            .map(TriggerRoutesTest::sortedQuery).toList());
            for (RouteDefinition route : routes.stream().filter(r -> !r.getRouteId().endsWith("kafka")).toList()) {
                String trigger = route.getRouteId().substring("caravan-trigger-triage-".length());
                assertThat(route.getOutputs()).filteredOn(ToDefinition.class::isInstance)
                        .extracting(o -> sortedQuery(((ToDefinition) o).getEndpointUri()))
                        .contains("caravan-run:start?trigger=" + trigger + "&workflow=triage");
            }
            assertThat(routes.get(0).getOutputs()).filteredOn(ToDefinition.class::isInstance)
                    .extracting(o -> sortedQuery(((ToDefinition) o).getEndpointUri()))
                    .containsExactly("caravan-webhook:github?secret=GITHUB_WEBHOOK_SECRET",
                            "caravan-run:start?trigger=webhook&workflow=triage");
            // the kafka trigger's start is tried, and a record that cannot start a run goes to the dead-letter topic
            assertThat(yaml).contains("doTry:").contains("uri: kafka:tickets.dlq")
                    .contains("name: " + TriggerRoutes.DEAD_LETTER_REASON);
            assertThat(routes.get(1).getOutputs()).filteredOn(ToDefinition.class::isInstance)
                    .extracting(o -> sortedQuery(((ToDefinition) o).getEndpointUri()))
                    .first().isEqualTo("caravan-webhook:stripe?secret=STRIPE_WEBHOOK_SECRET&tolerance=120s");
        }
    }

    /** The URI with its query parameters in name order: Camel keeps no order of its own. */
    private static String sortedQuery(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q + 1) + String.join("&",
                Arrays.stream(uri.substring(q + 1).split("&")).sorted().toList());
    }

    @Test
    void noExpressionOfTheFileTravelsInAUri() throws Exception {
        String yaml = compiler.compile(triage());

        // filters, input mappings and idempotency keys are read by the run producer from the deployed workflow
        assertThat(yaml).doesNotContain("${{").doesNotContain("opened").doesNotContain("after.total");
    }

    @Test
    void aWorkflowWithoutTriggersCompilesToNoTriggerRoutes() {
        Workflow wf = new WorkflowLoader().load("t.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec: { nodes: [{ id: a, set: { x: 1 } }] }
                """);

        assertThat(compiler.compile(wf)).isNull();
        assertThat(compiler.routeIds(wf)).isEmpty();
    }
}
