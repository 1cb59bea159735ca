package dev.caravan.run;

import dev.caravan.CaravanException;

/** An idempotency key that is empty, too long or not visible ASCII. */
public class InvalidIdempotencyKeyException extends CaravanException {

    private static final long serialVersionUID = 1L;

    public InvalidIdempotencyKeyException(int maxLength) {
        super("An idempotency key must be 1 to " + maxLength + " visible ASCII characters");
    }

    @Override
    public String code() {
        return "IDEMPOTENCY_KEY_INVALID";
    }
}
