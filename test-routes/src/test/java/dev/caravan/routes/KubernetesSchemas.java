package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON Schemas a Kubernetes API server checks resources against, as strict as
 * {@code kubectl apply --validate=strict}: Kubernetes' own kinds from the standalone-strict schemas of
 * {@code fixtures/k8s/schemas/core/} (v1.32.2, no {@code $ref}s: every definition is inlined), custom kinds from the
 * {@code openAPIV3Schema} of their CRDs.
 */
final class KubernetesSchemas {

    private final Path coreSchemas;
    /** The CRDs by "group/kind". */
    private final Map<String, JsonNode> crds = new HashMap<>();
    private final Map<String, JsonSchema> loaded = new HashMap<>();

    /** The schemas of the core kinds in {@code coreSchemas} and of the custom kinds the CRD files define. */
    KubernetesSchemas(Path coreSchemas, List<Path> crdFiles) {
        this.coreSchemas = coreSchemas;
        for (Path file : crdFiles) {
            for (JsonNode crd : yamlDocuments(file)) {
                crds.put(crd.at("/spec/group").asText() + "/" + crd.at("/spec/names/kind").asText(), crd);
            }
        }
    }

    /** The schema of a resource's apiVersion and kind, or empty when there is none here. */
    Optional<JsonSchema> of(JsonNode resource) {
        String apiVersion = resource.path("apiVersion").asText();
        String kind = resource.path("kind").asText();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        JsonNode crd = crds.get(group + "/" + kind);
        if (crd != null) {
            return Optional.of(loaded.computeIfAbsent(apiVersion + "/" + kind, k -> crdSchema(crd, version)));
        }
        // yannh's openapi2jsonschema names: <kind>-<version>.json for the core group, <kind>-<first label of the
        // group>-<version>.json otherwise (rbac.authorization.k8s.io -> rbac)
        String name = kind.toLowerCase() + (group.isEmpty() ? "" : "-" + group.split("\\.")[0]) + "-" + version
                + ".json";
        Path file = coreSchemas.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(loaded.computeIfAbsent(name, k -> coreSchema(file)));
    }

    private static JsonSchema coreSchema(Path file) {
        try {
            ObjectNode schema = (ObjectNode) Examples.JSON.readTree(file.toFile());
            // "http://json-schema.org/schema#" names no draft the validator knows; the files are written for draft 4
            schema.remove("$schema");
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The schema of a CRD's version, made strict: an object with declared properties (and no
     * {@code x-kubernetes-preserve-unknown-fields}) admits no other fields. An API server would drop them silently,
     * and with them what the author meant.
     */
    static JsonSchema crdSchema(JsonNode crd, String version) {
        JsonNode served = null;
        for (JsonNode v : crd.at("/spec/versions")) {
            if (v.path("name").asText().equals(version)) {
                served = v;
            }
        }
        assertThat(served).as("version %s of the CRD %s", version, crd.at("/metadata/name").asText()).isNotNull();
        JsonNode schema = served.at("/schema/openAPIV3Schema").deepCopy();
        strict(schema);
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
    }

    private static void strict(JsonNode schema) {
        if (!(schema instanceof ObjectNode s)) {
            return;
        }
        JsonNode properties = s.get("properties");
        if (properties != null && properties.isObject()) {
            if (!s.has("additionalProperties") && !s.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
                s.put("additionalProperties", false);
            }
            properties.forEach(KubernetesSchemas::strict);
        }
        strict(s.get("items"));
        strict(s.get("additionalProperties"));
        for (String combined : List.of("allOf", "anyOf", "oneOf")) {
            s.path(combined).forEach(KubernetesSchemas::strict);
        }
    }

    /** The documents of a YAML file, as JSON trees. */
    static List<JsonNode> yamlDocuments(Path file) {
        try {
            return yamlDocuments(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documents of a YAML stream (empty ones left out), as JSON trees. */
    static List<JsonNode> yamlDocuments(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(yaml)) {
            if (document != null) {
                documents.add(Examples.JSON.valueToTree(document));
            }
        }
        return documents;
    }

    /** The files of a folder, sorted. */
    static List<Path> files(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
