package dev.caravan.component.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.state.RunRecord;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code caravan-run:start?trigger=ID}: a trigger's filter, input mapping and idempotency key applied to the messages
 * its route receives, as Camel's consumers (Kafka, Debezium, Quartz, timer) hand them over.
 */
class TriggerStartTest {

    private static final String TRIAGE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: triage
            spec:
              input:
                type: object
                required: [title]
                properties: { title: { type: string } }
              triggers:
                - kafka:
                    topic: tickets
                    filter: ${{ body.priority != 'low' }}
                    input: { title: "${{ body.subject + ' (' + key + ')' }}" }
                - kafka: { id: raw, topic: raw-tickets }
                - cdc:
                    table: public.orders
                    operations: [c, d]
                    input: { title: "${{ 'order ' + string(body.id) + ' ' + op }}" }
                - cron: { schedule: "0 0 * * * ?", input: { title: "${{ 'report ' + firedAt }}" } }
                - cron: { id: often, every: 10m, input: { title: often } }
              nodes:
                - id: note
                  set: { title: "${{ input.title }}" }
              output: ${{ nodes.note.output.title }}
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("triage.caravan.yaml", TRIAGE)
            .build();

    private static Exchange send(String trigger, Object body, Map<String, Object> headers) throws Exception {
        String route = caravan.startRoute("caravan-run:start?workflow=triage&trigger=" + trigger);
        return caravan.camelContext().createProducerTemplate().request(route, e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeaders(new HashMap<>(headers));
        });
    }

    private static Map<String, Object> record(String key, long offset) {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put(TriggerEvents.KAFKA_KEY, key);
        headers.put(TriggerEvents.KAFKA_TOPIC, "tickets");
        headers.put(TriggerEvents.KAFKA_PARTITION, 3);
        headers.put(TriggerEvents.KAFKA_OFFSET, offset);
        headers.put("ticket-source", "mail".getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private static RunRecord run(Exchange sent) {
        assertThat(sent.getException()).isNull();
        return caravan.queries().get(sent.getMessage().getHeader(RunConstants.RUN_ID, String.class));
    }

    @Test
    void aRecordStartsARunWithTheInputTheTriggerMapsItTo() throws Exception {
        Exchange sent = send("kafka", "{\"subject\": \"Printer on fire\", \"priority\": \"high\"}",
                record("T-1", 10));

        assertThat(run(sent).input()).isEqualTo(Map.of("title", "Printer on fire (T-1)"));
    }

    @Test
    void aRecordTheFilterRefusesStartsNothing() throws Exception {
        Exchange sent = send("kafka", "{\"subject\": \"Nice to have\", \"priority\": \"low\"}", record("T-2", 11));

        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getHeader(RunConstants.SKIPPED)).isEqualTo(true);
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isNull();
        assertThat(sent.getMessage().getBody()).isNull();
    }

    @Test
    void aRecordReadTwiceStartsOneRun() throws Exception {
        String body = "{\"subject\": \"Disk full\", \"priority\": \"high\"}";
        RunRecord first = run(send("kafka", body, record("T-3", 12)));
        RunRecord again = run(send("kafka", body, record("T-3", 12)));
        RunRecord next = run(send("kafka", body, record("T-3", 13)));

        assertThat(again.runId()).isEqualTo(first.runId());
        assertThat(next.runId()).isNotEqualTo(first.runId());
    }

    @Test
    void aRecordThatCannotStartARunFailsTheExchangeForTheDeadLetterTopic() throws Exception {
        // not JSON: the input is the text, and the workflow wants an object with a title
        Exchange sent = send("raw", "not json at all", record("T-4", 14));

        assertThat(sent.getException()).isNotNull();
        assertThat(sent.getMessage().getHeader(RunConstants.RUN_ID)).isNull();
    }

    @Test
    void aChangeStartsARunForTheOperationsTheTriggerNames() throws Exception {
        Map<String, Object> inserted = Map.of(TriggerEvents.DEBEZIUM_OPERATION, "c",
                TriggerEvents.DEBEZIUM_SOURCE, Map.of("lsn", 1000L, "txId", 7L),
                TriggerEvents.DEBEZIUM_KEY, Map.of("id", 42));
        assertThat(run(send("cdc", Map.of("id", 42, "total", 120), inserted)).input())
                .isEqualTo(Map.of("title", "order 42 c"));

        Exchange updated = send("cdc", Map.of("id", 42, "total", 130), Map.of(TriggerEvents.DEBEZIUM_OPERATION, "u",
                TriggerEvents.DEBEZIUM_SOURCE, Map.of("lsn", 1010L), TriggerEvents.DEBEZIUM_KEY, Map.of("id", 42)));
        assertThat(updated.getMessage().getHeader(RunConstants.SKIPPED)).isEqualTo(true);

        // a delete has no row after: the body the trigger sees is the row before
        Map<String, Object> deleted = new HashMap<>(Map.of(TriggerEvents.DEBEZIUM_OPERATION, "d",
                TriggerEvents.DEBEZIUM_BEFORE, Map.of("id", 42, "total", 130),
                TriggerEvents.DEBEZIUM_SOURCE, Map.of("lsn", 1020L), TriggerEvents.DEBEZIUM_KEY, Map.of("id", 42)));
        RunRecord removal = run(send("cdc", null, deleted));
        assertThat(removal.input()).isEqualTo(Map.of("title", "order 42 d"));

        // the same change read again (a restart before Debezium flushed its offsets) starts no second run
        assertThat(run(send("cdc", null, deleted)).runId()).isEqualTo(removal.runId());
    }

    @Test
    void everyMemberFiresButAFireStartsOneRun() throws Exception {
        Date due = Date.from(Instant.parse("2026-12-05T10:00:00Z"));
        RunRecord here = run(send("cron", null, Map.of(TriggerEvents.QUARTZ_SCHEDULED, due)));
        RunRecord there = run(send("cron", null, Map.of(TriggerEvents.QUARTZ_SCHEDULED, due)));

        assertThat(there.runId()).isEqualTo(here.runId());
        assertThat(here.input()).isEqualTo(Map.of("title", "report 2026-12-05T10:00:00Z"));

        // an interval's fires share its slot, whenever in it each member's timer fired
        RunRecord early = run(send("often", null, Map.of(TriggerEvents.TIMER_FIRED,
                Date.from(Instant.parse("2026-12-05T10:00:05Z")))));
        RunRecord late = run(send("often", null, Map.of(TriggerEvents.TIMER_FIRED,
                Date.from(Instant.parse("2026-12-05T10:09:55Z")))));
        RunRecord next = run(send("often", null, Map.of(TriggerEvents.TIMER_FIRED,
                Date.from(Instant.parse("2026-12-05T10:10:01Z")))));
        assertThat(late.runId()).isEqualTo(early.runId());
        assertThat(next.runId()).isNotEqualTo(early.runId());
    }

    @Test
    void anUnknownTriggerFailsTheRouteAtStartNamingTheTriggersThereAre() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-run:start?workflow=triage&trigger=webhook"))
                .hasStackTraceContaining("Workflow triage has no trigger 'webhook'; its triggers are kafka, raw, cdc, "
                                         + "cron, often");
    }

    @Test
    void aWorkflowWhoseTriggersLackTheirSettingsIsNotDeployedAndTheServerSaysWhichAreMissing() {
        // where triggers run (caravan serve), a cdc trigger needs its database: none is set here
        caravan.camelContext().getPropertiesComponent().addOverrideProperty(WorkflowCatalog.TRIGGERS_PROPERTY, "true");
        try {
            assertThatThrownBy(() -> caravan.engine().catalog().deploy(new WorkflowLoader().load("orders.yaml", """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata: { name: orders }
                    spec:
                      triggers: [{ cdc: { table: public.orders } }]
                      nodes: [{ id: a, set: { x: 1 } }]
                    """)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("Cannot deploy workflow orders: its triggers need the properties "
                                + "caravan.triggers.cdc.hostname, caravan.triggers.cdc.user, "
                                + "caravan.triggers.cdc.password, caravan.triggers.cdc.database, "
                                + "caravan.triggers.cdc.offsets-dir (set with -p KEY=VALUE or in the environment)");
            assertThat(caravan.engine().catalog().get("orders")).isNull();
        } finally {
            caravan.camelContext().getPropertiesComponent().addOverrideProperty(WorkflowCatalog.TRIGGERS_PROPERTY,
                    "false");
        }
    }
}
