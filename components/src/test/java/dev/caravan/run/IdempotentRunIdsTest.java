package dev.caravan.run;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IdempotentRunIdsTest {

    @Test
    void aKeyNamesTheRunItNamedBefore() {
        // runs started with a key before keep their ids: the derivation never changes
        assertThat(IdempotentRunIds.runId("acme", "order-1")).isEqualTo("d0225b49-f271-325f-a03b-94b3beaff66e");
    }

    @Test
    void twoTenantsKeysNeverMeet() {
        assertThat(IdempotentRunIds.runId("acme", "order-1")).isNotEqualTo(IdempotentRunIds.runId("globex", "order-1"));
    }

    @Test
    void aKeyOfTheLongestLengthIsAccepted() {
        assertThat(IdempotentRunIds.runId("acme", "k".repeat(IdempotentRunIds.MAX_KEY_LENGTH))).hasSize(36);
    }

    @Test
    void aKeyTooLongEmptyOrNotVisibleAsciiIsRefused() {
        for (String key : new String[] {"k".repeat(256), "", "a b", "naïve", null}) {
            assertThatThrownBy(() -> IdempotentRunIds.runId("acme", key))
                    .isInstanceOf(InvalidIdempotencyKeyException.class)
                    .hasMessage("An idempotency key must be 1 to 255 visible ASCII characters")
                    .extracting(e -> ((InvalidIdempotencyKeyException) e).code()).isEqualTo("IDEMPOTENCY_KEY_INVALID");
        }
    }
}
