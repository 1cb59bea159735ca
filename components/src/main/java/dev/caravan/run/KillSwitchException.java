package dev.caravan.run;

import dev.caravan.CaravanException;

/** A kill switch refuses to start a run. */
public class KillSwitchException extends CaravanException {
    public KillSwitchException(String message) {
        super(message);
    }

    @Override
    public String code() {
        return "KILL_SWITCH";
    }
}
