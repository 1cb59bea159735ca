package dev.caravan.run;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventBus;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two members, each record backed up on the other: when one member dies with runs in flight, the survivor takes
 * them over and finishes them; recorded nodes never run again, the node in flight runs again with the same key.
 */
class TakeoverTest {

    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: handover
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:effect" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:effect" }
              output: ${{ nodes.second.output }}
            """;

    private final List<String> calls = new CopyOnWriteArrayList<>();

    private Config member(String cluster, EventBus events) {
        return HazelcastRunStore.configure(Engine.clusterConfig(cluster, List.of("127.0.0.1")), events);
    }

    private Engine instance(HazelcastInstance hz, EventBus events, CountDownLatch hang, List<CamelContext> contexts)
            throws Exception {
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getShutdownStrategy().setTimeout(1);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:effect").process(e -> {
                    String node = e.getMessage().getHeader("CaravanNodeKey", String.class);
                    calls.add(e.getMessage().getHeader("CaravanIdempotencyKey", String.class));
                    if (hang != null && node.equals("second")) {
                        hang.await();
                    }
                    e.getMessage().setBody("done " + node);
                });
            }
        });
        camel.start();
        contexts.add(camel);
        Engine engine = Engine.on(camel, hz, events);
        camel.getRegistry().bind("caravanEngine", engine);
        engine.catalog().deploy(new WorkflowLoader().load("handover.caravan.yaml", FLOW));
        return engine;
    }

    @Test
    void survivorFinishesTheRunsOfAMemberThatDied() throws Exception {
        String cluster = "caravan-takeover-" + UUID.randomUUID();
        EventBus events = new EventBus();
        HazelcastInstance hzA = Hazelcast.newHazelcastInstance(member(cluster, events));
        HazelcastInstance hzB = Hazelcast.newHazelcastInstance(member(cluster, events));
        CountDownLatch never = new CountDownLatch(1);
        List<CamelContext> contexts = new ArrayList<>();
        try {
            Engine survivor = instance(hzA, events, null, contexts);
            Engine doomed = instance(hzB, events, never, contexts);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = doomed.runs().create(RunService.StartRequest.of("handover", Map.of()));
                doomed.runs().execute(id);
                ids.add(id);
            }
            await().atMost(20, TimeUnit.SECONDS).until(() -> ids.stream().allMatch(
                    id -> calls.contains(id + "/second/1")));

            hzB.getLifecycleService().terminate(); // the member dies with 20 runs in flight

            await().atMost(30, TimeUnit.SECONDS).until(() -> ids.stream().allMatch(
                    id -> survivor.runs().get(id) != null && survivor.runs().get(id).status() == RunStatus.COMPLETED));
            for (String id : ids) {
                RunRecord r = survivor.runs().get(id);
                assertThat(r.output()).isEqualTo("done second");
                assertThat(calls.stream().filter(c -> c.equals(id + "/first/1"))).hasSize(1);
                assertThat(calls.stream().filter(c -> c.startsWith(id + "/second/"))).containsOnly(id + "/second/1");
            }
        } finally {
            never.countDown();
            for (CamelContext c : contexts) {
                c.stop();
            }
            hzA.shutdown();
            events.close();
        }
    }
}
