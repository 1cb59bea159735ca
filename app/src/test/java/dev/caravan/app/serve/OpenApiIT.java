package dev.caravan.app.serve;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.run.InputValidator;
import dev.caravan.run.InvalidInputException;
import org.apache.camel.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The OpenAPI document the server publishes, held against the server: every documented operation is called and
 * answers with one of its documented statuses and a body its documented schema accepts, and every route of the API is
 * documented.
 */
class OpenApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch");
    private static final String LANE = "openapi-lane";
    private static final String DEFINITION = "openapi-hello";

    @TempDir
    static Path dir;

    static CaravanServer server;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static JsonNode doc;
    static String helloYaml;

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Path.of(OpenApiIT.class.getResource("/serve/workflows").toURI());
        Path operations = Path.of(OpenApiIT.class.getResource("/serve/operations").toURI());
        server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                List.of(workflows, operations), Map.of(CaravanServer.KAFKA_BOOTSTRAP, "127.0.0.1:9"),
                workflows.getParent()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        HttpResponse<String> served = send("GET", "/api/v1/openapi.json", null, null);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/json"));
        doc = JSON.readTree(served.body());
        helloYaml = Files.readString(workflows.resolve("hello.caravan.yaml"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void servesTheOpenApi31DocumentWhoseReferencesAllResolve() throws Exception {
        try (InputStream in = OpenApiIT.class.getResourceAsStream(ApiRoutes.OPENAPI_RESOURCE)) {
            assertThat(doc).isEqualTo(JSON.readTree(in));
        }
        assertThat(doc.get("openapi").asText()).isEqualTo("3.1.0");
        assertThat(doc.at("/servers/0/url").asText()).isEqualTo(RunApi.BASE);
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
        for (Map.Entry<String, JsonNode> op : operations().entrySet()) {
            assertThat(op.getValue().path("operationId").asText()).as(op.getKey()).isNotBlank();
            assertThat(op.getValue().path("responses").size()).as(op.getKey()).isPositive();
        }
    }

    @Test
    void everyDocumentedOperationAnswersWithADocumentedStatusAndBody() throws Exception {
        String paused = pausedRun();
        String toCancel = pausedRun();
        Map<String, String> bodies = Map.of(
                "startRun", "{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}}",
                "runAgent", "{\"model\": \"scripted\", \"prompt\": \"Hi ${{ input.name }}\", \"input\": {\"name\": \"Ada\"}}",
                "resolveApproval", "{\"runId\": \"" + paused + "\", \"node\": \"approve\", \"decision\": \"approve\"}",
                "cancelRun", "{\"runId\": \"" + toCancel + "\", \"reason\": \"checked by the OpenAPI test\"}",
                "createLane", "{\"laneId\": \"" + LANE + "\", \"cap\": 1}",
                "cleanupLane", "{\"laneId\": \"" + LANE + "\", \"mode\": \"drain\"}",
                "putDefinition", helloYaml.replace("name: hello", "name: " + DEFINITION),
                "changeKillSwitch", "{\"scope\": \"workflow\", \"target\": \"not-deployed\", \"clear\": true}");
        Map<String, String> pathValues = Map.of("runId", paused, "laneId", LANE, "name", DEFINITION);
        Map<String, String> queryValues = Map.of("from", "draft", "limit", "5");

        List<String> called = new ArrayList<>();
        List<String> successes = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : operations().entrySet()) {
            JsonNode op = e.getValue();
            String method = e.getKey().split(" ", 2)[0];
            String path = e.getKey().split(" ", 2)[1];
            String id = op.get("operationId").asText();
            HttpResponse<String> r = send(method, RunApi.BASE + fill(path, op, pathValues, queryValues),
                    bodies.getOrDefault(id, op.has("requestBody") ? "{}" : null), contentType(op));
            assertDocumented(id, op, r);
            called.add(id);
            if (r.statusCode() < 300) {
                successes.add(id);
            }

            // the same operation, refused: with a body that is no JSON, or naming nothing there is
            if (op.at("/requestBody/content").has("application/json")) {
                HttpResponse<String> malformed = send(method, RunApi.BASE + fill(path, op, pathValues, queryValues),
                        "{", "application/json");
                assertThat(malformed.statusCode()).as(id + " with malformed JSON").isEqualTo(400);
                assertDocumented(id, op, malformed);
            }
            if (path.contains("{runId}") || path.contains("{laneId}")) {
                HttpResponse<String> unknown = send(method, RunApi.BASE + fill(path, op, Map.of("runId", "no-such-run",
                        "laneId", "no-such-lane"), queryValues), bodies.get(id), contentType(op));
                assertThat(unknown.statusCode()).as(id + " of nothing").isEqualTo(404);
                assertDocumented(id, op, unknown);
            }
        }
        assertThat(called).hasSize(operations().size()).hasSizeGreaterThanOrEqualTo(15);
        // what answered with success shows the samples reached the operations, not only their refusals
        assertThat(successes).contains("startRun", "runAgent", "getRun", "listWorkflows", "listRuns", "retryRun", "cancelRun",
                "createLane", "cleanupLane", "putDefinition", "changeKillSwitch", "listKillSwitches", "getOpenApi");
    }

    @Test
    void theOperationsThatStartRunsDocumentTheTraceparentHeaderTheyHonour() {
        for (String op : List.of("post /workflows/run", "post /agent/run")) {
            assertThat(operations().get(op).path("parameters")).as(op).anySatisfy(p -> {
                assertThat(p.path("name").asText()).isEqualTo("traceparent");
                assertThat(p.path("in").asText()).isEqualTo("header");
                assertThat(p.path("required").asBoolean(true)).isFalse();
                assertThat(p.path("description").asText()).contains("malformed header is ignored");
            });
        }
    }

    @Test
    void everyRouteOfTheApiIsDocumentedAndEveryDocumentedOperationHasARoute() {
        Pattern uri = Pattern.compile("platform-http:/*(/api/v1[^?]*)\\?.*httpMethodRestrict=([A-Z]+)");
        Set<String> routes = new TreeSet<>();
        for (Route route : server.engine().camelContext().getRoutes()) {
            if (!route.getRouteId().startsWith("caravan-api-")) {
                continue;
            }
            Matcher m = uri.matcher(route.getEndpoint().getEndpointUri());
            assertThat(m.find()).as(route.getEndpoint().getEndpointUri()).isTrue();
            String path = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
            routes.add(m.group(2).toLowerCase() + " " + path.substring(RunApi.BASE.length()));
        }
        assertThat(routes).hasSizeGreaterThanOrEqualTo(15);
        assertThat(new TreeSet<>(operations().keySet())).isEqualTo(routes);
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** Every operation, keyed {@code method path} with the path as documented (relative to the server URL). */
    private static Map<String, JsonNode> operations() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = doc.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (METHODS.contains(op.getKey())) {
                    out.put(op.getKey() + " " + path.getKey(), op.getValue());
                }
            }
        }
        return out;
    }

    /** The answer's status is one the operation documents, its type the documented one, its body of that schema. */
    private static void assertDocumented(String id, JsonNode op, HttpResponse<String> r) throws Exception {
        String status = String.valueOf(r.statusCode());
        assertThat(op.get("responses").has(status)).as(id + " answered " + status + " " + r.body()
                + ", which it does not document").isTrue();
        JsonNode response = op.get("responses").get(status);
        if (response.has("$ref")) {
            response = doc.at(response.get("$ref").asText().substring(1));
        }
        JsonNode content = response.get("content");
        assertThat(content).as(id + " " + status + " documents no content").isNotNull();
        String type = r.headers().firstValue("Content-Type").orElse("").split(";", 2)[0].strip();
        assertThat(content.has(type)).as(id + " " + status + " answered " + type).isTrue();
        Map<String, Object> schema = JSON.convertValue(content.get(type).get("schema"), new TypeReference<>() { });
        // the document's components beside the schema: its references resolve within it
        Map<String, Object> withComponents = new LinkedHashMap<>(schema);
        withComponents.put("components", JSON.convertValue(doc.get("components"), new TypeReference<Map<String, Object>>() { }));
        try {
            InputValidator.of(id + " " + status, withComponents).validate(JSON.readValue(r.body(), Object.class));
        } catch (InvalidInputException e) {
            fail(id + " " + status + " answered a body its schema refuses: " + e.problems() + "\n" + r.body());
        }
    }

    private static String fill(String path, JsonNode op, Map<String, String> pathValues, Map<String, String> query) {
        String filled = path;
        for (Map.Entry<String, String> v : pathValues.entrySet()) {
            filled = filled.replace("{" + v.getKey() + "}", v.getValue());
        }
        StringBuilder q = new StringBuilder();
        for (JsonNode p : op.path("parameters")) {
            if (p.get("in").asText().equals("query") && query.containsKey(p.get("name").asText())) {
                q.append(q.length() == 0 ? "?" : "&").append(p.get("name").asText()).append('=')
                        .append(query.get(p.get("name").asText()));
            }
        }
        assertThat(filled).doesNotContain("{");
        return filled + q;
    }

    private static String contentType(JsonNode op) {
        Iterator<String> types = op.at("/requestBody/content").fieldNames();
        return types.hasNext() ? types.next() : null;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            node.fields().forEachRemaining(f -> {
                if (f.getKey().equals("$ref")) {
                    refs.add(f.getValue().asText());
                } else {
                    collectRefs(f.getValue(), refs);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> collectRefs(n, refs));
        }
    }

    private static String pausedRun() throws Exception {
        HttpResponse<String> started = send("POST", "/api/v1/workflows/run", "{\"workflow\": \"approval\"}",
                "application/json");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String runId = JSON.readTree(started.body()).get("runId").asText();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> send("GET", "/api/v1/workflows/" + runId, null, null).body()
                        .contains("\"status\":\"awaiting_approval\""));
        return runId;
    }

    private static HttpResponse<String> send(String method, String path, String body, String type) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method.toUpperCase(), body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (type != null && body != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
