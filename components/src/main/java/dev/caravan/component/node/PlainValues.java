package dev.caravan.component.node;

import org.apache.camel.Exchange;

import java.util.Collection;
import java.util.Map;

/** Turns what an endpoint replied into a value a run record can hold: JSON types only. */
public final class PlainValues {

    private PlainValues() {
    }

    public static Object of(Exchange reply) {
        Object body = reply.getMessage().getBody();
        if (body == null || body instanceof String || body instanceof Number || body instanceof Boolean
            || body instanceof Map || body instanceof Collection) {
            return body;
        }
        return reply.getMessage().getBody(String.class);
    }
}
