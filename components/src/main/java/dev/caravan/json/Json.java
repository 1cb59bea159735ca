package dev.caravan.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.caravan.support.JsonProblems;

import java.io.UncheckedIOException;

/** The one JSON codec of run state, events and node values. */
public final class Json {

    /** Thread-safe and never reconfigured after construction. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("Cannot write JSON: " + JsonProblems.message(e), e);
        }
    }

    public static <T> T read(String json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("Cannot read JSON as " + type.getSimpleName() + ": " + JsonProblems.describe(e), e);
        }
    }

    /** Parses any JSON text into plain Java values (Map, List, String, Number, Boolean, null). */
    public static Object parse(String json) {
        return read(json, Object.class);
    }
}
