package dev.caravan.component.call;

import java.util.Map;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code call} node: sends to any Camel endpoint; the output is the reply body.
 *
 * @param uri     the endpoint URI template
 * @param body    the body template, or null (the run input)
 * @param headers header templates by name, or null
 */
public record CallSpec(String uri, Object body, Map<String, Object> headers) implements NodeSpec {

    @Override
    public String kind() {
        return CallKind.NAME;
    }
}
