package dev.caravan.dsl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** The published JSON Schema of the workflow format accepts every example and test workflow, and rejects bad ones. */
class WorkflowSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = repositoryRoot();
    private static final JsonSchema SCHEMA = schema();

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docs/schema/workflow.schema.json"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("docs/schema/workflow.schema.json not found above " + Path.of("")
                    .toAbsolutePath());
        }
        return dir;
    }

    private static JsonSchema schema() {
        try {
            JsonNode schema = JSON.readTree(ROOT.resolve("docs/schema/workflow.schema.json").toFile());
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode yaml(String content) {
        LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).build();
        return JSON.valueToTree(new Load(settings).loadFromString(content));
    }

    private static Set<ValidationMessage> validate(Path file) {
        try {
            return SCHEMA.validate(yaml(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> workflows() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(ROOT.resolve("routes/examples"),
                ROOT.resolve("components/src/test/resources/workflows"))) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".caravan.yaml")).sorted().forEach(files::add);
                }
            }
        }
        return files;
    }

    @Test
    void schemaIsAValidDraft07Schema() throws IOException {
        JsonSchema meta = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
                .getSchema(SchemaLocation.of("http://json-schema.org/draft-07/schema"));
        assertThat(meta.validate(JSON.readTree(ROOT.resolve("docs/schema/workflow.schema.json").toFile()))).isEmpty();
    }

    @Test
    void acceptsEveryExampleAndTestWorkflow() throws IOException {
        List<Path> files = workflows();
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            assertThat(validate(file)).as("schema problems of %s", ROOT.relativize(file))
                    .extracting(ValidationMessage::getMessage).isEmpty();
        }
    }

    @Test
    void rejectsWhatTheLoaderRejects() {
        String bad = """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: Bad_Name }
                spec:
                  nodes:
                    - id: a
                      call: { uri: direct:x }
                      set: { x: 1 }
                    - id: b
                      agent: { promt: hi }
                    - id: c
                      wait: { duration: 10 seconds }
                    - id: d
                      map: { items: [1], concurrency: 0, nodes: [ { id: s, set: { v: 1 } } ] }
                    - id: e
                      gate: { onTimeout: maybe }
                """;
        String problems = SCHEMA.validate(yaml(bad)).stream().map(ValidationMessage::getMessage)
                .collect(Collectors.joining("\n"));
        assertThat(problems)
                .contains("$.metadata.name: does not match the regex pattern")
                .contains("$.spec.nodes[1].agent: property 'promt' is not defined in the schema")
                .contains("$.spec.nodes[1].agent: required property 'prompt' not found")
                .contains("$.spec.nodes[3].map.concurrency: must have a minimum value of 1")
                .contains("$.spec.nodes[4].gate.onTimeout: does not have a value in the enumeration");
        assertThat(problems).containsPattern("\\$\\.spec\\.nodes\\[0\\]: must be valid to one and only one schema");
        assertThat(problems).contains("$.spec.nodes[2].wait.duration");
    }

    @Test
    void rejectsBadOnErrorValuesAndFailNodesAsTheLoaderDoes() {
        String bad = """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: bad }
                spec:
                  nodes:
                    - id: a
                      onError: ignore
                      set: { x: 1 }
                    - id: b
                      fail: { code: X }
                    - id: c
                      fail: { message: stop, code: "no such code" }
                """;
        String problems = SCHEMA.validate(yaml(bad)).stream().map(ValidationMessage::getMessage)
                .collect(Collectors.joining("\n"));
        assertThat(problems)
                .contains("$.spec.nodes[0].onError: does not have a value in the enumeration")
                .contains("$.spec.nodes[1].fail: required property 'message' not found")
                .contains("$.spec.nodes[2].fail.code");
    }

    private static JsonNode definitions() throws IOException {
        return JSON.readTree(ROOT.resolve("docs/schema/workflow.schema.json").toFile()).path("definitions");
    }

    private static List<String> keys(JsonNode object) {
        List<String> keys = new ArrayList<>();
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            keys.add(names.next());
        }
        return keys;
    }

    /** Neither a kind nor the schema can gain a key the other lacks. */
    @Test
    void theSchemaDefinesEachNodeKindWithThatKindsKeys() throws IOException {
        JsonNode definitions = definitions();
        for (NodeKind kind : NodeKinds.installed(null).all()) {
            JsonNode definition = definitions.path(kind.name());
            assertThat(definition.path("type").asText()).as("definitions.%s.type", kind.name()).isEqualTo("object");
            if (kind.keys().isEmpty()) {
                // the user names the keys (set, remember): any name, each value a template
                assertThat(definition.has("properties")).as("definitions.%s.properties", kind.name()).isFalse();
                assertThat(definition.path("additionalProperties").path("$ref").asText())
                        .as("definitions.%s.additionalProperties", kind.name()).isEqualTo("#/definitions/template");
            } else {
                assertThat(keys(definition.path("properties"))).as("keys of definitions.%s", kind.name())
                        .containsExactlyElementsOf(kind.keys());
                assertThat(definition.path("additionalProperties").isBoolean()
                           && !definition.path("additionalProperties").asBoolean())
                        .as("definitions.%s.additionalProperties is false", kind.name()).isTrue();
            }
        }
    }

    @Test
    void theSchemasNodeHasTheCommonKeysAndExactlyOneOfTheKinds() throws IOException {
        JsonNode node = definitions().path("node");
        NodeKinds kinds = NodeKinds.installed(null);
        List<String> expected = new ArrayList<>(WorkflowParser.NODE_KEYS);
        expected.addAll(kinds.names());
        assertThat(keys(node.path("properties"))).containsExactlyElementsOf(expected);
        for (String kind : kinds.names()) {
            assertThat(node.path("properties").path(kind).path("$ref").asText()).as("node.properties.%s", kind)
                    .isEqualTo("#/definitions/" + kind);
        }
        List<String> oneOf = new ArrayList<>();
        node.path("oneOf").forEach(required -> oneOf.add(required.path("required").path(0).asText()));
        assertThat(oneOf).containsExactlyElementsOf(kinds.names());
    }
}
