package dev.caravan.run;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node's outcome rides on the next update of its run when the next step follows at once: fewer round trips to
 * the store, the same events in the same order, and a crash in between costs only a re-run of the node as the
 * same attempt.
 */
class CheckpointTest {

    private static final String DIAMOND = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: diamond
            spec:
              nodes:
                - id: classify
                  agent:
                    model: scripted
                    prompt: "Classify ${{ input.ticket }}"
                    scripted: { replies: ["high"] }
                - id: draft
                  needs: [classify]
                  agent:
                    model: scripted
                    prompt: "Draft a ${{ nodes.classify.output }} reply"
                    scripted: { replies: ["on it"] }
                - id: lookup
                  needs: [classify]
                  set: { priority: "${{ nodes.classify.output == 'high' ? 1 : 3 }}" }
                - id: join
                  needs: [draft, lookup]
                  set: { reply: "${{ nodes.draft.output }}", priority: "${{ nodes.lookup.output.priority }}" }
              output: ${{ nodes.join.output }}
            """;

    private static final List<String> calls = new CopyOnWriteArrayList<>();

    private static final String HANDMADE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata: { name: handmade }
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:effect" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:effect" }
            """;

    private static final String FORKED = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata: { name: forked }
            spec:
              nodes:
                - id: a
                  set: { v: 1 }
                - id: b
                  needs: [a]
                  call: { uri: "direct:effect" }
                - id: c
                  needs: [a]
                  call: { uri: "direct:effect" }
            """;

    /** The state every instance of a test shares, as members of one cluster would. */
    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().withoutEngines()
            // hand-written routes name the nodes of registered definitions; what the nodes do comes from there
            .definition("handmade.caravan.yaml", HANDMADE)
            .definition("forked.caravan.yaml", FORKED)
            .workflow("diamond.caravan.yaml", DIAMOND)
            .build();

    /**
     * An engine on the shared state, with a hand-written workflow route {@code handmade}: a call whose outcome is
     * deferred ({@code recordWithNext}), then a processor standing for the moment before the next step, then a
     * second call.
     */
    private static CamelContext instance(CountDownLatch between, boolean failBetween) throws Exception {
        return caravan.startEngine(0, rb -> {
            rb.from("direct:effect").process(e -> {
                calls.add(e.getMessage().getHeader("CamelCaravanNodeKey") + "|"
                          + e.getMessage().getHeader("CamelCaravanIdempotencyKey"));
                e.getMessage().setBody("done " + e.getMessage().getHeader("CamelCaravanNodeKey"));
            });
            rb.from(WorkflowRoutes.routeUri("handmade")).routeId(WorkflowRoutes.ROUTE_PREFIX + "handmade")
                    .errorHandler(rb.noErrorHandler())
                    .to("caravan-run:begin?workflow=handmade")
                    .to("caravan-call:first?workflow=handmade&recordWithNext=true")
                    .process(e -> {
                        calls.add("between");
                        if (between != null) {
                            between.await(); // the instance "dies" here: the outcome of first is not recorded
                        }
                        if (failBetween) {
                            throw new IllegalStateException("broken between two steps");
                        }
                    })
                    .to("caravan-call:second?workflow=handmade")
                    .to("caravan-run:end?workflow=handmade");
            // written against the option's advice: a deferring step right before a multicast
            rb.from(WorkflowRoutes.routeUri("forked")).routeId(WorkflowRoutes.ROUTE_PREFIX + "forked")
                    .errorHandler(rb.noErrorHandler())
                    .to("caravan-run:begin?workflow=forked")
                    .to("caravan-set:a?workflow=forked&recordWithNext=true")
                    .multicast().parallelProcessing()
                        .to("caravan-call:b?workflow=forked")
                        .to("caravan-call:c?workflow=forked")
                    .end()
                    .to("caravan-run:end?workflow=forked");
        }).camelContext();
    }

    private static Engine engine(CamelContext camel) {
        return camel.getRegistry().findSingleByType(Engine.class);
    }

    /** Every write of a run record from now on. */
    private static List<RunRecord> writes() {
        List<RunRecord> writes = new CopyOnWriteArrayList<>();
        class Writes implements EntryAddedListener<String, RunRecord>, EntryUpdatedListener<String, RunRecord> {
            @Override
            public void entryAdded(EntryEvent<String, RunRecord> event) {
                writes.add(event.getValue());
            }

            @Override
            public void entryUpdated(EntryEvent<String, RunRecord> event) {
                writes.add(event.getValue());
            }
        }
        IMap<String, RunRecord> runs = caravan.hazelcast(0).getMap(HazelcastRunStore.MAP_NAME);
        runs.addEntryListener(new Writes(), true);
        return writes;
    }

    @Test
    void nodeOutcomesRideOnTheNextUpdateOfTheRun() throws Exception {
        List<RunEvent> seen = new CopyOnWriteArrayList<>();
        AutoCloseable subscription = caravan.eventBus().subscribe(seen::add);
        CamelContext camel = instance(null, false);
        try {
            // the first model call of a JVM loads classes for long enough to publish its streamed text on its own: the
            // count below is of a warm run
            engine(camel).runs().run(RunService.StartRequest.of("diamond", Map.of("ticket", "warm-up")));
            List<RunRecord> allWrites = writes();
            RunRecord done = engine(camel).runs().run(RunService.StartRequest.of("diamond", Map.of("ticket", "t")));
            String runId = done.runId();
            List<RunRecord> writes = new ArrayList<>();
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(done.output()).isEqualTo(Map.of("reply", "on it", "priority", 1L));

            // created with classify started; draft started with the outcomes of classify and lookup; the run
            // completed with the outcomes of draft and join. Each on its own would take 9 writes.
            await().atMost(5, TimeUnit.SECONDS).until(() -> allWrites.stream()
                    .anyMatch(w -> w.runId().equals(runId) && w.status() == RunStatus.COMPLETED));
            allWrites.stream().filter(w -> w.runId().equals(runId)).forEach(writes::add);
            assertThat(writes).extracting(RunRecord::status).containsExactly(RunStatus.RUNNING, RunStatus.RUNNING,
                    RunStatus.COMPLETED);
            assertThat(writes.get(0).node("classify").status()).isEqualTo(NodeStatus.RUNNING);
            assertThat(writes.get(1).node("classify").status()).isEqualTo(NodeStatus.COMPLETED);
            assertThat(writes.get(1).node("lookup").status()).isEqualTo(NodeStatus.COMPLETED);
            assertThat(writes.get(1).node("draft").status()).isEqualTo(NodeStatus.RUNNING);

            // the events are the ones separate updates would give, numbered without a gap, in causal order
            caravan.eventBus().drain(5_000);
            List<RunEvent> mine = seen.stream().filter(e -> e.runId().equals(runId)).toList();
            assertThat(mine).extracting(RunEvent::sequence)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, mine.size()).boxed().toList());
            List<String> lifecycle = mine.stream()
                    .filter(e -> e.type().equals(EventTypes.NODE_STARTED) || e.type().equals(EventTypes.NODE_COMPLETED)
                                 || e.type().startsWith("caravan.run."))
                    .map(e -> e.type().substring("caravan.".length()) + (e.node() == null ? "" : " " + e.node()))
                    .toList();
            assertThat(lifecycle).containsExactly("run.started", "node.started classify", "node.completed classify",
                    "node.started lookup", "node.completed lookup", "node.started draft", "node.completed draft",
                    "node.started join", "node.completed join", "run.completed");
        } finally {
            subscription.close();
            camel.stop();
        }
    }

    @Test
    void anOutcomeLostWithItsInstanceRunsAgainAsTheSameAttempt() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        calls.clear();
        try {
            CamelContext doomed = instance(never, false);
            String runId = engine(doomed).runs().create(RunService.StartRequest.of("handmade", Map.of()));
            engine(doomed).executor().execute(runId);
            await().atMost(10, TimeUnit.SECONDS).until(() -> calls.contains("between"));
            // first ran, and its outcome waits for the next update, which never comes
            assertThat(engine(doomed).queries().get(runId).node("first").status()).isEqualTo(NodeStatus.RUNNING);

            CamelContext survivor = instance(null, false);
            RunRecord done = engine(survivor).runs().resume(runId).get(20, TimeUnit.SECONDS);
            assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
            // as if the crash had come a moment earlier: first again as the same attempt, second once
            assertThat(calls).containsExactly("first|" + runId + "/first/1", "between",
                    "first|" + runId + "/first/1", "between", "second|" + runId + "/second/1");
            survivor.stop();
            doomed.stop();
        } finally {
            never.countDown();
        }
    }

    @Test
    void anOutcomeDeferredBeforeAnErrorIsStillRecorded() throws Exception {
        calls.clear();
        CamelContext camel = instance(null, true);
        try {
            String runId = engine(camel).runs().create(RunService.StartRequest.of("handmade", Map.of()));
            RunRecord failed = engine(camel).executor().execute(runId).get(20, TimeUnit.SECONDS);
            assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
            assertThat(failed.error()).contains("broken between two steps");
            assertThat(failed.node("first").status()).isEqualTo(NodeStatus.COMPLETED);
            assertThat(failed.node("first").output()).isEqualTo("done first");
            assertThat(failed.node("second")).isNull();
        } finally {
            camel.stop();
        }
    }

    @Test
    void aRunCreatedWithItsFirstUpdateExistsEvenWhenItsFirstStepFails() throws Exception {
        CamelContext camel = instance(null, false);
        try {
            engine(camel).catalog().deploy(new WorkflowLoader().load("early.caravan.yaml", """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata:
                      name: early
                    spec:
                      nodes:
                        - id: check
                          when: ${{ input.order.total > 10 }}
                          set: { ok: true }
                    """));
            RunRecord failed = engine(camel).runs().run(RunService.StartRequest.of("early", Map.of()));
            assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
            assertThat(failed.error()).contains("order");
            RunRecord stored = engine(camel).queries().get(failed.runId());
            assertThat(stored.status()).isEqualTo(RunStatus.FAILED);
            assertThat(stored.input()).isEqualTo(Map.of());
        } finally {
            camel.stop();
        }
    }

    @Test
    void copiesOfAnExchangeApplyWhatItDeferredOnce() throws Exception {
        calls.clear();
        CamelContext camel = instance(null, false);
        try {
            for (int i = 0; i < 20; i++) {
                RunRecord done = engine(camel).runs().start(RunService.StartRequest.of("forked", Map.of()))
                        .get(20, TimeUnit.SECONDS);
                assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.COMPLETED);
                assertThat(done.node("a").output()).isEqualTo(Map.of("v", 1L));
                assertThat(calls).filteredOn(c -> c.startsWith("b|" + done.runId())).hasSize(1);
                assertThat(calls).filteredOn(c -> c.startsWith("c|" + done.runId())).hasSize(1);
            }
        } finally {
            camel.stop();
        }
    }

    @Test
    void aRunWhoseFirstLevelIsParallelIsCreatedBeforeEitherBranchStarts() throws Exception {
        calls.clear();
        CamelContext camel = instance(null, false);
        try {
            engine(camel).catalog().deploy(new WorkflowLoader().load("wide.caravan.yaml", """
                    apiVersion: caravan.dev/v1
                    kind: Workflow
                    metadata:
                      name: wide
                    spec:
                      nodes:
                        - id: left
                          call: { uri: "direct:effect" }
                        - id: right
                          call: { uri: "direct:effect" }
                    """));
            // the creation rides on the first update, and the first step is a multicast: one branch carries it,
            // the other waits for it instead of starting a node of a run that does not exist yet
            for (int i = 0; i < 50; i++) {
                RunRecord done = engine(camel).runs().run(RunService.StartRequest.of("wide", Map.of()));
                assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.COMPLETED);
                assertThat(calls).filteredOn(c -> c.contains(done.runId())).hasSize(2);
            }
        } finally {
            camel.stop();
        }
    }
}
