package dev.caravan.component.webhook;

import dev.caravan.CaravanException;

/**
 * A webhook delivery the {@code caravan-webhook} step refused. It carries what the HTTP answer should be, so that one
 * {@code onException} of a trigger route answers every refusal ({@code ${exception.statusCode}},
 * {@code ${exception.contentType}}, {@code ${exception.responseBody}}); the reason stays in the log, never in the
 * answer.
 */
public abstract sealed class WebhookException extends CaravanException
        permits WebhookRejectedException, WebhookReplayedException {

    private static final long serialVersionUID = 1L;

    WebhookException(String message) {
        // an expected outcome of untrusted input: a stack trace would say nothing
        super(message, null, false);
    }

    /** The HTTP status to answer with. */
    public abstract int getStatusCode();

    /** The HTTP body to answer with: empty, or JSON that says nothing about why. */
    public abstract String getResponseBody();

    /** The media type of the body, or null when it is empty. */
    public String getContentType() {
        return getResponseBody().isEmpty() ? null : "application/json";
    }
}
