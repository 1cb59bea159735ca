package dev.caravan.component.wait;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code wait} node: waits for a duration or until a timestamp, holding no thread. Exactly one of the two is set.
 *
 * @param duration a duration ({@code 10s}) or a template giving one, or null
 * @param until    an RFC 3339 timestamp or a template giving one, or null
 */
public record WaitSpec(String duration, String until) implements NodeSpec {

    @Override
    public String kind() {
        return WaitKind.NAME;
    }
}
