package dev.caravan.component.emit;

import dev.caravan.dsl.NodeSpec;

/**
 * An {@code emit} node: publishes an event of a user type.
 *
 * @param type the event type
 * @param data the event data template, or null
 */
public record EmitSpec(String type, Object data) implements NodeSpec {

    @Override
    public String kind() {
        return EmitKind.NAME;
    }
}
