package dev.caravan.support;

import java.util.Locale;

/** What Caravan does differently when a node or tool sends to an HTTP endpoint. */
public final class HttpEndpoints {

    /**
     * The request header that carries a node attempt's idempotency key to HTTP APIs (IETF draft "The
     * Idempotency-Key HTTP Header Field", as Stripe and others take it), so a call repeated after a crash is
     * recognised by the service it reaches.
     */
    public static final String IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

    private HttpEndpoints() {
    }

    /** Whether an endpoint URI speaks HTTP: http, https, vertx-http, netty-http, rest and the like. */
    public static boolean isHttp(String endpointUri) {
        int colon = endpointUri.indexOf(':');
        String scheme = (colon < 0 ? endpointUri : endpointUri.substring(0, colon)).toLowerCase(Locale.ROOT);
        return scheme.startsWith("http") || scheme.endsWith("-http") || scheme.equals("rest");
    }
}
