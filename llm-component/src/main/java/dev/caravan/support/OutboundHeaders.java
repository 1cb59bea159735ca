package dev.caravan.support;

import org.apache.camel.Endpoint;
import org.apache.camel.Message;

/**
 * The headers a message of a node or a tool call takes to its endpoint. Caravan's own headers ({@code CaravanRunId},
 * {@code CaravanToolName}, ...) serve routes in this process and never leave it: as Camel's header filter strategies
 * keep {@code Camel*} headers from HTTP requests and Kafka records, these keep {@code Caravan*} headers from every
 * remote endpoint. A remote endpoint gets the idempotency key under {@link HttpEndpoints#IDEMPOTENCY_KEY_HEADER}.
 */
public final class OutboundHeaders {

    private static final String INTERNAL_PREFIX = "Caravan";

    private OutboundHeaders() {
    }

    /** Whether a header is one of Caravan's own, by name, in any case (as Camel matches {@code Camel*}). */
    public static boolean isInternal(String name) {
        return name.regionMatches(true, 0, INTERNAL_PREFIX, 0, INTERNAL_PREFIX.length());
    }

    /**
     * Readies a message for its endpoint. To a remote one (anything but in-process endpoints such as {@code direct:},
     * {@code seda:} and beans, as the endpoint says of itself) Caravan's own headers are removed and the idempotency
     * key, when there is one, goes as {@code Idempotency-Key}; an in-process endpoint gets the message as it is.
     */
    public static void prepare(Endpoint endpoint, Message message, String idempotencyKey) {
        if (!endpoint.isRemote()) {
            return;
        }
        message.getHeaders().keySet().removeIf(OutboundHeaders::isInternal);
        if (idempotencyKey != null) {
            message.setHeader(HttpEndpoints.IDEMPOTENCY_KEY_HEADER, idempotencyKey);
        }
    }
}
