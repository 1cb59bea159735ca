package dev.caravan.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.CaravanException;
import dev.caravan.app.triggers.TriggerStatuses;
import dev.caravan.component.run.RunConstants;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.json.Json;
import dev.caravan.run.Engine;
import dev.caravan.run.IdempotentRunIds;
import dev.caravan.run.InvalidIdempotencyKeyException;
import dev.caravan.run.InvalidInputException;
import dev.caravan.run.KillSwitchException;
import dev.caravan.run.RunConflictException;
import dev.caravan.run.UnknownLaneException;
import dev.caravan.run.UnknownRunException;
import dev.caravan.run.UnknownWorkflowException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The REST API's routes: one platform-http route per operation, each handing the request to the class that does the
 * work ({@link RunApi}, {@link AgentApi}, {@link LaneApi}, {@link DefinitionApi}, {@link KillSwitchApi},
 * {@link TriggerApi}) and writing its answer as JSON, or as {@code application/problem+json} when it is refused.
 * Written in Java rather than YAML: every route is the same three steps (authenticate, call, answer) around a method
 * that is tested on its own, and the YAML would only name the beans.
 *
 * <p>Request headers are dropped before the answer is written: platform-http sends the message's headers back as
 * response headers, and the request's (Authorization among them) must not be echoed.
 */
