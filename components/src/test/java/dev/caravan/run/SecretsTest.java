package dev.caravan.run;

import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.json.Json;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.state.ValueStore;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code secret:NAME} header reaches the endpoint, and the secret appears nowhere else: not in the run record,
 * the values stored by reference (here every value is), its events, the compiled routes, nor any log line at DEBUG,
 * on success and on a failure whose message quotes it.
 */
class SecretsTest {

    private static final String SECRET = "tok-3x4mpl3-s3cr3t-9f2c";
    private static final String FLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: %s
            spec:
              nodes:
                - id: fetch
                  retry: { maxAttempts: 2, initialDelay: 1ms }
                  call:
                    uri: "%s"
                    headers: { Authorization: "secret:KB_TOKEN", Accept: "text/plain" }
            """;

    private static final List<String> received = new CopyOnWriteArrayList<>();

    @RegisterExtension
    @Order(1)
    static final LogCapture logs = LogCapture.of("secrets-capture");

    @RegisterExtension
    @Order(2)
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.secret.KB_TOKEN", SECRET)
            .property("caravan.runs.inline-value-bytes", "1")
            .routes(rb -> {
                rb.from("direct:kb").process(e -> {
                    received.add(e.getMessage().getHeader("Authorization", String.class));
                    e.getMessage().setBody("authorized");
                });
                // an endpoint whose error quotes the request, as careless HTTP clients do
                rb.from("direct:leaky").errorHandler(rb.noErrorHandler()).process(e -> {
                    throw new IllegalStateException("401 for Authorization=" + e.getMessage().getHeader("Authorization"));
                });
            })
            .build();

    private static void assertNowhere(RunRecord r, String compiled) throws Exception {
        caravan.eventBus().drain(5_000);
        assertThat(Json.write(r)).doesNotContain(SECRET);
        assertThat(caravan.engine().hazelcast().<String, String>getMap(ValueStore.MAP_NAME).values()).isNotEmpty()
                .allSatisfy(value -> assertThat(value).doesNotContain(SECRET));
        assertThat(caravan.events()).isNotEmpty().allSatisfy(e -> assertThat(Json.write(e)).doesNotContain(SECRET));
        // the compiled routes carry no node text at all: the reference stays in the definition
        assertThat(compiled).doesNotContain(SECRET).doesNotContain("KB_TOKEN");
        assertThat(logs.lines()).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain(SECRET));
    }

    @Test
    void secretReachesTheEndpointAndNothingElse() throws Exception {
        var wf = new WorkflowLoader().load("kb.caravan.yaml", FLOW.formatted("kb-secret", "direct:kb"));
        caravan.engine().catalog().deploy(wf);
        RunRecord r = caravan.runs().start(RunService.StartRequest.of("kb-secret", Map.of())).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(received).contains(SECRET);
        assertNowhere(r, new RouteCompiler().compile(wf));
    }

    @Test
    void aFailureQuotingTheSecretIsRecordedRedacted() throws Exception {
        var wf = new WorkflowLoader().load("leaky.caravan.yaml", FLOW.formatted("leaky-secret", "direct:leaky"));
        caravan.engine().catalog().deploy(wf);
        RunRecord r = caravan.runs().start(RunService.StartRequest.of("leaky-secret", Map.of()))
                .get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("fetch").attempts()).isEqualTo(2);
        assertThat(r.error()).isEqualTo("401 for Authorization=***");
        assertNowhere(r, new RouteCompiler().compile(wf));
    }
}
