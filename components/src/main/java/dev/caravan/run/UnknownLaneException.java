package dev.caravan.run;

import dev.caravan.CaravanException;

/**
 * No lane of that id in the tenant: it was never created, was cleaned up, or belongs to another tenant (which is not
 * told apart, so that a caller learns nothing of other tenants' lanes).
 */
public class UnknownLaneException extends CaravanException {

    private static final long serialVersionUID = 1L;

    private final String laneId;

    public UnknownLaneException(String laneId) {
        super("No lane " + laneId + ": create it first");
        this.laneId = laneId;
    }

    /** The lane asked for. */
    public String laneId() {
        return laneId;
    }

    @Override
    public String code() {
        return "LANE_NOT_FOUND";
    }
}
