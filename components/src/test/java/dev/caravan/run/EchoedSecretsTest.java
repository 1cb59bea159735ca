package dev.caravan.run;

import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import dev.caravan.test.LocalHttpServer;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real HTTP service that echoes its request headers in its reply: the secrets and credentials a node sent come back
 * in its output, and are redacted before the run keeps them (the run record, its events, the rows and the file of the
 * H2 store, the logs at DEBUG). Caravan's own headers never reach the service.
 */
class EchoedSecretsTest {

    private static final String SECRET = "tok-3ch03d-s3cr3t-77a1";
    private static final String INPUT_KEY = "key-fr0m-1nput-5be2";
    private static final String TOOL_TOKEN = "tool-b3ar3r-t0k3n-0c9d";
    private static final String CALLER_TOKEN = "c4ll3r-t0k3n-19fe";

    @TempDir
    static Path dir;

    private static final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

    // the HTTP client's wire and header logs dump every byte it sends, credentials included, by design: they
    // stay off, as Caravan's own logging configuration keeps them (everything else is captured at DEBUG)
    @RegisterExtension
    @Order(1)
    static final LogCapture logs = LogCapture.of("echoed-secrets-capture", "org.apache.hc.client5.http.wire",
            "org.apache.hc.client5.http.headers");

    /** Replies with the request's headers, as services that echo a request do. */
    @RegisterExtension
    @Order(2)
    static final LocalHttpServer echo = LocalHttpServer.start("/echo", exchange -> {
        exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                String.join(",", values)));
        received.add(headers);
        LocalHttpServer.reply(exchange, "application/json", Json.write(headers).getBytes(StandardCharsets.UTF_8));
    });

    @RegisterExtension
    @Order(3)
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .configure(camel -> camel.getPropertiesComponent().addOverrideProperty("caravan.store.jdbc-url", jdbcUrl()))
            .property("caravan.secret.KB_TOKEN", SECRET)
            .routes(rb -> {
                // a tool whose route adds its own credential, as routes calling an authenticated API do
                rb.from("direct:authed-kb")
                        .process(e -> e.getMessage().setBody(Json.write(e.getMessage().getBody())))
                        .setHeader("Authorization", rb.constant("Bearer " + TOOL_TOKEN))
                        .to(echoUrl())
                        .convertBodyTo(String.class);
                rb.from("direct:local").process(e -> received.add(new TreeMap<>(Map.of(
                        "caravanrunid", String.valueOf(e.getMessage().getHeader("CamelCaravanRunId")),
                        "caravannodekey", String.valueOf(e.getMessage().getHeader("CamelCaravanNodeKey"))))));
            })
            .build();

    private static String echoUrl() {
        return echo.url() + "/echo";
    }

    /** The H2 store in the class's temporary folder (set by the time the engine starts). */
    private static String jdbcUrl() {
        return "jdbc:h2:file:" + dir.resolve("caravan").toAbsolutePath();
    }

    /** Runs a workflow of this spec ({@code nodes:}, {@code tools:}) to its end. */
    private static RunRecord run(String name, String spec, Map<String, Object> input) throws Exception {
        caravan.engine().catalog().deploy(new WorkflowLoader().load(name + ".caravan.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: %s
                spec:
                %s""".formatted(name, spec.indent(2))));
        RunRecord r = caravan.runs().start(RunService.StartRequest.of(name, input)).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        caravan.eventBus().drain(5_000);
        return r;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> outputOf(RunRecord r, String node) {
        return (Map<String, Object>) r.node(node).output();
    }

    private static List<RunEvent> eventsOf(RunRecord r) {
        return caravan.events().stream().filter(e -> e.runId().equals(r.runId())).toList();
    }

    /** Every text of every row of every table of the store, and every byte of its files. */
    private static void assertNotInTheStore(String value) throws Exception {
        List<String> cells = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "sa", "");
             Statement tables = c.createStatement();
             ResultSet t = tables.executeQuery(
                     "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'")) {
            List<String> names = new ArrayList<>();
            while (t.next()) {
                names.add(t.getString(1));
            }
            assertThat(names).isNotEmpty();
            for (String table : names) {
                try (Statement rows = c.createStatement(); ResultSet r = rows.executeQuery("SELECT * FROM " + table)) {
                    while (r.next()) {
                        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                            cells.add(r.getString(i));
                        }
                    }
                }
            }
        }
        assertThat(cells).isNotEmpty().allSatisfy(cell -> assertThat(String.valueOf(cell)).doesNotContain(value));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(contains(Files.readAllBytes(f), value.getBytes(StandardCharsets.UTF_8))).as(f.toString())
                        .isFalse();
            }
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void assertNowhere(RunRecord r, String value) throws Exception {
        assertThat(Json.write(caravan.queries().get(r.runId()))).doesNotContain(value);
        assertThat(eventsOf(r)).isNotEmpty().allSatisfy(e -> assertThat(Json.write(e)).doesNotContain(value));
        assertNotInTheStore(value);
        assertThat(logs.lines()).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain(value));
    }

    @Test
    void aSecretAnEndpointEchoesIsRedactedEverywhereTheRunIsKept() throws Exception {
        RunRecord r = run("echo-secret", """
                nodes:
                - id: fetch
                  call:
                    uri: "%s"
                    headers: { Authorization: "secret:KB_TOKEN" }
                """.formatted(echoUrl()), Map.of());
        // the service got the secret, and echoed it
        assertThat(received).anySatisfy(h -> assertThat(h).containsEntry("authorization", SECRET));
        assertThat(outputOf(r, "fetch")).containsEntry("authorization", "***");
        assertThat(eventsOf(r)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("caravan.node.completed");
            assertThat(Json.write(e.data())).contains("\"authorization\":\"***\"");
        });
        assertNowhere(r, SECRET);
    }

    @Test
    void credentialHeaderValuesAnEndpointEchoesAreRedactedFromItsOutput() throws Exception {
        RunRecord r = run("echo-credential", """
                nodes:
                - id: fetch
                  call:
                    uri: "%s"
                    headers: { X-Api-Key: "${{ input.key }}", Accept: "application/json" }
                """.formatted(echoUrl()), Map.of("key", INPUT_KEY));
        assertThat(received).anySatisfy(h -> assertThat(h).containsEntry("x-api-key", INPUT_KEY));
        Map<String, Object> output = outputOf(r, "fetch");
        assertThat(output).containsEntry("x-api-key", "***").containsEntry("accept", "application/json");
        // the run's input holds the key, as given; what the node got back does not
        assertThat(eventsOf(r)).filteredOn(e -> e.type().equals("caravan.node.completed"))
                .singleElement().satisfies(e -> assertThat(Json.write(e)).doesNotContain(INPUT_KEY));
    }

    @Test
    void credentialsOfTheRequestThatStartedARouteAreRedactedFromNodeOutputs() throws Exception {
        caravan.engine().catalog().deploy(new WorkflowLoader().load("inbound.caravan.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: inbound
                spec:
                  nodes:
                    - id: note
                      set: { text: "${{ input.note }}" }
                """));
        // a hand-written route that runs the workflow for an HTTP request hands it the request's headers
        Exchange done = caravan.camelContext().createProducerTemplate().request(WorkflowRoutes.routeUri("inbound"), e -> {
            e.getMessage().setBody(Map.of("note", "the caller sent " + CALLER_TOKEN));
            e.getMessage().setHeader("Authorization", "Bearer " + CALLER_TOKEN);
        });
        assertThat(done.getException()).isNull();
        RunRecord r = caravan.queries().get(done.getProperty("CamelCaravanRunId", String.class));
        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(outputOf(r, "note")).containsEntry("text", "the caller sent ***");
    }

    @Test
    void callsToRemoteEndpointsCarryNoCaravanHeaders() throws Exception {
        received.clear();
        RunRecord r = run("echo-headers", """
                nodes:
                - id: fetch
                  call: { uri: "%s", headers: { CamelCaravanRunId: "forged", CaravanRunId: "forged", X-Trace: "t-1" } }
                - id: local
                  needs: [fetch]
                  call: { uri: "direct:local" }
                """.formatted(echoUrl()), Map.of());
        assertThat(received).hasSize(2);
        Map<String, String> remote = received.get(0);
        assertThat(remote.keySet()).noneMatch(name -> name.startsWith("caravan") || name.startsWith("camelcaravan"))
                .contains("x-trace");
        assertThat(remote).containsEntry("idempotency-key", r.runId() + "/fetch/1");
        // routes in this process still get the run and node
        assertThat(received.get(1)).containsEntry("caravanrunid", r.runId()).containsEntry("caravannodekey", "local");
    }

    @Test
    void toolCallsToRemoteEndpointsCarryNoCaravanHeaders() throws Exception {
        received.clear();
        RunRecord r = run("echo-tool", """
                nodes:
                - id: answer
                  agent:
                    model: scripted
                    prompt: "Look it up"
                    tools: [echo]
                    scripted:
                      replies:
                        - toolCalls: [{ name: echo, arguments: { q: "refunds" } }]
                        - "Done."
                tools:
                  echo:
                    description: Echo
                    uri: "%s"
                """.formatted(echoUrl()), Map.of());
        assertThat(received).singleElement().satisfies(h -> {
            assertThat(h.keySet()).noneMatch(name -> name.startsWith("caravan") || name.startsWith("camelcaravan"));
            assertThat(h).containsEntry("idempotency-key", r.runId() + "/answer/1/tool/1.1");
        });
    }

    @Test
    void aCredentialAToolsRouteAddsIsRedactedFromWhatTheToolReturns() throws Exception {
        RunRecord r = run("echo-authed-tool", """
                nodes:
                - id: answer
                  agent:
                    model: scripted
                    prompt: "Look it up"
                    tools: [kb]
                    scripted:
                      replies:
                        - toolCalls: [{ name: kb, arguments: { q: "refunds" } }]
                        - "Done."
                tools:
                  kb:
                    description: Search the knowledge base
                    uri: direct:authed-kb
                """, Map.of());
        assertThat(received).anySatisfy(h -> assertThat(h).containsEntry("authorization", "Bearer " + TOOL_TOKEN));
        assertThat(eventsOf(r)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("caravan.tool.call.completed");
            assertThat(Json.write(e.data())).contains("\"authorization\":\"***\"");
        });
        assertNowhere(r, TOOL_TOKEN);
    }
}
