package dev.caravan.component.webhook;

import dev.caravan.json.Json;

import java.util.Map;

/**
 * A verified delivery received before, within the replay window: it starts nothing. When the first delivery started
 * a run, the answer is the first answer, 202 with that run's id, so a sender that retries a delivery whose answer it
 * lost is satisfied; while the first is still being handled, or when it started no run, 409.
 */
public final class WebhookReplayedException extends WebhookException {

    private static final long serialVersionUID = 1L;
    public static final String CODE = "WEBHOOK_REPLAYED";

    private final String runId;

    public WebhookReplayedException(String runId) {
        super(runId != null ? "Webhook delivery received before, which started run " + runId
                : "Webhook delivery received before");
        this.runId = runId;
    }

    /** The run the first delivery started, or null. */
    public String runId() {
        return runId;
    }

    @Override
    public String code() {
        return CODE;
    }

    @Override
    public int getStatusCode() {
        return runId != null ? 202 : 409;
    }

    @Override
    public String getResponseBody() {
        return runId != null ? Json.write(Map.of("runId", runId)) : "";
    }
}
