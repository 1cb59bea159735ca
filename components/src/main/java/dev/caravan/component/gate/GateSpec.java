package dev.caravan.component.gate;

import java.time.Duration;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code gate} node: human approval.
 *
 * @param message   the message template, or null
 * @param timeout   how long the gate waits for a decision, or null (for ever)
 * @param onTimeout what a timeout decides: {@code approve}, {@code reject} or {@code fail}
 */
public record GateSpec(String message, Duration timeout, String onTimeout) implements NodeSpec {

    @Override
    public String kind() {
        return GateKind.NAME;
    }
}
