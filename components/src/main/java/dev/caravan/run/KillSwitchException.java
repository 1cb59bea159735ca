package dev.caravan.run;

/** A kill switch refuses to start a run. */
public class KillSwitchException extends RuntimeException {
    public KillSwitchException(String message) {
        super(message);
    }
}
