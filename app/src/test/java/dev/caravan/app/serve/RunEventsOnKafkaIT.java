package dev.caravan.app.serve;

import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.event.TraceParent;
import dev.caravan.run.KillSwitches;
import dev.caravan.run.Lanes;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.state.LaneStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import io.cloudevents.CloudEvent;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Run events reach the topic through the outbox: in order per run, as binary-mode CloudEvents keyed by run id, and
 * none lost while the broker is away.
 */
class RunEventsOnKafkaIT {

    @TempDir
    static Path dir;

    static CaravanServer server;
    /** The broker started again by the outage test, closed last. */
    static EmbeddedKafka restarted;

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(RunEventsOnKafkaIT.class.getResource("/serve/workflows").toURI());
        server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                        List.of(workflows), Map.of("caravan.kafka.embedded.port", "0",
                        CaravanServer.RELAY_SWEEP_MILLIS, "300"), workflows.getParent()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (restarted != null) {
            restarted.close();
        }
    }

    @Test
    void everyEventOfARunReachesTheTopicInOrderAsBinaryCloudEvents() {
        RunRecord run = server.engine().runs().run(new StartRequest("hello", Map.of("name", "Ada"), null, null, null,
                null, null, "order-42"));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);

        Map<String, List<ConsumerRecord<String, CloudEvent>>> found = TopicEvents.read(
                server.kafka().bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, List.of(run.runId()));
        List<ConsumerRecord<String, CloudEvent>> records = found.get(run.runId());
        TopicEvents.assertContiguous(records, run.runId());
        assertThat(records).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(run.runId());
            // binary mode: the attributes are headers, the value is the data alone
            assertThat(header(r, "ce_specversion")).isEqualTo("1.0");
            assertThat(header(r, "ce_id")).isEqualTo(r.value().getId());
            assertThat(header(r, "ce_source")).isEqualTo("/caravan/workflows/hello");
            assertThat(r.value().getExtension("runid")).isEqualTo(run.runId());
            assertThat(r.value().getExtension("workflow")).isEqualTo("hello");
            // the caller's correlation id, on every event of the run
            assertThat(header(r, "ce_correlationid")).isEqualTo("order-42");
            assertThat(r.value().getExtension("correlationid")).isEqualTo("order-42");
            // the run's trace: its id is the trace id, each node its own span
            assertThat(header(r, "ce_traceparent"))
                    .isEqualTo(TraceParent.of(run.runId(), (String) r.value().getExtension("node")))
                    .startsWith("00-" + run.runId().replace("-", "") + "-");
        });
        assertThat(records.get(0).value().getType()).isEqualTo(EventTypes.RUN_STARTED);
        assertThat(records.get(records.size() - 1).value().getType()).isEqualTo(EventTypes.RUN_COMPLETED);
        assertThat(new String(records.get(records.size() - 1).value().getData().toBytes(), StandardCharsets.UTF_8))
                .contains("Hello, Ada!");

        // confirmed: out of the outbox, into the run's event log, which reads back the same events by run id
        await().atMost(Duration.ofSeconds(10)).until(() -> server.engine().store().get(run.runId()).outbox().isEmpty());
        List<RunEvent> logged = server.engine().store().events(run.runId(), 0, 1000);
        assertThat(logged).extracting(RunEvent::id)
                .containsExactlyElementsOf(records.stream().map(r -> r.value().getId()).toList());
    }

    @Test
    void theEventsOfARunStartedInACallersTraceCarryItsTraceIdOnTheTopic() {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        RunRecord run = server.engine().runs().run(new StartRequest("hello", Map.of("name", "Ty"), null, null, null,
                null, null, null, trace));
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);

        List<ConsumerRecord<String, CloudEvent>> records = TopicEvents.read(server.kafka().bootstrapServers(),
                KafkaEventRelay.DEFAULT_TOPIC, List.of(run.runId())).get(run.runId());
        TopicEvents.assertContiguous(records, run.runId());
        assertThat(records).allSatisfy(r -> assertThat(header(r, "ce_traceparent"))
                .isEqualTo(TraceParent.of(run.runId(), (String) r.value().getExtension("node"), trace))
                .startsWith("00-" + trace + "-"));
    }

    @Test
    void laneAndKillSwitchEventsReachTheTopicKeyedByTheirPseudoRunIds() {
        server.engine().lanes().create("kafka-lane", "acme", 2);
        String lane = LaneStore.eventRunId("kafka-lane", server.engine().lanes().get("kafka-lane").createdAt());
        server.engine().lanes().cleanup("kafka-lane", Lanes.Cleanup.CANCEL);
        KillSwitches switches = server.engine().killSwitches();
        switches.set(KillSwitches.Scope.WORKFLOW, "kafka-switched", "maintenance");
        switches.clear(KillSwitches.Scope.WORKFLOW, "kafka-switched");
        String killSwitch = switches.eventRunId("workflow:kafka-switched");

        Map<String, List<ConsumerRecord<String, CloudEvent>>> found = TopicEvents.read(
                server.kafka().bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, List.of(lane, killSwitch),
                byKey -> byKey.getOrDefault(lane, List.of()).size() >= 2
                         && byKey.getOrDefault(killSwitch, List.of()).size() >= 2);

        TopicEvents.assertContiguous(found.get(lane), lane);
        assertThat(found.get(lane)).extracting(r -> r.value().getType())
                .containsExactly(EventTypes.LANE_CREATED, EventTypes.LANE_CLEANED);
        assertThat(found.get(lane)).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(lane);
            assertThat(r.value().getExtension("laneid")).isEqualTo("kafka-lane");
            assertThat(r.value().getExtension("tenantid")).isEqualTo("acme");
        });
        TopicEvents.assertContiguous(found.get(killSwitch), killSwitch);
        assertThat(found.get(killSwitch)).extracting(r -> r.value().getType())
                .containsExactly(EventTypes.KILL_SWITCH_SET, EventTypes.KILL_SWITCH_CLEARED);
        assertThat(found.get(killSwitch)).allSatisfy(r -> {
            assertThat(r.value().getExtension("workflow")).isEqualTo("kafka-switched");
            assertThat(header(r, "ce_traceparent")).isEqualTo(TraceParent.of(killSwitch, null));
        });
    }

    @Test
    void aBrokerStoppedUnderLoadDelaysEventsAndLosesNone() throws Exception {
        EmbeddedKafka broker = server.kafka();
        int port = broker.port();
        KafkaEventRelay relay = server.engine().camelContext().getRegistry().findSingleByType(KafkaEventRelay.class);

        // 300 runs, 32 at a time; the broker stops after the first 50 and starts again once all have finished
        List<CompletableFuture<RunRecord>> runs = new ArrayList<>();
        Semaphore slots = new Semaphore(32);
        for (int i = 0; i < 300; i++) {
            if (i == 50) {
                broker.stop();
            }
            slots.acquire();
            CompletableFuture<RunRecord> run = server.engine().runs()
                    .start(StartRequest.of("hello", Map.of("name", "run " + i)));
            run.whenComplete((r, e) -> slots.release());
            runs.add(run);
        }
        List<String> runIds = new ArrayList<>();
        for (CompletableFuture<RunRecord> run : runs) {
            // runs keep completing while the broker is away
            RunRecord r = run.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
            runIds.add(r.runId());
        }
        String last = runIds.get(runIds.size() - 1);
        assertThat(server.engine().store().get(last).outbox()).isNotEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> relay.unconfirmedRuns() > 0);

        restarted = EmbeddedKafka.start(broker.dataDir(), port);
        Map<String, List<ConsumerRecord<String, CloudEvent>>> found = TopicEvents.read(
                restarted.bootstrapServers(), KafkaEventRelay.DEFAULT_TOPIC, runIds);
        for (String id : runIds) {
            // every event once, in order
            List<ConsumerRecord<String, CloudEvent>> records = found.get(id);
            TopicEvents.assertContiguous(records, id);
            assertThat(records).hasSize((int) server.engine().store().get(id).sequence());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> runIds.stream()
                .allMatch(id -> server.engine().store().get(id).outbox().isEmpty()));
        assertThat(relay.backlog()).isZero();
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
