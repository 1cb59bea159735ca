package dev.caravan.state;

import java.util.List;
import java.util.Map;

/**
 * A lane: runs of one tenant and workspace or session, with a concurrency cap, a queue, and memory its runs share.
 *
 * @param laneId              the lane id
 * @param tenant              its tenant
 * @param status              active, draining (no new runs; removed when empty) or quarantined
 * @param cap                 how many of its runs may be in progress at once
 * @param running             runs holding a slot
 * @param queued              runs waiting for a slot, in arrival order
 * @param memory              key-value memory of the lane (conversation history, ...)
 * @param consecutiveFailures failed runs in a row; reaching the quarantine threshold quarantines the lane
 * @param createdAt           epoch millis
 * @param sequence            sequence number of the lane's last event (its events are numbered 1, 2, 3, ...; 0 in a
 *                            record written before lanes numbered their events)
 */
public record LaneRecord(String laneId, String tenant, Status status, int cap, List<String> running,
        List<String> queued, Map<String, Object> memory, int consecutiveFailures, long createdAt, long sequence) {

    /** Lifecycle of a lane. */
    public enum Status {
        ACTIVE, DRAINING, QUARANTINED
    }
}
