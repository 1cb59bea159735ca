package dev.caravan.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.ResponseFormat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the component derives from JSON Schemas (compiled validators, response formats, tool specifications),
 * computed once per schema instead of on every call. One per component; each cache is bounded.
 */
final class LlmSchemas {

    private static final int MAX_ENTRIES = 512;

    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();
    private final Map<String, ResponseFormat> formats = new ConcurrentHashMap<>();
    private final Map<LlmTool, ToolSpecification> tools = new ConcurrentHashMap<>();

    /** The problems of {@code value} against the schema, one message each; empty when it conforms. */
    List<String> validate(String schemaText, JsonNode value) {
        return LlmJson.validate(cached(compiled, schemaText, LlmJson.SCHEMAS::getSchema), value);
    }

    ResponseFormat responseFormat(String schemaText) {
        return cached(formats, schemaText, LlmJson::responseFormat);
    }

    ToolSpecification toolSpecification(LlmTool tool) {
        return cached(tools, tool, LlmJson::toolSpecification);
    }

    private static <K, V> V cached(Map<K, V> cache, K key, Function<K, V> make) {
        V value = cache.get(key);
        if (value == null) {
            value = make.apply(key);
            if (cache.size() < MAX_ENTRIES) {
                cache.put(key, value);
            }
        }
        return value;
    }
}
