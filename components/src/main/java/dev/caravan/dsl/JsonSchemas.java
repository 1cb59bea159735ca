package dev.caravan.dsl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/** Checks that user JSON Schemas (run input, agent output, tool parameters) are valid against their meta-schema. */
final class JsonSchemas {

    static final String DEFAULT_DIALECT = "https://json-schema.org/draft/2020-12/schema";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, SpecVersion.VersionFlag> DIALECTS = Map.of(
            "https://json-schema.org/draft/2020-12/schema", SpecVersion.VersionFlag.V202012,
            "https://json-schema.org/draft/2019-09/schema", SpecVersion.VersionFlag.V201909,
            "http://json-schema.org/draft-07/schema", SpecVersion.VersionFlag.V7,
            "http://json-schema.org/draft-06/schema", SpecVersion.VersionFlag.V6,
            "http://json-schema.org/draft-04/schema", SpecVersion.VersionFlag.V4);
    /** Compiled meta-schemas by dialect; one cache per loader. */
    private final Map<String, JsonSchema> meta = new ConcurrentHashMap<>();

    /** A meta-schema violation: the path inside the checked schema (property names and indexes) and a message. */
    record Violation(List<Object> path, String message) {
    }

    JsonSchemas() {
    }

    /** The dialect URIs accepted in {@code $schema}. */
    static List<String> dialects() {
        return DIALECTS.keySet().stream().sorted().toList();
    }

    /** Normalises a {@code $schema} value to a known dialect URI, or null. */
    static String dialect(String declared) {
        if (declared == null) {
            return DEFAULT_DIALECT;
        }
        String d = declared.strip();
        if (d.endsWith("#")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.startsWith("https://json-schema.org/draft-0")) {
            d = "http" + d.substring(5);
        }
        return DIALECTS.containsKey(d) ? d : null;
    }

    /** Validates {@code schema} against the meta-schema of {@code dialect} (one of {@link #dialects()}). */
    List<Violation> check(Map<String, Object> schema, String dialect) {
        JsonSchema metaSchema = meta.computeIfAbsent(dialect, d -> JsonSchemaFactory.getInstance(DIALECTS.get(d))
                .getSchema(SchemaLocation.of(d)));
        JsonNode node = JSON.valueToTree(schema);
        Map<String, Violation> byPath = new LinkedHashMap<>();
        for (ValidationMessage m : metaSchema.validate(node)) {
            List<Object> path = path(m.getInstanceLocation());
            String text = m.getMessage();
            String loc = m.getInstanceLocation().toString();
            if (text.startsWith(loc + ": ")) {
                text = text.substring(loc.length() + 2);
            }
            byPath.putIfAbsent(path.toString(), new Violation(path, describe(path) + text));
        }
        if (byPath.isEmpty() && !hasNestedId(node, 0)) {
            localRefs(node, node, new ArrayList<>(), byPath, 0);
        }
        return new ArrayList<>(byPath.values());
    }

    /** Keywords whose values are data, not schemas: a {@code $ref} in them is no reference. */
    private static final Set<String> DATA_KEYWORDS = Set.of("const", "enum", "default", "examples");
    private static final int MAX_DEPTH = 64;

    /**
     * A {@code $ref} to a JSON pointer in the same schema ({@code #/$defs/item}) that points at nothing fails every
     * validation that reaches it (the run input's at run start): found here instead.
     */
    private static void localRefs(JsonNode root, JsonNode at, List<Object> path, Map<String, Violation> out,
            int depth) {
        if (depth > MAX_DEPTH) {
            return;
        }
        if (at.isObject()) {
            JsonNode ref = at.get("$ref");
            if (ref != null && ref.isTextual() && ref.asText().startsWith("#/") && !ref.asText().contains("%")) {
                JsonNode target;
                try {
                    target = root.at(JsonPointer.compile(ref.asText().substring(1)));
                } catch (IllegalArgumentException e) {
                    target = null;
                }
                if (target == null || target.isMissingNode()) {
                    List<Object> p = new ArrayList<>(path);
                    p.add("$ref");
                    out.putIfAbsent(p.toString(), new Violation(p, describe(p) + "'" + ref.asText()
                            + "' points at nothing in this schema"));
                }
            }
            at.fields().forEachRemaining(e -> {
                if (!DATA_KEYWORDS.contains(e.getKey())) {
                    List<Object> p = new ArrayList<>(path);
                    p.add(e.getKey());
                    localRefs(root, e.getValue(), p, out, depth + 1);
                }
            });
        } else if (at.isArray()) {
            for (int i = 0; i < at.size(); i++) {
                List<Object> p = new ArrayList<>(path);
                p.add(i);
                localRefs(root, at.get(i), p, out, depth + 1);
            }
        }
    }

    /** Whether a sub-schema sets its own {@code $id}, which changes what its {@code #/...} references point into. */
    private static boolean hasNestedId(JsonNode at, int depth) {
        if (depth > MAX_DEPTH) {
            return true;
        }
        for (JsonNode child : at) {
            if (child.isObject() && child.has("$id") || (child.isContainerNode() && hasNestedId(child, depth + 1))) {
                return true;
            }
        }
        return false;
    }

    private static String describe(List<Object> path) {
        if (path.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Object p : path) {
            if (p instanceof Integer i) {
                sb.append('[').append(i).append(']');
            } else {
                sb.append(sb.length() == 0 ? "" : ".").append(p);
            }
        }
        return sb + ": ";
    }

    private static List<Object> path(JsonNodePath p) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < p.getNameCount(); i++) {
            out.add(p.getElement(i));
        }
        return out;
    }
}
