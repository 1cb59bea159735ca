package dev.caravan.routes;

import dev.caravan.app.serve.CaravanServer;
import dev.caravan.app.serve.ServeOptions;
import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kamelet.KameletComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code caravan-events-source} reads what a real server publishes: a {@code caravan serve} in this JVM (its embedded
 * broker, its relay) runs workflows, and a separate Camel context, as another integration would be, receives the
 * events through the Kamelet, filtered as its properties say.
 */
class EventsSourceKameletTest {

    @TempDir
    static Path dir;

    static CaravanServer server;
    static DefaultCamelContext consumer;
    static final List<Exchange> completions = new CopyOnWriteArrayList<>();
    static final List<Exchange> ofAcme = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Path examples = Examples.file("hello").getParent();
        server = CaravanServer.start(new ServeOptions("127.0.0.1", freePort(), dir.resolve("data"), List.of(examples),
                Map.of("caravan.kafka.embedded.port", "0", "caravan.workflows.watch", "false"), examples.getParent()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String bootstrap = server.kafka().bootstrapServers();

        consumer = new DefaultCamelContext();
        consumer.getComponent("kamelet", KameletComponent.class).setLocation("file:../kamelets");
        // bound as a Pipe binds a Kamelet: camel.kamelet.<kamelet>.<id>.<property>
        Map<String, String> completed = Map.of("bootstrapServers", bootstrap, "consumerGroup", "completions",
                "autoOffsetReset", "earliest", "types", "caravan\\.run\\.(completed|failed)", "workflow", "hello");
        Map<String, String> acme = Map.of("bootstrapServers", bootstrap, "consumerGroup", "acme",
                "autoOffsetReset", "earliest", "tenant", "acme");
        completed.forEach((k, v) -> consumer.getPropertiesComponent()
                .addOverrideProperty("camel.kamelet.caravan-events-source.completed." + k, v));
        acme.forEach((k, v) -> consumer.getPropertiesComponent()
                .addOverrideProperty("camel.kamelet.caravan-events-source.acme." + k, v));
        consumer.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("kamelet:caravan-events-source/completed").process(completions::add);
                from("kamelet:caravan-events-source/acme").process(ofAcme::add);
            }
        });
        consumer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (consumer != null) {
            consumer.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void receivesTheEventsOfItsTypesAndWorkflowWithTheirAttributesAsHeaders() throws Exception {
        RunRecord hello = server.engine().runs().run(new RunService.StartRequest("hello", Map.of("name", "Ada"), null,
                null, null, null, null));
        RunRecord other = server.engine().runs().run(new RunService.StartRequest("diamond", Examples.input("diamond"),
                null, null, null, null, null));
        assertThat(hello.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(other.status()).isEqualTo(RunStatus.COMPLETED);

        await().atMost(Duration.ofSeconds(60)).until(() -> completions.stream()
                .anyMatch(e -> hello.runId().equals(e.getMessage().getHeader("ce_runid"))));
        Exchange done = completions.stream().filter(e -> hello.runId().equals(e.getMessage().getHeader("ce_runid")))
                .findFirst().orElseThrow();
        assertThat(done.getMessage().getHeader("ce_type")).isEqualTo("caravan.run.completed");
        assertThat(done.getMessage().getHeader("ce_workflow")).isEqualTo("hello");
        assertThat(done.getMessage().getHeader("ce_traceparent", String.class))
                .startsWith("00-" + hello.runId().replace("-", ""));
        assertThat(done.getMessage().getBody(String.class)).contains("Hello, Ada!");
        // only completions of hello: no started or node events, nothing of the other workflow
        assertThat(completions).allSatisfy(e -> {
            assertThat(e.getMessage().getHeader("ce_type", String.class)).matches("caravan\\.run\\.(completed|failed)");
            assertThat(e.getMessage().getHeader("ce_workflow")).isEqualTo("hello");
        });
    }

    @Test
    void receivesEveryEventOfItsTenantLaneEventsIncluded() throws Exception {
        server.engine().lanes().create("events-lane", "acme", 1);
        RunRecord run = server.engine().runs().run(new RunService.StartRequest("hello", Map.of("name", "Bo"), "acme",
                "events-lane", null, null, null));
        server.engine().runs().run(new RunService.StartRequest("hello", Map.of("name", "Cy"), "other", null, null,
                null, null));

        await().atMost(Duration.ofSeconds(60)).until(() -> ofAcme.stream()
                .anyMatch(e -> "caravan.lane.created".equals(e.getMessage().getHeader("ce_type")))
                && ofAcme.stream().anyMatch(e -> run.runId().equals(e.getMessage().getHeader("ce_runid"))
                                           && "caravan.run.completed".equals(e.getMessage().getHeader("ce_type"))));
        assertThat(ofAcme).allSatisfy(e -> assertThat(e.getMessage().getHeader("ce_tenantid")).isEqualTo("acme"));
        // a run's events arrive in sequence order
        List<Long> sequences = ofAcme.stream().filter(e -> run.runId().equals(e.getMessage().getHeader("ce_runid")))
                .map(e -> Long.parseLong(e.getMessage().getHeader("ce_sequence", String.class))).toList();
        assertThat(sequences).isSorted().startsWith(1L);
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
