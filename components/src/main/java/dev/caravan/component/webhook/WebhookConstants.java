package dev.caravan.component.webhook;

import org.apache.camel.spi.Metadata;

/** Headers of the {@code caravan-webhook} component. */
public final class WebhookConstants {

    @Metadata(description = "The id of a verified delivery: the value of its delivery header, or the event id its"
                            + " signed body carries (Stripe). Absent when the delivery has neither. A webhook"
                            + " trigger's caravan-run:start takes it as the default idempotency key.",
              javaType = "String")
    public static final String DELIVERY = "CamelCaravanWebhookDelivery";

    private WebhookConstants() {
    }
}
