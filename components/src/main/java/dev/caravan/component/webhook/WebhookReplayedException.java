package dev.caravan.component.webhook;

import dev.caravan.json.Json;

import java.util.Map;

/**
 * A verified delivery received before, within the replay window: it starts nothing. The answer is the first one's, so a
 * sender that retries a delivery whose answer it lost is satisfied: 202 with the id of the run the first started, or
 * 200 {@code {"skipped": true}} when the trigger's filter skipped it; while the first is still being handled, 409.
 */
public final class WebhookReplayedException extends WebhookException {

    private static final long serialVersionUID = 1L;
    public static final String CODE = "WEBHOOK_REPLAYED";

    private final String runId;
    private final boolean inFlight;

    /**
     * @param runId    the run the first delivery started, or null
     * @param inFlight whether the first delivery is still being handled
     */
    public WebhookReplayedException(String runId, boolean inFlight) {
        super(runId != null ? "Webhook delivery received before, which started run " + runId
                : inFlight ? "Webhook delivery received before, still being handled"
                : "Webhook delivery received before, which started no run");
        this.runId = runId;
        this.inFlight = inFlight;
    }

    /** The run the first delivery started, or null. */
    public String runId() {
        return runId;
    }

    @Override
    public String code() {
        return CODE;
    }

    /** Whether the first delivery is still being handled. */
    public boolean inFlight() {
        return inFlight;
    }

    @Override
    public int getStatusCode() {
        return inFlight ? 409 : runId != null ? 202 : 200;
    }

    @Override
    public String getResponseBody() {
        return inFlight ? "" : Json.write(runId != null ? Map.of("runId", runId) : Map.of("skipped", true));
    }
}
