package dev.caravan.component.set;

import java.util.Map;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code set} node: computes values; the output is the map of computed values.
 *
 * @param values value templates by name
 */
public record SetSpec(Map<String, Object> values) implements NodeSpec {

    @Override
    public String kind() {
        return SetKind.NAME;
    }
}
