package dev.caravan.run;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventBus;
import dev.caravan.state.HazelcastRunStore;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

import java.util.List;
import java.util.Map;

/**
 * One engine member in its own JVM, for {@link SigkillTakeoverIT}: joins the cluster, deploys the slow workflow,
 * starts its runs and keeps executing them until it is killed.
 */
public final class ClusterMemberMain {

    static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: slowflow
            spec:
              nodes:
                - id: first
                  call: { uri: "direct:work" }
                - id: second
                  needs: [first]
                  call: { uri: "direct:work" }
                - id: third
                  needs: [second]
                  call: { uri: "direct:work" }
              output: ${{ nodes.third.output }}
            """;

    private ClusterMemberMain() {
    }

    static Config member(String cluster, EventBus events) {
        Config config = HazelcastRunStore.configure(Engine.clusterConfig(cluster, List.of("127.0.0.1")), events);
        config.getMapConfig("effects").setBackupCount(1);
        return config;
    }

    /**
     * The node work: takes a while, and counts each call by its idempotency key in a cluster map. With
     * {@code hangOnThird} the last node never finishes, so a kill always finds every run in flight there.
     */
    static RouteBuilder work(HazelcastInstance hz, boolean hangOnThird) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:work").process(e -> {
                    String key = e.getMessage().getHeader("CamelCaravanIdempotencyKey", String.class);
                    hz.<String, Integer>getMap("effects").merge(key, 1, Integer::sum);
                    Thread.sleep(hangOnThird && key.contains("/third/") ? Long.MAX_VALUE : 150); // a node that takes time
                    e.getMessage().setBody("done");
                });
            }
        };
    }

    public static void main(String[] args) throws Exception {
        String cluster = args[0];
        int runs = Integer.parseInt(args[1]);
        EventBus events = new EventBus();
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(member(cluster, events));
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.addRoutes(work(hz, true));
        camel.start();
        Engine engine = Engine.on(camel, hz, events);
        camel.getRegistry().bind("caravanEngine", engine);
        engine.catalog().deploy(new WorkflowLoader().load("slowflow.caravan.yaml", FLOW));
        for (int i = 0; i < runs; i++) {
            String id = engine.runs().create(new RunService.StartRequest("slowflow", Map.of(), null, null, "run-" + i,
                    null, null));
            engine.executor().execute(id);
        }
        System.out.println("STARTED " + runs);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