final class ApiRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ApiRoutes.class);

    static final String JSON = "application/json";
    static final String PROBLEM_JSON = "application/problem+json";
    private static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** The property naming the tenants whose keys may call the admin operations (comma-separated). */
    static final String ADMIN_TENANTS = "caravan.api.admin-tenants";
    static final String OPENAPI_RESOURCE = "/dev/caravan/app/openapi.json";
    private static final List<String> YAML_TYPES = List.of("application/yaml", "text/yaml", "application/x-yaml",
            "text/x-yaml");
    private static final Pattern PATH_PARAMETER = Pattern.compile("\\{[^/}]+}");

    private final RunApi api = new RunApi(this::engine);
    private final RunEventsApi events = new RunEventsApi(this::engine);
    private final LaneApi lanes = new LaneApi(this::engine);
    private final KillSwitchApi killSwitches = new KillSwitchApi(this::engine);
    private final DefinitionApi definitions;
    private final TriggerApi triggers;
    private final AgentApi agents;
    private final ApiKeys keys;
    private final long maxBodyBytes;
    /** Read by the request threads, set once when the routes are configured. */
    private volatile Set<String> adminTenants = Set.of();
    /** The paths of the routes, relative to {@link RunApi#BASE}, with their {@code {parameters}}: filled by configure. */
    private final Set<String> paths = new LinkedHashSet<>();
    private volatile Engine engine;

    /** One operation: the tenant the caller acts for, and the exchange with the request's body and path. */
    @FunctionalInterface
    private interface Operation {
        ApiResponse handle(String tenant, Exchange exchange) throws Exception;
    }

    /**
     * {@code loader} checks definitions deployed over HTTP, as it checked the server's folders at start;
     * {@code triggers} tells what the triggers do, as the health check does.
     */
    ApiRoutes(ApiKeys keys, long maxBodyBytes, WorkflowLoader loader, TriggerStatuses triggers) {
        this.keys = keys;
        this.triggers = new TriggerApi(triggers);
        this.maxBodyBytes = maxBodyBytes;
        this.definitions = new DefinitionApi(this::engine, loader);
        this.agents = new AgentApi(this::engine, loader, api, AgentApi.MAX_DEFINITIONS);
    }

    @Override
    public void configure() throws IOException {
        adminTenants = adminTenants(getContext().getPropertiesComponent().resolveProperty(ADMIN_TENANTS).orElse(""));
        route("caravan-api-run-start", "/workflows/run", "POST",
                (tenant, ex) -> api.start(tenant, body(ex), ex.getMessage().getHeader(IDEMPOTENCY_KEY, String.class),
                        ex.getMessage().getHeader(RunConstants.TRACEPARENT, String.class)));
        route("caravan-api-run-get", "/workflows/{runId}", "GET", (tenant, ex) -> api.get(tenant, path(ex, "runId")));
        route("caravan-api-workflows", "/workflows", "GET", (tenant, ex) -> api.workflows());
        route("caravan-api-runs", "/runs", "GET", (tenant, ex) -> api.runs(tenant, query(ex)));
        route("caravan-api-triggers", "/triggers", "GET", (tenant, ex) -> triggers.list());
        // the JSON page; a request asking for text/event-stream is answered before it reaches this route (EventStreams)
        route("caravan-api-run-events", "/workflows/{runId}/events", "GET",
                (tenant, ex) -> events.page(tenant, path(ex, "runId"), query(ex)));
        route("caravan-api-run-retry", "/runs/{runId}/retry", "POST",
                (tenant, ex) -> api.retry(tenant, path(ex, "runId"), query(ex)));
        route("caravan-api-approval-resolve", "/approval/resolve", "POST",
                (tenant, ex) -> api.resolveGate(tenant, body(ex)));
        route("caravan-api-agent-run", "/agent/run", "POST",
                (tenant, ex) -> agents.run(tenant, body(ex),
                        ex.getMessage().getHeader(RunConstants.TRACEPARENT, String.class)));
        route("caravan-api-agent-cancel", "/agent/cancel", "POST", (tenant, ex) -> api.cancel(tenant, body(ex)));
        route("caravan-api-lane-create", "/lane/create", "POST", (tenant, ex) -> lanes.create(tenant, body(ex)));
        route("caravan-api-lane-cleanup", "/lane/cleanup", "POST", (tenant, ex) -> lanes.cleanup(tenant, body(ex)));
        route("caravan-api-lane-get", "/lanes/{laneId}", "GET", (tenant, ex) -> lanes.get(tenant, path(ex, "laneId")));
        route("caravan-api-definition-put", "/definitions/{name}", "PUT", (tenant, ex) -> {
            requireAdmin(tenant);
            return definitions.put(path(ex, "name"), yamlBody(ex));
        });
        route("caravan-api-kill-switch-change", "/admin/kill-switch", "POST", (tenant, ex) -> {
            requireAdmin(tenant);
            return killSwitches.change(body(ex));
        });
        route("caravan-api-kill-switch-list", "/admin/kill-switch", "GET", (tenant, ex) -> {
            requireAdmin(tenant);
            return killSwitches.list();
        });
        // the document describes the API, and says nothing a key would protect: clients fetch it before they have one
        ApiResponse openApi = ApiResponse.of(200, openApiDocument());
        paths.add("/openapi.json");
        from("platform-http:" + RunApi.BASE + "/openapi.json?httpMethodRestrict=GET")
                .routeId("caravan-api-openapi")
                .process(ex -> answer(ex, false, (tenant, e) -> openApi));
    }

    private static JsonNode openApiDocument() throws IOException {
        try (InputStream in = ApiRoutes.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI document " + OPENAPI_RESOURCE + " is not on the class path");
            }
            return Json.MAPPER.readTree(in);
        }
    }

    static Set<String> adminTenants(String value) {
        Set<String> out = new TreeSet<>();
        for (String t : value.split(",")) {
            if (!t.isBlank()) {
                out.add(t.strip());
            }
        }
        return Set.copyOf(out);
    }

    /**
     * Refuses an admin operation (it acts on every tenant) to a tenant that may not call it: a server without keys has
     * one tenant, who may; with keys, only the tenants {@value #ADMIN_TENANTS} names may.
     */
    private void requireAdmin(String tenant) {
        if (!keys.isEmpty() && !adminTenants.contains(tenant)) {
            throw new ApiException(403, "FORBIDDEN", "Forbidden", "this operation is for the tenants named by "
                    + ADMIN_TENANTS + ", and the key's tenant is not among them");
        }
    }

    /** A path parameter: platform-http puts it in a header of its name. */
    private static String path(Exchange ex, String name) {
        return ex.getMessage().getHeader(name, String.class);
    }

    /** The engine of the routes' context, found once: the one the server made, or made here by the first request. */
    private Engine engine() {
        Engine e = engine;
        if (e == null) {
            e = Engine.of(getContext());
            engine = e;
        }
        return e;
    }

    private void route(String id, String path, String method, Operation operation) {
        paths.add(path);
        from("platform-http:" + RunApi.BASE + path + "?httpMethodRestrict=" + method)
                .routeId(id)
                .process(ex -> answer(ex, true, operation));
    }

    /**
     * The API's paths, whatever the method, once the routes are configured (a path parameter matches one segment, and
     * a trailing {@code /} is allowed): a request on one of them that no route took used another method.
     */
    Pattern knownPaths() {
        if (paths.isEmpty()) {
            throw new IllegalStateException("the API's routes are not configured yet");
        }
        StringJoiner any = new StringJoiner("|", Pattern.quote(RunApi.BASE) + "(", ")/?");
        for (String path : paths) {
            StringBuilder p = new StringBuilder();
            Matcher parameter = PATH_PARAMETER.matcher(path);
            int at = 0;
            while (parameter.find()) {
                p.append(Pattern.quote(path.substring(at, parameter.start()))).append("[^/]+");
                at = parameter.end();
            }
            any.add(p.append(Pattern.quote(path.substring(at))));
        }
        return Pattern.compile(any.toString());
    }

    /** Answers with what the operation returns; {@code keyed} false for an operation that asks for no key. */
    private void answer(Exchange ex, boolean keyed, Operation operation) {
        Message m = ex.getMessage();
        int status;
        Object body;
        String type = JSON;
        boolean replayed = false;
        try {
            String tenant = keyed ? tenant(keys, m.getHeader("Authorization", String.class)) : null;
            ApiResponse r = operation.handle(tenant, ex);
            status = r.status();
            body = r.body();
            replayed = r.replayed();
        } catch (Exception e) {
            ApiException problem = problem(e);
            status = problem.status();
            body = problemBody(problem);
            type = PROBLEM_JSON;
        }
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, type);
        if (replayed) {
            m.setHeader("Idempotent-Replayed", "true");
        }
        try {
            m.setBody(Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            LOG.warn("Cannot write the answer to {} {}", ex.getFromRouteId(), e.getMessage());
            m.setHeader(Exchange.HTTP_RESPONSE_CODE, 500);
            m.setHeader(Exchange.CONTENT_TYPE, PROBLEM_JSON);
            m.setBody(Json.write(problemBody(internal())));
        }
    }

    /**
     * The query's parameters, from the raw query string: platform-http also copies them into headers, where a
     * request header of the same name would stand in for one.
     */
    private static Map<String, String> query(Exchange ex) {
        return query(ex.getMessage().getHeader(Exchange.HTTP_QUERY, String.class));
    }

    /** The parameters of a raw query string, each named once. */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key;
            String value;
            try {
                key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "REQUEST_INVALID", "Invalid request", "the query string is not "
                        + "URL-encoded");
            }
            if (out.put(key, value) != null) {
                throw new ApiException(400, "REQUEST_INVALID", "Invalid request", "the query names " + key
                        + " more than once");
            }
        }
        return out;
    }

    /** The tenant a request acts for: its key's, or {@code default} when the server takes no keys. */
    static String tenant(ApiKeys keys, String authorization) {
        if (keys.isEmpty()) {
            return "default";
        }
        // why a request is refused (no header, another scheme, an unknown key) is not said: it would help a guesser
        return keys.tenantOf(authorization).orElseThrow(() -> new ApiException(401, "UNAUTHORIZED", "Unauthorized",
                "this request needs a valid API key: Authorization: Bearer KEY"));
    }

    /**
     * The request body, refused when it is over the cap (the HTTP server refuses larger ones before they arrive) or
     * said to be other than JSON: the server decodes a form body ({@code curl -d} without a {@code Content-Type})
     * into form fields, so it would arrive empty.
     */
    private byte[] body(Exchange ex) {
        String type = ex.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        if (type != null && !isJson(type)) {
            throw new ApiException(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", "the body must be JSON "
                    + "sent with Content-Type: application/json, not " + type.split(";", 2)[0].strip());
        }
        byte[] bytes = ex.getMessage().getBody(byte[].class);
        if (bytes != null && bytes.length > maxBodyBytes) {
            throw tooLarge(maxBodyBytes);
        }
        return bytes;
    }

    /**
     * A workflow definition's body: YAML, sent as {@code application/yaml} or {@code text/yaml}; the cap holds as for
     * JSON bodies.
     */
    private byte[] yamlBody(Exchange ex) {
        String type = ex.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class);
        String mediaType = type == null ? null : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (mediaType == null || !YAML_TYPES.contains(mediaType)) {
            throw new ApiException(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", "the body must be the "
                    + "workflow's YAML sent with Content-Type: application/yaml (or text/yaml)"
                    + (mediaType == null ? "" : ", not " + mediaType));
        }
        byte[] bytes = ex.getMessage().getBody(byte[].class);
        if (bytes != null && bytes.length > maxBodyBytes) {
            throw tooLarge(maxBodyBytes);
        }
        return bytes;
    }

    private static boolean isJson(String contentType) {
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return mediaType.equals(JSON) || mediaType.endsWith("+json");
    }

    static ApiException tooLarge(long maxBodyBytes) {
        return new ApiException(413, "BODY_TOO_LARGE", "Request body too large", "the body is over " + maxBodyBytes
                + " bytes, the limit set by caravan.api.max-body-bytes");
    }

    /** What a failure says to the client: the engine's refusals by their codes, anything else a 500 that is logged. */
    static ApiException problem(Throwable e) {
        if (e instanceof ApiException a) {
            return a;
        }
        if (e instanceof InvalidInputException invalid) {
            return new ApiException(422, invalid.code(), "Invalid input", invalid.getMessage(),
                    Map.of("errors", invalid.problems()));
        }
        if (e instanceof UnknownWorkflowException unknown) {
            return new ApiException(404, unknown.code(), "No such workflow", unknown.getMessage());
        }
        if (e instanceof UnknownLaneException unknown) {
            return new ApiException(404, unknown.code(), "No such lane", "there is no lane " + unknown.laneId());
        }
        if (e instanceof UnknownRunException unknown) {
            return new ApiException(404, unknown.code(), "No such run", unknown.getMessage());
        }
        if (e instanceof KillSwitchException killed) {
            return new ApiException(409, killed.code(), "Stopped by a kill switch", killed.getMessage());
        }
        if (e instanceof RunConflictException conflict) {
            return new ApiException(409, conflict.code(), "Conflict", conflict.getMessage());
        }
        if (e instanceof InvalidIdempotencyKeyException invalid) {
            return new ApiException(400, invalid.code(), "Invalid Idempotency-Key", "the Idempotency-Key header must be"
                    + " 1 to " + IdempotentRunIds.MAX_KEY_LENGTH + " visible ASCII characters");
        }
        if (e instanceof CaravanException c) {
            return new ApiException(400, c.code(), "Request refused", c.getMessage());
        }
        LOG.warn("Unexpected failure answering a request", e);
        return internal();
    }

    private static ApiException internal() {
        return new ApiException(500, "INTERNAL", "Internal error", "the server failed to answer; its log says why");
    }

    /** RFC 9457 members, then {@code code} and the problem's own members. */
    static Map<String, Object> problemBody(ApiException p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "urn:caravan:problem:" + p.code().toLowerCase(Locale.ROOT).replace('_', '-'));
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.getMessage());
        body.put("code", p.code());
        body.putAll(p.extensions());
        return body;
    }
}
