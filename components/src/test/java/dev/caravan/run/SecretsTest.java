package dev.caravan.run;

import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.state.ValueStore;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
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

    private static DefaultCamelContext camel;
    private static Engine engine;
    private static final List<RunEvent> events = new CopyOnWriteArrayList<>();
    private static final List<String> logs = new CopyOnWriteArrayList<>();
    private static final List<String> received = new CopyOnWriteArrayList<>();
    private static AbstractAppender capture;

    @BeforeAll
    static void start() throws Exception {
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        Configuration config = logContext.getConfiguration();
        capture = new AbstractAppender("secrets-capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringWriter text = new StringWriter();
                text.append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    event.getThrown().printStackTrace(new PrintWriter(text));
                }
                logs.add(text.toString());
            }
        };
        capture.start();
        config.addAppender(capture);
        config.getRootLogger().addAppender(capture, Level.ALL, null);
        config.getRootLogger().setLevel(Level.DEBUG);
        logContext.updateLoggers();

        camel = new DefaultCamelContext();
        camel.getPropertiesComponent().addOverrideProperty("caravan.secret.KB_TOKEN", SECRET);
        camel.getPropertiesComponent().addOverrideProperty("caravan.runs.inline-value-bytes", "1");
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:kb").process(e -> {
                    received.add(e.getMessage().getHeader("Authorization", String.class));
                    e.getMessage().setBody("authorized");
                });
                // an endpoint whose error quotes the request, as careless HTTP clients do
                from("direct:leaky").errorHandler(noErrorHandler()).process(e -> {
                    throw new IllegalStateException("401 for Authorization=" + e.getMessage().getHeader("Authorization"));
                });
            }
        });
        camel.start();
        engine = Engine.of(camel);
        engine.events().subscribe(events::add);
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
        LoggerContext logContext = (LoggerContext) LogManager.getContext(false);
        logContext.getConfiguration().getRootLogger().removeAppender("secrets-capture");
        logContext.getConfiguration().getRootLogger().setLevel(Level.ERROR);
        logContext.updateLoggers();
    }

    private static void assertNowhere(RunRecord r, String compiled) throws Exception {
        engine.events().drain(5_000);
        assertThat(Json.write(r)).doesNotContain(SECRET);
        assertThat(engine.hazelcast().<String, String>getMap(ValueStore.MAP_NAME).values()).isNotEmpty()
                .allSatisfy(value -> assertThat(value).doesNotContain(SECRET));
        assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(Json.write(e)).doesNotContain(SECRET));
        // the compiled routes carry no node text at all: the reference stays in the definition
        assertThat(compiled).doesNotContain(SECRET).doesNotContain("KB_TOKEN");
        assertThat(logs).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain(SECRET));
    }

    @Test
    void secretReachesTheEndpointAndNothingElse() throws Exception {
        var wf = new WorkflowLoader().load("kb.caravan.yaml", FLOW.formatted("kb-secret", "direct:kb"));
        engine.catalog().deploy(wf);
        RunRecord r = engine.runs().start(RunService.StartRequest.of("kb-secret", Map.of())).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(received).contains(SECRET);
        assertNowhere(r, new RouteCompiler().compile(wf));
    }

    @Test
    void aFailureQuotingTheSecretIsRecordedRedacted() throws Exception {
        var wf = new WorkflowLoader().load("leaky.caravan.yaml", FLOW.formatted("leaky-secret", "direct:leaky"));
        engine.catalog().deploy(wf);
        RunRecord r = engine.runs().start(RunService.StartRequest.of("leaky-secret", Map.of())).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("fetch").attempts()).isEqualTo(2);
        assertThat(r.error()).isEqualTo("401 for Authorization=***");
        assertNowhere(r, new RouteCompiler().compile(wf));
    }
}
