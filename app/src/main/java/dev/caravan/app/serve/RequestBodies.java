package dev.caravan.app.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.caravan.json.Json;
import dev.caravan.support.JsonProblems;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The members of a request's JSON body, each read with the check its operation needs; what does not fit is a 400
 * problem naming the member and what was expected, never echoing the value.
 */
final class RequestBodies {

    /** Requests' JSON bodies: exactly one value, text after it is refused. */
    private static final ObjectReader BODY = Json.MAPPER.readerFor(Object.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private RequestBodies() {
    }

    /** The body as a JSON object; {@code example} shows what the operation takes when the body is another value. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(byte[] body, String example) {
        if (parse(body) instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw invalid("the body must be a JSON object such as " + example);
    }

    private static Object parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiException(400, "MALFORMED_JSON", "Malformed JSON", "the request has no body; expected a "
                    + "JSON object");
        }
        try {
            return BODY.readValue(body);
        } catch (JsonProcessingException e) {
            // where and what, never the text itself
            String where = JsonProblems.where(e);
            throw new ApiException(400, "MALFORMED_JSON", "Malformed JSON", "the body is not valid JSON"
                    + (where == null ? "" : " (" + where + ")") + ": " + JsonProblems.message(e));
        } catch (IOException e) {
            throw new ApiException(400, "MALFORMED_JSON", "Malformed JSON", "the body cannot be read as JSON");
        }
    }

    /** A string member; null when it is absent and not required. */
    static String string(Map<String, Object> request, String member, boolean required) {
        Object v = request.get(member);
        if (v == null) {
            if (required) {
                throw invalid("the body has no \"" + member + "\"; expected a string");
            }
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw invalid("\"" + member + "\" must be a non-empty string");
        }
        return s;
    }

    /** A string member that is one of {@code allowed}. */
    static String oneOf(Map<String, Object> request, String member, List<String> allowed) {
        String v = string(request, member, true);
        if (!allowed.contains(v)) {
            throw invalid("\"" + member + "\" must be one of: " + String.join(", ", allowed));
        }
        return v;
    }

    /** A boolean member, {@code fallback} when absent. */
    static boolean bool(Map<String, Object> request, String member, boolean fallback) {
        Object v = request.get(member);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw invalid("\"" + member + "\" must be true or false");
        }
        return b;
    }

    /** A whole-number member from {@code min} to {@code max}, {@code fallback} when absent. */
    static int integer(Map<String, Object> request, String member, int fallback, int min, int max) {
        Object v = request.get(member);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer n) || n < min || n > max) {
            throw invalid("\"" + member + "\" must be a whole number from " + min + " to " + max);
        }
        return n;
    }

    static ApiException invalid(String detail) {
        return new ApiException(400, "REQUEST_INVALID", "Invalid request", detail);
    }
}
