package dev.caravan.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Problem;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.json.Json;
import dev.caravan.run.Engine;
import dev.caravan.state.DefinitionStore;
import dev.caravan.state.DefinitionStore.Definition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code POST /api/v1/agent/run} does, apart from HTTP: one agent call without a workflow file. The request's
 * model, system message, prompt, tools and output schema become a workflow of one {@code agent} node, checked by the
 * loader that checks every definition and deployed through the catalog, then run with the request's input like any
 * run. The workflow is named after the hash of what defines it ({@code agent-} and 20 hex digits), so requests that
 * differ only in their input share one definition and its routes.
 */
final class AgentApi {

    /** Distinct agent definitions a cluster keeps at most: each is a workflow with its own routes on every member. */
    static final int MAX_DEFINITIONS = 1000;
    /** The origin of the definitions this API stores ({@link DefinitionStore.Definition#origin}). */
    static final String AGENT_ORIGIN = "agent";
    private static final String NODE = "agent";
    /** Tools an HTTP client defines may only call the routes an operator deployed, never an arbitrary endpoint. */
    private static final String TOOL_SCHEME = "direct:";
    private static final ObjectWriter CANONICAL = Json.MAPPER.writer()
            .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final Supplier<Engine> engine;
    private final WorkflowLoader loader;
    private final RunApi runs;
    private final int maxDefinitions;

    AgentApi(Supplier<Engine> engine, WorkflowLoader loader, RunApi runs, int maxDefinitions) {
        this.engine = engine;
        this.loader = loader;
        this.runs = runs;
        this.maxDefinitions = maxDefinitions;
    }

    /**
     * Deploys the agent's definition unless it is deployed already, then starts a run of it (in the trace of the
     * request's {@code traceparent} header, as a start): 202 as for a start.
     */
    ApiResponse run(String tenant, byte[] body, String traceparent) {
        Map<String, Object> request = RequestBodies.object(body,
                "{\"model\": \"openai:gpt-4o-mini\", \"prompt\": \"Summarize: ${{ input.text }}\", \"input\": {...}}");
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("model", RequestBodies.string(request, "model", true));
        String system = RequestBodies.string(request, "system", false);
        if (system != null) {
            agent.put("system", system);
        }
        agent.put("prompt", RequestBodies.string(request, "prompt", true));
        Object outputSchema = request.get("outputSchema");
        if (outputSchema != null) {
            if (!(outputSchema instanceof Map<?, ?>)) {
                throw RequestBodies.invalid("\"outputSchema\" must be a JSON Schema object");
            }
            agent.put("output", outputSchema);
        }
        Map<String, Object> tools = tools(request.get("tools"));
        if (!tools.isEmpty()) {
            agent.put("tools", List.copyOf(tools.keySet()));
        }
        String lane = RequestBodies.string(request, "lane", false);
        String correlationId = RequestBodies.string(request, "correlationId", false);
        Object input = request.get("input") != null ? request.get("input") : Map.of();

        String name = "agent-" + sha256(canonical(Map.of("agent", agent, "tools", tools))).substring(0, 20);
        Engine e = engine.get();
        if (e.catalog().get(name) == null) {
            deploy(e, name, agent, tools);
        }
        return runs.startRun(tenant, name, input, lane, null, correlationId, traceparent);
    }

    private void deploy(Engine e, String name, Map<String, Object> agent, Map<String, Object> tools) {
        if (e.definitions().get(name) == null && e.definitions().count(AGENT_ORIGIN) >= maxDefinitions) {
            throw new ApiException(409, "AGENT_DEFINITIONS_FULL", "Too many agent definitions", "this server has "
                    + "deployed " + maxDefinitions + " distinct agent definitions (model, system, prompt, tools and "
                    + "output schema), its limit; vary the input rather than the prompt, or deploy a workflow");
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("nodes", List.of(Map.of("id", NODE, "agent", agent)));
        if (!tools.isEmpty()) {
            spec.put("tools", tools);
        }
        spec.put("output", "${{ nodes." + NODE + ".output }}");
        Map<String, Object> definition = new LinkedHashMap<>();
        definition.put("apiVersion", WorkflowLoader.API_VERSION);
        definition.put("kind", WorkflowLoader.KIND);
        definition.put("metadata", Map.of("name", name, "description", "One agent call, from POST /api/v1/agent/run"));
        definition.put("spec", spec);
        String file = name + ".caravan.yaml";
        // JSON is YAML: the loader reads it as it reads any workflow file
        String source = Json.write(definition);
        Workflow wf;
        try {
            wf = loader.load(file, source);
        } catch (InvalidWorkflowException invalid) {
            List<String> errors = new ArrayList<>();
            for (Problem p : invalid.problems()) {
                errors.add(p.message());
            }
            throw new ApiException(422, "DEFINITION_INVALID", "Invalid definition", "the agent has "
                    + errors.size() + " problem" + (errors.size() == 1 ? "" : "s"), Map.of("errors", errors));
        }
        try {
            // kept with the runs: every member deploys it, and a run of it resumes after a restart
            e.definitions().deployAndStore(new Definition(name, file, source, AGENT_ORIGIN),
                    () -> e.catalog().deploy(wf, null, Map.of()));
        } catch (IllegalStateException | IllegalArgumentException notDeployable) {
            throw new ApiException(422, "DEFINITION_INVALID", "Invalid definition", notDeployable.getMessage());
        }
    }

    /** The request's tools as {@code spec.tools} takes them, by name; each calls a {@code direct:} route. */
    private static Map<String, Object> tools(Object value) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        if (!(value instanceof List<?> list)) {
            throw RequestBodies.invalid("\"tools\" must be a list of {name, description, parameters, uri}");
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> item)) {
                throw RequestBodies.invalid("tools[" + i + "] must be an object {name, description, parameters, uri}");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> tool = (Map<String, Object>) item;
            String name = RequestBodies.string(tool, "name", true);
            String uri = RequestBodies.string(tool, "uri", true);
            if (!uri.startsWith(TOOL_SCHEME) || uri.length() == TOOL_SCHEME.length()) {
                throw RequestBodies.invalid("tools[" + i + "].uri must name a direct: route the server deployed, such "
                        + "as direct:kb-search");
            }
            Map<String, Object> def = new LinkedHashMap<>(tool);
            def.remove("name");
            if (out.put(name, def) != null) {
                throw RequestBodies.invalid("tools names " + name + " more than once");
            }
        }
        return out;
    }

    private static String canonical(Object value) {
        try {
            return CANONICAL.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a request's members are JSON", e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
