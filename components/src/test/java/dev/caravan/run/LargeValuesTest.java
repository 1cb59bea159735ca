package dev.caravan.run;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.state.ValueRef;
import dev.caravan.state.ValueStore;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A run's record stays bounded: a 200 KiB node output (or run input, or run output) is stored once by content hash
 * in {@code caravan.values}, every checkpoint carries only its reference, and every reader (expressions, map and loop
 * bodies, sub-workflows, the run output, {@link RunService#get}) sees the value itself.
 */
class LargeValuesTest {

    private static final String TEXT = "x".repeat(200 * 1024);
    private static final List<String> PARTS = List.of("a".repeat(50 * 1024), "b".repeat(50 * 1024),
            "c".repeat(50 * 1024), "d".repeat(50 * 1024));

    private static final String LARGE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: large
            spec:
              nodes:
                - id: big
                  call: { uri: "direct:big" }
                - id: measure
                  needs: [big]
                  set: { length: "${{ size(nodes.big.output.text) }}" }
                - id: rounds
                  needs: [big]
                  loop:
                    max: 5
                    nodes:
                      - id: peek
                        set: { round: "${{ iteration }}" }
                - id: again
                  needs: [measure, rounds]
                  set: { start: "${{ nodes.big.output.text.substring(0, 3) }}" }
              output: ${{ nodes.big.output }}
            """;

    private static final String FANOUT = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: fanout
            spec:
              nodes:
                - id: read
                  set: { length: "${{ size(input.text) }}" }
                - id: big
                  call: { uri: "direct:big" }
                - id: split
                  call: { uri: "direct:parts" }
                - id: each
                  needs: [split]
                  map:
                    items: ${{ nodes.split.output }}
                    nodes:
                      - id: echo
                        set: { part: "${{ item }}" }
                    output: ${{ nodes.echo.output.part }}
                - id: count
                  needs: [each]
                  set: { parts: "${{ size(nodes.each.output) }}", first: "${{ size(nodes.each.output[0]) }}" }
                - id: rounds
                  loop:
                    max: 2
                    nodes:
                      - id: grow
                        set: { text: "${{ input.text }}" }
                    output: ${{ nodes.grow.output.text }}
                - id: sub
                  needs: [big]
                  workflow: { name: copy, input: "${{ nodes.big.output }}" }
              output:
                read: ${{ nodes.read.output.length }}
                count: ${{ nodes.count.output }}
                rounds: ${{ size(nodes.rounds.output) }}
                sub: ${{ size(nodes.sub.output) }}
                same: ${{ nodes.rounds.output == nodes.sub.output }}
            """;

    private static final String COPY = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: copy
            spec:
              nodes:
                - id: copy
                  set: { text: "${{ input.text }}" }
              output: ${{ nodes.copy.output.text }}
            """;

    private static final String GATED = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: gated
            spec:
              nodes:
                - id: big
                  call: { uri: "direct:big" }
                - id: ok
                  needs: [big]
                  gate: { message: "Go?" }
                - id: after
                  needs: [ok]
                  set: { length: "${{ size(nodes.big.output.text) }}" }
              output: ${{ nodes.big.output }}
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = largeValues().build();

    /** A 200 KiB output. */
    static Map<String, Object> big() {
        return Map.of("text", TEXT);
    }

    /** An engine with the routes and workflows of these tests. */
    private static CaravanEngineExtension.Builder largeValues() {
        return CaravanEngineExtension.builder()
                .routes(rb -> {
                    rb.from("direct:big").process(e -> e.getMessage().setBody(big()));
                    rb.from("direct:parts").process(e -> e.getMessage().setBody(PARTS));
                })
                .workflow("large.caravan.yaml", LARGE)
                .workflow("fanout.caravan.yaml", FANOUT)
                .workflow("copy.caravan.yaml", COPY)
                .workflow("gated.caravan.yaml", GATED);
    }

    /** Another engine, alone, with these properties, for one test. */
    private static CaravanEngineExtension instance(Map<String, String> properties) throws Exception {
        CaravanEngineExtension.Builder builder = largeValues();
        properties.forEach(builder::property);
        return builder.build().start();
    }

    private static IMap<String, String> values(Engine e) {
        return e.hazelcast().getMap(ValueStore.MAP_NAME);
    }

    private static String hashOf(Object value) {
        ValueRef ref = ValueRef.from(value);
        assertThat(ref).as("a reference: %s", value).isNotNull();
        return ref.hash();
    }

    /** One version of a run's record, as backups and the database get it (it travels as JSON). */
    private record Checkpoint(int bytes, RunStatus status) {
    }

    /** Runs {@code large} and returns every version of its record. */
    private static List<Integer> runLarge(Engine e) throws Exception {
        String runId = RunService.newRunId();
        List<Checkpoint> checkpoints = new CopyOnWriteArrayList<>();
        class Versions implements EntryAddedListener<String, RunRecord>, EntryUpdatedListener<String, RunRecord> {
            @Override
            public void entryAdded(EntryEvent<String, RunRecord> event) {
                entryUpdated(event);
            }

            @Override
            public void entryUpdated(EntryEvent<String, RunRecord> event) {
                checkpoints.add(new Checkpoint(Json.write(event.getValue()).length(), event.getValue().status()));
            }
        }
        IMap<String, RunRecord> runs = e.hazelcast().getMap(HazelcastRunStore.MAP_NAME);
        runs.addEntryListener(new Versions(), runId, true);
        RunRecord r = e.runs().start(new RunService.StartRequest("large", Map.of(), null, null, runId, null, null))
                .get(20, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        await().atMost(10, TimeUnit.SECONDS)
                .until(() -> checkpoints.stream().anyMatch(c -> c.status() == RunStatus.COMPLETED));
        return checkpoints.stream().map(Checkpoint::bytes).toList();
    }

    @Test
    void largeOutputIsStoredOnceByHash() throws Exception {
        RunRecord done = caravan.runs().start(RunService.StartRequest.of("large", Map.of())).get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
        RunRecord stored = caravan.engine().store().get(done.runId());
        String hash = hashOf(stored.node("big").output());
        assertThat(ValueRef.from(stored.node("big").output()).bytes()).isEqualTo(Json.write(big()).length());
        assertThat(hashOf(stored.output())).as("the run output is the same value").isEqualTo(hash);
        assertThat(values(caravan.engine()).get(hash)).isEqualTo(Json.write(big()));
        assertThat(stored.node("measure").output()).isEqualTo(Map.of("length", 204800L));
    }

    @Test
    void checkpointsCarryOnlyTheReference() throws Exception {
        List<Integer> withReference = runLarge(caravan.engine());
        try (CaravanEngineExtension inline = instance(Map.of("caravan.runs.inline-value-bytes",
                String.valueOf(1024 * 1024)))) {
            List<Integer> inlineSizes = runLarge(inline.engine());
            int largestWith = withReference.stream().max(Integer::compare).orElseThrow();
            int largestInline = inlineSizes.stream().max(Integer::compare).orElseThrow();
            System.out.printf("Record of a run with a 200 KiB output: %d checkpoints, largest %d bytes with the "
                              + "reference, %d bytes inline (sum over all checkpoints %d vs %d bytes)%n",
                    withReference.size(), largestWith, largestInline,
                    withReference.stream().mapToInt(Integer::intValue).sum(),
                    inlineSizes.stream().mapToInt(Integer::intValue).sum());
            assertThat(withReference).hasSizeGreaterThanOrEqualTo(5)
                    .allSatisfy(size -> assertThat(size).isLessThan(4096));
            assertThat(largestInline).isGreaterThan(2 * 200 * 1024);
            assertThat(values(inline.engine()).keySet()).isEmpty();
        }
    }

    @Test
    void eventsCarryTheReferenceAndItsSize() throws Exception {
        RunRecord done = caravan.runs().start(RunService.StartRequest.of("large", Map.of())).get(20, TimeUnit.SECONDS);
        caravan.eventBus().drain(5_000);
        List<RunEvent> mine = caravan.events().stream().filter(e -> e.runId().equals(done.runId())).toList();
        assertThat(mine).isNotEmpty().allSatisfy(e -> assertThat(Json.write(e)).hasSizeLessThan(1024));
        RunEvent completed = mine.stream()
                .filter(e -> e.type().equals(EventTypes.NODE_COMPLETED) && "big".equals(e.node()))
                .findFirst().orElseThrow();
        Object output = ((Map<?, ?>) completed.data()).get("output");
        assertThat(Json.parse(Json.write(output))).isEqualTo(Map.of("$ref", hashOf(output),
                "bytes", Json.write(big()).length()));
        assertThat(caravan.engine().values().resolveEntries(completed.data())).isEqualTo(Map.of("kind", "call",
                "output", big(),
                "durationMs", ((Map<?, ?>) completed.data()).get("durationMs"), "attempts", 1, "costMicros", 0L,
                "tokens", 0L));
    }

    @Test
    void expressionsSeeTheResolvedValue() throws Exception {
        RunRecord done = caravan.runs().start(RunService.StartRequest.of("large", Map.of())).get(20, TimeUnit.SECONDS);
        assertThat(done.output()).isEqualTo(big());
        assertThat(done.node("big").output()).isEqualTo(big());
        assertThat(done.node("measure").output()).isEqualTo(Map.of("length", 204800L));
        assertThat(done.node("again").output()).isEqualTo(Map.of("start", "xxx"));
        assertThat(caravan.queries().get(done.runId())).isEqualTo(done);
        RunRecord listed = caravan.queries().page(RunQuery.of(List.of(RunStatus.COMPLETED), RunQuery.MAX_LIMIT)).runs().stream()
                .filter(r -> r.runId().equals(done.runId())).findFirst().orElseThrow();
        // (compared as booleans: a failure would print 200 KiB)
        assertThat(big().equals(listed.output()) && big().equals(listed.node("big").output()))
                .as("a listed run's values are resolved").isTrue();
    }

    @Test
    void mapLoopAndSubWorkflowSeeTheResolvedValue() throws Exception {
        RunRecord done = caravan.runs().start(RunService.StartRequest.of("fanout", Map.of("text", TEXT)))
                .get(30, TimeUnit.SECONDS);
        assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(done.output()).isEqualTo(Map.of("read", 204800L, "count", Map.of("parts", 4L, "first", 51200L),
                "rounds", 204800L, "sub", 204800L, "same", true));
        assertThat(done.node("each").output()).isEqualTo(PARTS);
        assertThat(done.node("rounds").output()).isEqualTo(TEXT);
        assertThat(done.node("sub").output()).isEqualTo(TEXT);

        RunRecord stored = caravan.engine().store().get(done.runId());
        RunRecord child = caravan.engine().store().get(done.runId() + ":sub");
        assertThat(Json.write(stored)).hasSizeLessThan(8192);
        assertThat(Json.write(child)).hasSizeLessThan(2048);
        // 15 references to 7 values, each stored once: {"text": ...} (the run input, big's output, each loop
        // iteration's, the child's input and copy), the text (the loop's, the child's and the sub-workflow node's
        // output), the list of parts (split's output and the map's) and the 4 map items' echoes
        List<String> references = new ArrayList<>();
        for (RunRecord r : List.of(stored, child)) {
            for (Object v : List.of(r.input(), r.output() == null ? "" : r.output())) {
                if (ValueRef.from(v) != null) {
                    references.add(hashOf(v));
                }
            }
            r.nodes().values().stream().filter(n -> ValueRef.from(n.output()) != null)
                    .forEach(n -> references.add(hashOf(n.output())));
        }
        assertThat(references).hasSize(15);
        assertThat(references.stream().distinct()).hasSize(7);
        assertThat(values(caravan.engine()).keySet()).containsAll(references);
        String text = hashOf(stored.input());
        assertThat(List.of(stored.node("big").output(), stored.node("rounds[0].grow").output(),
                stored.node("rounds[1].grow").output(), child.input(), child.node("copy").output()))
                .allSatisfy(v -> assertThat(hashOf(v)).isEqualTo(text));
        assertThat(hashOf(stored.node("rounds").output())).isEqualTo(hashOf(stored.node("sub").output()))
                .isEqualTo(hashOf(child.output()));
        assertThat(hashOf(stored.node("each").output())).isEqualTo(hashOf(stored.node("split").output()));
    }

    @Test
    void aValueAPausedRunReferencesOutlivesTheRetention() throws Exception {
        try (CaravanEngineExtension shortLived = instance(Map.of("caravan.runs.retention", "1s"))) {
            Engine e = shortLived.engine();
            RunRecord paused = e.runs().start(RunService.StartRequest.of("gated", Map.of())).get(20, TimeUnit.SECONDS);
            assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
            String hash = hashOf(e.store().get(paused.runId()).node("big").output());
            await().during(4, TimeUnit.SECONDS).atMost(6, TimeUnit.SECONDS).until(() -> values(e).containsKey(hash));

            RunRecord done = e.runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done.node("after").output()).isEqualTo(Map.of("length", 204800L));
            assertThat(done.output()).isEqualTo(big());

            // once the finished run expired, nothing references the value any more: it expires too
            await().atMost(20, TimeUnit.SECONDS).until(() -> e.store().get(paused.runId()) == null);
            await().atMost(20, TimeUnit.SECONDS).until(() -> !values(e).containsKey(hash));
        }
    }

    @Test
    void referencedValueSurvivesRestartOnJdbcStore(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        CaravanEngineExtension first = instance(Map.of("caravan.store.jdbc-url", url));
        CaravanEngineExtension second = null;
        try {
            Engine a = first.engine();
            RunRecord paused = a.runs().start(RunService.StartRequest.of("gated", Map.of())).get(20, TimeUnit.SECONDS);
            assertThat(paused.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
            String hash = hashOf(a.store().get(paused.runId()).node("big").output());
            assertThat(rows(url, "SELECT id FROM caravan_values")).containsExactly(hash);
            assertThat(rows(url, "SELECT doc FROM caravan_runs").get(0)).contains(hash).hasSizeLessThan(4096);

            a.hazelcast().getLifecycleService().terminate(); // the member dies; nothing is shut down in order

            second = instance(Map.of("caravan.store.jdbc-url", url));
            Engine b = second.engine();
            RunRecord done = b.runs().resolveGate(paused.runId(), "ok", true, "ada", null).get(20, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done.node("after").output()).isEqualTo(Map.of("length", 204800L));
            assertThat(done.output()).isEqualTo(big());
            assertThat(rows(url, "SELECT id FROM caravan_values")).containsExactly(hash);
        } finally {
            if (second != null) {
                second.close();
            }
            first.close();
        }
    }

    @Test
    void anExpiredValueIsDeletedFromTheDatabase(@TempDir Path dir) throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
        try (CaravanEngineExtension c = instance(Map.of("caravan.store.jdbc-url", url,
                "caravan.runs.retention", "1s"))) {
            Engine e = c.engine();
            RunRecord done = e.runs().start(RunService.StartRequest.of("large", Map.of())).get(20, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(rows(url, "SELECT id FROM caravan_values")).hasSize(1);
            // left alone (a read of a just-expired key would load it back from the database), both expire
            await().atMost(40, TimeUnit.SECONDS).pollInterval(1, TimeUnit.SECONDS)
                    .until(() -> rows(url, "SELECT id FROM caravan_runs").isEmpty()
                                 && rows(url, "SELECT id FROM caravan_values").isEmpty());
        }
    }

    private static List<String> rows(String url, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
