package dev.caravan.support;

import org.apache.camel.Endpoint;
import org.apache.camel.Message;

/**
 * The headers a message of a node or a tool call takes to its endpoint. Caravan's own headers
 * ({@code CamelCaravanRunId}, {@code CamelCaravanToolName}, ...) serve routes in this process and never leave it: the
 * header filter strategies of Camel's HTTP and Kafka components keep {@code Camel*} headers out of requests and
 * records (and out of the exchanges they consume), and these keep them, and any header still named in the older
 * {@code Caravan*} form, from every remote endpoint, whatever its component. A remote endpoint gets the idempotency key
 * under {@link HttpEndpoints#IDEMPOTENCY_KEY_HEADER}.
 */
public final class OutboundHeaders {

    /** Every header and exchange property name of Caravan's starts with this. */
    private static final String PREFIX = "CamelCaravan";

    /** The prefix of Caravan's header names before they took Camel's: a route written then may still set them. */
    private static final String OLD_PREFIX = "Caravan";

    private OutboundHeaders() {
    }

    /** Whether a header is one of Caravan's own, by name, in any case (as Camel matches {@code Camel*}). */
    public static boolean isInternal(String name) {
        return name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())
               || name.regionMatches(true, 0, OLD_PREFIX, 0, OLD_PREFIX.length());
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
