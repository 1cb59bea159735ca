package dev.caravan.component.set;

import java.util.Map;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code remember} node: computes values and stores each in the memory of the run's lane (conversation history,
 * preferences): later runs of the lane read them as {@code lane.memory.<name>}. The output is the map of stored
 * values.
 *
 * @param values value templates by name
 */
public record RememberSpec(Map<String, Object> values) implements NodeSpec {

    @Override
    public String kind() {
        return RememberKind.NAME;
    }
}
