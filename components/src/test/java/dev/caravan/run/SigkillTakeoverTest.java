package dev.caravan.run;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventBus;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two engine JVMs in one cluster: the other one starts 200 runs whose nodes take time and is killed with SIGKILL
 * midway; this one finishes all 200. No node ran twice except the ones in flight at the kill, which ran again with
 * the same idempotency key.
 */
class SigkillTakeoverTest {

    @Test
    void survivorFinishesEveryRunOfAMemberKilledWithSigkill() throws Exception {
        String cluster = "caravan-sigkill-" + UUID.randomUUID();
        EventBus events = new EventBus();
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(ClusterMemberMain.member(cluster, events));
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.addRoutes(ClusterMemberMain.work(hz));
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
            // midway: some nodes done, many still to go
            await().atMost(60, TimeUnit.SECONDS).until(() -> effects.size() >= 250);
            victim.destroyForcibly(); // SIGKILL
            victim.waitFor(10, TimeUnit.SECONDS);

            await().atMost(120, TimeUnit.SECONDS).until(() -> {
                for (int i = 0; i < 200; i++) {
                    RunRecord r = survivor.runs().get("run-" + i);
                    if (r == null || r.status() != RunStatus.COMPLETED) {
                        return false;
                    }
                }
                return true;
            });
            int reruns = 0;
            for (Map.Entry<String, Integer> e : effects.entrySet()) {
                // every node ran as attempt 1, at most twice: once before the kill and once after it
                assertThat(e.getKey()).endsWith("/1");
                assertThat(e.getValue()).as(e.getKey()).isBetween(1, 2);
                reruns += e.getValue() - 1;
            }
            assertThat(effects.size()).isEqualTo(600);
            // only nodes in flight at the kill ran again; the victim ran at most one node per run at a time
            assertThat(reruns).isLessThanOrEqualTo(200);
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
