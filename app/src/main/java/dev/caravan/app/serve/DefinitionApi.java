package dev.caravan.app.serve;

import dev.caravan.dsl.InvalidWorkflowException;
import dev.caravan.dsl.Problem;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.DefinitionStore;
import dev.caravan.state.DefinitionStore.Definition;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code PUT /api/v1/definitions/{name}} does, apart from HTTP: checks a workflow's YAML with the loader the
 * server loaded its folders with, and deploys it into the running server through the catalog as those were, replacing
 * a definition of the same name. The definition is kept in the cluster ({@link DefinitionStore}; with a database, in
 * it): every member deploys it, and it outlives a restart ({@link StoredDefinitions}).
 */
final class DefinitionApi {

    private final Supplier<Engine> engine;
    private final WorkflowLoader loader;

    DefinitionApi(Supplier<Engine> engine, WorkflowLoader loader) {
        this.engine = engine;
        this.loader = loader;
    }

    /** Deploys the definition: 201 when the name is new, 200 when it replaced one (or was the same already). */
    ApiResponse put(String name, byte[] body) {
        if (body == null || body.length == 0) {
            throw RequestBodies.invalid("the request has no body; expected the workflow's YAML");
        }
        String file = name + ".caravan.yaml";
        String source = yaml(body);
        Workflow wf;
        try {
            wf = loader.load(file, source);
        } catch (InvalidWorkflowException e) {
            throw invalid("the workflow has " + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s"),
                    e.problems());
        }
        if (!wf.name().equals(name)) {
            throw new ApiException(422, "NAME_MISMATCH", "Name mismatch", "the path names " + name + " and the "
                    + "workflow's metadata.name is " + wf.name() + "; PUT it at /api/v1/definitions/" + wf.name());
        }
        Engine e = engine.get();
        Workflow before = e.catalog().get(name);
        try {
            // every member deploys it, and it outlives a restart
            e.definitions().deployAndStore(new Definition(name, file, source, "api"),
                    () -> e.catalog().deploy(wf, null, Map.of()));
        } catch (UnknownWorkflowException missingChild) {
            throw new ApiException(422, "DEFINITION_INVALID", "Invalid definition", "the workflow runs a workflow "
                    + "that is not deployed: " + missingChild.getMessage() + "; deploy that one first");
        } catch (IllegalStateException | IllegalArgumentException notDeployable) {
            throw new ApiException(422, "DEFINITION_INVALID", "Invalid definition", notDeployable.getMessage());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("name", wf.name());
        summary.put("hash", wf.hash());
        summary.put("description", wf.description());
        summary.put("status", before == null ? "created" : before.hash().equals(wf.hash()) ? "unchanged" : "updated");
        return ApiResponse.of(before == null ? 201 : 200, summary);
    }

    private static String yaml(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw RequestBodies.invalid("the body is not UTF-8 text");
        }
    }

    private static ApiException invalid(String detail, List<Problem> problems) {
        List<Object> errors = new ArrayList<>();
        for (Problem p : problems) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("location", p.position().file() + ":" + p.position().line() + ":" + p.position().column());
            error.put("line", p.position().line());
            error.put("column", p.position().column());
            error.put("message", p.message());
            errors.add(error);
        }
        return new ApiException(422, "DEFINITION_INVALID", "Invalid definition", detail, Map.of("errors", errors));
    }
}
