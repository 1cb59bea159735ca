package dev.caravan.component.webhook;

/**
 * A delivery that is not signed with the secret: no signature, a signature that does not match the body, or a
 * signed timestamp too far from now. Answered with 401 and nothing that says why: the reason is for the log only.
 */
public final class WebhookRejectedException extends WebhookException {

    private static final long serialVersionUID = 1L;
    public static final String CODE = "WEBHOOK_REJECTED";

    private final String reason;

    public WebhookRejectedException(String reason) {
        super("Webhook delivery rejected");
        this.reason = reason;
    }

    /** Why the delivery was rejected, for the log; never for the sender. */
    public String reason() {
        return reason;
    }

    @Override
    public String code() {
        return CODE;
    }

    @Override
    public int getStatusCode() {
        return 401;
    }

    @Override
    public String getResponseBody() {
        return "";
    }
}
