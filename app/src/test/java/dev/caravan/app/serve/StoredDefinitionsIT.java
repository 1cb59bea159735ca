package dev.caravan.app.serve;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService;
import dev.caravan.state.DefinitionStore.Definition;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.TestWorkflows;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Definitions deployed through the API on one member are deployed on every member, and on members that join later. */
class StoredDefinitionsIT {

    private static String flow(String name, String text) {
        return TestWorkflows.header(name) + """
                    - id: make
                      set: { text: "%s" }
                  output: ${{ nodes.make.output.text }}
                """.formatted(text);
    }

    private static DefaultCamelContext member(String cluster) {
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.name", cluster);
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.members", "127.0.0.1:5861, 127.0.0.1:5862");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.interface", "127.0.0.1");
        camel.getPropertiesComponent().addOverrideProperty("caravan.cluster.port", "5861");
        return camel;
    }

    @Test
    void aDefinitionStoredOnOneMemberIsDeployedOnEveryMemberAndOnOneThatJoinsLater() throws Exception {
        String cluster = "caravan-definitions-" + UUID.randomUUID();
        ByteArrayOutputStream problems = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(problems, true, StandardCharsets.UTF_8);
        WorkflowLoader loader = new WorkflowLoader();
        try (DefaultCamelContext one = member(cluster); DefaultCamelContext two = member(cluster)) {
            one.start();
            Engine a = Engine.of(one);
            a.definitions().put(new Definition("greeter", "greeter.caravan.yaml", flow("greeter", "v1"),
                    "api"));
            a.definitions().put(new Definition("broken", "broken.caravan.yaml", "spec: [", "api"));

            // a member that joins later deploys what is stored, and reports what does not load
            two.start();
            Engine b = Engine.of(two);
            try (StoredDefinitions stored = new StoredDefinitions(b, loader, err)) {
                assertThat(stored.deployAll()).containsExactly("greeter");
                assertThat(problems.toString(StandardCharsets.UTF_8)).contains("broken.caravan.yaml:")
                        .contains("skipped the definition broken");
                stored.listen();
                assertThat(b.runs().start(RunService.StartRequest.of("greeter", Map.of())).get(10, TimeUnit.SECONDS)
                        .output()).isEqualTo("v1");

                // a new version stored on the first member replaces the running one on the second
                a.definitions().put(new Definition("greeter", "greeter.caravan.yaml",
                        flow("greeter", "v2"), "api"));
                await().atMost(Duration.ofSeconds(10)).until(() -> b.catalog().get("greeter").hash()
                        .equals(loader.load("greeter.caravan.yaml", flow("greeter", "v2")).hash()));
                RunRecord r = b.runs().start(RunService.StartRequest.of("greeter", Map.of())).get(10, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
                assertThat(r.output()).isEqualTo("v2");
            }
        }
    }
}
