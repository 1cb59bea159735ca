package dev.caravan.component.fail;

import dev.caravan.dsl.NodeSpec;

/**
 * A {@code fail} node: ends the run as failed with a message and a stable error code (both templates); a guard rail,
 * usually with {@code when}.
 *
 * @param message the message template
 * @param code    the error code template, or null ({@code FAILED})
 */
public record FailSpec(String message, String code) implements NodeSpec {

    @Override
    public String kind() {
        return FailKind.NAME;
    }
}
