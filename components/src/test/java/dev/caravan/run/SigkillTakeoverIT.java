package dev.caravan.run;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventBus;
import dev.caravan.event.EventTypes;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two engine JVMs in one cluster: the other one starts 200 runs of three nodes and is killed with SIGKILL while
 * every run is in flight in its last node; this one takes them over and finishes all 200. No recorded node ran
 * twice; each node in flight at the kill ran again with the same idempotency key.
 */
class SigkillTakeoverIT {

    @Test
    void survivorFinishesEveryRunOfAMemberKilledWithSigkill() throws Exception {
        String cluster = "caravan-sigkill-" + UUID.randomUUID();
        EventBus events = new EventBus();
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(ClusterMemberMain.member(cluster, events));
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.addRoutes(ClusterMemberMain.work(hz, false));
        camel.start();
        Engine survivor = Engine.on(camel, hz, events);
        camel.getRegistry().bind("caravanEngine", survivor);
        survivor.catalog().deploy(new WorkflowLoader().load("slowflow.caravan.yaml", ClusterMemberMain.FLOW));
        Process victim = null;
        try {
            List<String> command = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                    "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                    "-Dhazelcast.logging.type=none",
                    "-cp", System.getProperty("java.class.path"), ClusterMemberMain.class.getName(), cluster, "200"));
            victim = new ProcessBuilder(command).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(victim.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("STARTED")) {
                // the victim's startup output
            }
            assertThat(line).as("the other JVM started its runs").isEqualTo("STARTED 200");
            IMap<String, Integer> effects = hz.getMap("effects");
            // every run is in flight in its last node (which never ends there), the two before it recorded
            await().atMost(60, TimeUnit.SECONDS).until(() -> effects.size() == 600);
            AtomicLong firstClaim = new AtomicLong();
            events.subscribe(e -> {
                if (e.type().equals(EventTypes.RUN_RESUMED)
                    && e.data() instanceof Map<?, ?> d && d.get("previousOwner") != null) {
                    firstClaim.compareAndSet(0, System.nanoTime());
                }
            });
            long killedAt = System.nanoTime();
            victim.destroyForcibly(); // SIGKILL
            victim.waitFor(10, TimeUnit.SECONDS);

            await().atMost(120, TimeUnit.SECONDS).until(() -> {
                for (int i = 0; i < 200; i++) {
                    RunRecord r = survivor.queries().get("run-" + i);
                    if (r == null || r.status() != RunStatus.COMPLETED) {
                        return false;
                    }
                }
                return true;
            });
            long allDone = System.nanoTime();
            events.drain(5_000);
            // reported, not asserted: timings belong to benchmarks
            System.out.printf("takeover after SIGKILL: first run claimed after %d ms, all 200 runs done after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(firstClaim.get() - killedAt),
                    TimeUnit.NANOSECONDS.toMillis(allDone - killedAt));
            assertThat(firstClaim.get()).as("runs were claimed from the dead owner").isNotZero();
            for (Map.Entry<String, Integer> e : effects.entrySet()) {
                // every node ran as attempt 1; recorded nodes ran once, the node in flight at the kill ran again
                // here with the same idempotency key
                assertThat(e.getKey()).endsWith("/1");
                assertThat(e.getValue()).as(e.getKey()).isEqualTo(e.getKey().contains("/third/") ? 2 : 1);
            }
            assertThat(effects.size()).isEqualTo(600);
            for (int i = 0; i < 200; i++) {
                assertThat(survivor.queries().get("run-" + i).takeovers()).isEqualTo(1);
            }
        } finally {
            if (victim != null && victim.isAlive()) {
                victim.destroyForcibly();
            }
            camel.stop();
            hz.shutdown();
            events.close();
        }
    }
}
