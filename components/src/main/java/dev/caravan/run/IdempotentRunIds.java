package dev.caravan.run;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The run id an idempotency key stands for: a name-based UUID over the tenant and the key, so a start repeated with
 * the same key names the run the first one started, and two tenants' keys never meet. The REST API (its
 * {@code Idempotency-Key} header) and {@code caravan-run:start} derive run ids this one way.
 */
public final class IdempotentRunIds {

    /** The longest key accepted; keys are opaque, usually a UUID. */
    public static final int MAX_KEY_LENGTH = 255;
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]+");

    private IdempotentRunIds() {
    }

    /**
     * The run id of the key in the tenant.
     *
     * @throws InvalidIdempotencyKeyException when the key is not 1 to {@value #MAX_KEY_LENGTH} visible ASCII characters
     */
    public static String runId(String tenant, String key) {
        if (key == null || key.length() > MAX_KEY_LENGTH || !KEY.matcher(key).matches()) {
            throw new InvalidIdempotencyKeyException(MAX_KEY_LENGTH);
        }
        return UUID.nameUUIDFromBytes(("caravan-idempotency\n" + tenant + "\n" + key)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The run id of an event a trigger received, named by a key the engine made (any text: a row key, a delivery
     * id, a fire time), so a second delivery of the event names the run the first one started.
     */
    public static String ofEvent(String tenant, String eventKey) {
        return UUID.nameUUIDFromBytes(("caravan-trigger\n" + tenant + "\n" + eventKey)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
