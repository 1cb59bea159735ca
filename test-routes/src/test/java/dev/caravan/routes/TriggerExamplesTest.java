package dev.caravan.routes;

import dev.caravan.component.run.RunConstants;
import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The trigger examples of routes/examples/triggers: their trigger routes are Camel YAML that Camel reads, and an
 * event as each trigger's consumer hands it over (a webhook delivery, a record, a row change) starts the run the
 * example's comments promise. The consumers themselves run in the server's tests (TriggersIT, CdcTriggerIT).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TriggerExamplesTest {

    static final Path FOLDER = Examples.FOLDER.resolve("triggers");

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().build();

    @BeforeAll
    void deployExamples() throws Exception {
        try (Stream<Path> files = Files.list(FOLDER)) {
            files.filter(p -> p.getFileName().toString().endsWith(".caravan.yaml")).sorted()
                    .forEach(p -> caravan.engine().catalog().deploy(p));
        }
    }

    private static Exchange event(String workflow, String trigger, Object body, Map<String, Object> headers)
            throws Exception {
        String route = caravan.startRoute("caravan-run:start?workflow=" + workflow + "&trigger=" + trigger);
        return caravan.camelContext().createProducerTemplate().request(route, e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeaders(new HashMap<>(headers));
        });
    }

    private static RunRecord finished(Exchange sent, RunStatus status) {
        assertThat(sent.getException()).isNull();
        String runId = sent.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        await().atMost(30, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId).status() == status);
        return caravan.queries().get(runId);
    }

    @Test
    void everyExamplesTriggerRoutesAreCamelYaml() throws Exception {
        RouteCompiler compiler = new RouteCompiler();
        List<Path> files;
        try (Stream<Path> s = Files.list(FOLDER)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".caravan.yaml")).sorted().toList();
        }
        assertThat(files).hasSize(3);
        for (Path file : files) {
            Workflow wf = new WorkflowLoader().load(file);
            assertThat(wf.triggers()).as(file.toString()).isNotEmpty();
            try (DefaultCamelContext camel = new DefaultCamelContext()) {
                PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString(wf.name() + ".camel.yaml",
                        compiler.compileTriggers(wf) + compiler.compile(wf)));
                assertThat(camel.getCamelContextExtension().getContextPlugin(
                        ModelCamelContext.class).getRouteDefinitions())
                        .extracting(r -> r.getRouteId()).containsAll(compiler.triggerRouteIds(wf));
            }
        }
    }

    @Test
    void anOpenedIssueIsTriagedAndItsCommentWaitsForApproval() throws Exception {
        Map<String, Object> issue = Map.of("action", "opened",
                "issue", Map.of("number", 7, "title", "Crash on start", "body", "Stack trace attached"));
        RunRecord paused = finished(event("issue-triage", "webhook", Examples.JSON.writeValueAsString(issue),
                Map.of("X-GitHub-Event", "issues", "CamelCaravanWebhookDelivery", "d-7")), RunStatus.AWAITING_APPROVAL);

        assertThat(String.valueOf(paused.node("approve").detail().get("message")))
                .isEqualTo("Post on issue #7 (bug)? Thanks for reporting \"Crash on start\": we are looking into it.");

        Exchange pushed = event("issue-triage", "webhook", "{\"action\": \"opened\"}",
                Map.of("X-GitHub-Event", "push", "CamelCaravanWebhookDelivery", "d-8"));
        assertThat(pushed.getMessage().getHeader(RunConstants.SKIPPED)).isEqualTo(true);
    }

    @Test
    void aTicketRecordIsSortedIntoAQueueAndSpamIsSkipped() throws Exception {
        Map<String, Object> record = Map.of("kafka.KEY", "T-1", "kafka.TOPIC", "tickets", "kafka.PARTITION", 0,
                "kafka.OFFSET", 41L);
        RunRecord done = finished(event("ticket-intake", "kafka",
                "{\"subject\": \"Printer on fire\", \"customer\": \"ada\"}", record), RunStatus.COMPLETED);

        assertThat(done.output()).isEqualTo(Map.of("queue", "hardware", "subject", "Printer on fire",
                "customer", "ada"));
        Exchange spam = event("ticket-intake", "kafka", "{\"subject\": \"WIN\", \"spam\": true}",
                Map.of("kafka.KEY", "T-2", "kafka.TOPIC", "tickets", "kafka.PARTITION", 0, "kafka.OFFSET", 42L));
        assertThat(spam.getMessage().getHeader(RunConstants.SKIPPED)).isEqualTo(true);
    }

    @Test
    void aNewOrderRowIsThankedOnce() throws Exception {
        Map<String, Object> insert = Map.of("CamelDebeziumOperation", "c",
                "CamelDebeziumSourceMetadata", Map.of("lsn", 123456L), "CamelDebeziumKey", Map.of("id", 5));
        RunRecord done = finished(event("order-followup", "cdc", Map.of("id", 5, "customer", "Bo", "total", 12.5),
                insert), RunStatus.COMPLETED);

        assertThat(done.output()).isEqualTo("Thank you for your order, Bo!");
        assertThat(event("order-followup", "cdc", Map.of("id", 5, "customer", "Bo", "total", 12.5), insert)
                .getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(done.runId());
    }

    @Test
    void theHandWrittenRouteStartsARunOncePerTicketAndRepliesWithItsOutput() {
        Exchange first = caravan.camelContext().createProducerTemplate().request("direct:ticket-intake",
                e -> e.getMessage().setBody(Map.of("id", "T-9", "subject", "Lost parcel", "customer", "cy")));
        Exchange again = caravan.camelContext().createProducerTemplate().request("direct:ticket-intake",
                e -> e.getMessage().setBody(Map.of("id", "T-9", "subject", "Lost parcel", "customer", "cy")));

        assertThat(first.getException()).isNull();
        assertThat(first.getMessage().getBody()).isEqualTo(Map.of("queue", "hardware", "subject", "Lost parcel",
                "customer", "cy"));
        assertThat(again.getMessage().getHeader(RunConstants.RUN_ID))
                .isEqualTo(first.getMessage().getHeader(RunConstants.RUN_ID));
    }
}
