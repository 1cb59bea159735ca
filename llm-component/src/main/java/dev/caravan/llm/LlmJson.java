package dev.caravan.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.caravan.support.JsonProblems;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** JSON helpers of the component: parsing, serializing, JSON Schema conversion and validation. */
final class LlmJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private LlmJson() {
    }

    /** Parses JSON Schema text to a map, failing with IllegalArgumentException naming {@code what}. */
    static Map<String, Object> parseSchema(String schemaText, String what) {
        try {
            Map<String, Object> map = MAPPER.readValue(schemaText, new TypeReference<Map<String, Object>>() {
            });
            SCHEMAS.getSchema(schemaText);
            return map;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not a JSON object: " + JsonProblems.describe(e), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(what + " is not a valid JSON Schema: " + e.getMessage(), e);
        }
    }

    /** Parses JSON text to Map, List, String, Number, Boolean or null. */
    static Object parse(String json) throws JsonProcessingException {
        return MAPPER.readValue(json, Object.class);
    }

    static JsonNode tree(String json) throws JsonProcessingException {
        return MAPPER.readTree(json);
    }

    /** Serializes a value as JSON text. */
    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Cannot serialize " + value.getClass().getName() + " as JSON: "
                                               + JsonProblems.message(e), e);
        }
    }

    /** The problems of {@code value} against the schema, one message each; empty when it conforms. */
    static List<String> validate(JsonSchema schema, JsonNode value) {
        Set<ValidationMessage> messages = schema.validate(value);
        return messages.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.toList());
    }

    /** The reply text without a surrounding Markdown code fence (models add one even when asked for JSON). */
    static String stripFence(String text) {
        String t = text.strip();
        if (t.startsWith("```")) {
            int firstNewline = t.indexOf('\n');
            int lastFence = t.lastIndexOf("```");
            if (firstNewline > 0 && lastFence > firstNewline) {
                return t.substring(firstNewline + 1, lastFence).strip();
            }
        }
        return t;
    }

    /** The LangChain4j description of a tool. */
    static ToolSpecification toolSpecification(LlmTool tool) {
        ToolSpecification.Builder builder = ToolSpecification.builder().name(tool.name());
        if (tool.description() != null && !tool.description().isBlank()) {
            builder.description(tool.description());
        }
        if (tool.parametersSchema() != null && !tool.parametersSchema().isBlank()) {
            Map<String, Object> schema = parseSchema(tool.parametersSchema(), "parametersSchema of tool '" + tool.name() + "'");
            JsonSchemaElement element = element(schema);
            if (element instanceof JsonObjectSchema object) {
                builder.parameters(object);
            } else {
                JsonObjectSchema.Builder object = JsonObjectSchema.builder().addProperties(rawProperties(schema));
                if (schema.get("required") instanceof List<?> required) {
                    object.required(required.stream().map(String::valueOf).collect(Collectors.toList()));
                }
                builder.parameters(object.build());
            }
        }
        return builder.build();
    }

    /** A JSON response format carrying the schema, so providers with native structured output can use it. */
    static ResponseFormat responseFormat(String schemaText) {
        JsonSchemaElement root = element(parseSchema(schemaText, "responseSchema"));
        if (root == null) {
            return ResponseFormat.JSON;
        }
        return ResponseFormat.builder()
                .type(ResponseFormatType.JSON)
                .jsonSchema(dev.langchain4j.model.chat.request.json.JsonSchema.builder().name("response").rootElement(root).build())
                .build();
    }

    private static JsonSchemaElement element(Map<String, Object> schema) {
        try {
            return JsonSchemaElementJsonUtils.fromMap(schema);
        } catch (RuntimeException e) {
            // constructs LangChain4j does not model (oneOf, const, ...): pass the schema through as raw JSON
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, JsonSchemaElement> rawProperties(Map<String, Object> schema) {
        Map<String, JsonSchemaElement> answer = new LinkedHashMap<>();
        Object props = schema.get("properties");
        if (props instanceof Map<?, ?> map) {
            map.forEach((k, v) -> answer.put(String.valueOf(k), JsonRawSchema.from(write(v))));
        }
        return answer;
    }
}
