package dev.caravan.component.webhook;

import dev.caravan.component.node.EngineServices;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.run.Secrets;
import dev.caravan.run.StepServices;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.Route;
import org.apache.camel.StreamCache;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.SynchronizationRouteAware;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Verifies a webhook delivery before a trigger route starts a run with it: the HMAC-SHA256 signature of the raw body
 * in the sender's style, then that the delivery was not received before. A delivery that passes goes on unchanged;
 * one that does not fails the exchange with a {@link WebhookException} that says how to answer (401, or for a replay
 * the first answer), never why.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-webhook", title = "Caravan Webhook",
             syntax = "caravan-webhook:style", category = { Category.SECURITY, Category.WORKFLOW },
             producerOnly = true, remote = false, headersClass = WebhookConstants.class)
public class WebhookEndpoint extends DefaultEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookEndpoint.class);

    /** How the sender signs its deliveries. */
    public enum Style {
        github, stripe, hmac;

        static Style parse(String text) {
            try {
                return valueOf(text.toLowerCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("caravan-webhook style must be one of github, stripe, hmac but was '"
                        + text + "'");
            }
        }
    }

    @UriPath(description = "How the sender signs: github (X-Hub-Signature-256), stripe (Stripe-Signature, with a"
                           + " timestamp) or hmac (the hex HMAC-SHA256 of the body in the header option)")
    @Metadata(required = true)
    private Style style;
    @UriParam(description = "The name of the secret the sender signs with, never the secret itself: the Camel property"
                            + " NAME or caravan.secret.NAME, else the environment variable NAME")
    @Metadata(required = true)
    private String secret;
    @UriParam(description = "The header carrying the signature (default X-Hub-Signature-256 for github,"
                            + " Stripe-Signature for stripe; required for hmac)")
    private String header;
    @UriParam(description = "The header carrying the delivery's id, remembered against replays (default"
                            + " X-GitHub-Delivery for github; none for stripe, whose signed body carries the event id,"
                            + " and for hmac)")
    private String deliveryHeader;
    @UriParam(defaultValue = "300000", javaType = "java.time.Duration",
              description = "How far the signed timestamp of a stripe delivery may be from now, either way")
    private long tolerance = WebhookSignature.Stripe.DEFAULT_TOLERANCE.toMillis();
    @UriParam(defaultValue = "86400000", javaType = "java.time.Duration",
              description = "How long a delivery is remembered: the same delivery again within it starts nothing."
                            + " 0 turns replay protection off")
    private long replayWindow = Duration.ofHours(24).toMillis();

    private StepServices services;
    private WebhookDeliveries deliveries;
    private WebhookSignature signature;
    private byte[] secretBytes;
    private String keyPrefix;
    private Clock clock = Clock.systemUTC();

    public WebhookEndpoint(String uri, WebhookComponent component, StepServices services,
            WebhookDeliveries deliveries) {
        super(uri, component);
        this.services = services;
        this.deliveries = deliveries;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("caravan-webhook:" + style + " needs secret=<name of the environment"
                    + " variable or Camel property holding the secret>");
        }
        if (!Secrets.isReference(Secrets.PREFIX + secret)) {
            // it may be the secret itself: not repeated here, as it would be in the log
            throw new IllegalArgumentException("caravan-webhook:" + style + " secret= takes the name of an environment"
                    + " variable or Camel property (letters, digits, _ . -), not the secret itself");
        }
        signature = switch (style) {
            case github -> new WebhookSignature.GitHub(
                    header != null ? header : WebhookSignature.GitHub.SIGNATURE_HEADER,
                    deliveryHeader != null ? deliveryHeader : WebhookSignature.GitHub.DELIVERY_HEADER);
            case stripe -> new WebhookSignature.Stripe(
                    header != null ? header : WebhookSignature.Stripe.SIGNATURE_HEADER, Duration.ofMillis(tolerance),
                    deliveryHeader);
            case hmac -> {
                if (header == null || header.isBlank()) {
                    throw new IllegalArgumentException("caravan-webhook:hmac needs header=<name of the header carrying"
                            + " the signature>");
                }
                yield new WebhookSignature.HmacHeader(header, deliveryHeader);
            }
        };
        if (services == null) {
            services = EngineServices.steps(getCamelContext());
        }
        // at start, so that a missing secret stops the route rather than refusing every delivery
        secretBytes = resolveSecret().getBytes(StandardCharsets.UTF_8);
        if (replayWindow > 0 && deliveries == null) {
            deliveries = new WebhookDeliveries(EngineServices.hazelcast(getCamelContext()));
        }
        keyPrefix = style + ":" + secret + ":";
    }

    /**
     * The secret the name stands for: a Camel property of that name, else what the engine's secrets make of it (the
     * property caravan.secret.NAME, else the environment variable NAME, unless the application bound a resolver).
     */
    private String resolveSecret() {
        String name = secret;
        // loadProperties, not resolveProperty: the latter logs the value it found at DEBUG
        Object property = getCamelContext().getPropertiesComponent().loadProperties(name::equals).get(name);
        if (property != null) {
            return property.toString();
        }
        try {
            return services.secrets().resolve(Secrets.PREFIX + name);
        } catch (IllegalArgumentException unknown) {
            throw new IllegalArgumentException("caravan-webhook:" + style + " has no secret " + name + ": set the"
                    + " environment variable " + name + " or the Camel property " + name + " (or caravan.secret."
                    + name + ")");
        }
    }

    @Override
    public Producer createProducer() {
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) {
                verify(exchange);
            }
        };
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("caravan-webhook is a producer only: use it in to:");
    }

    private void verify(Exchange exchange) {
        Message message = exchange.getMessage();
        Function<String, String> headers = name -> message.getHeader(name, String.class);
        byte[] body = rawBody(message);
        String signed;
        try {
            signed = signature.verify(headers, body, secretBytes, clock.instant());
        } catch (WebhookRejectedException e) {
            LOG.debug("Rejected a delivery on {}: {}", this, e.reason());
            throw e;
        }
        List<String> ids = signature.deliveryIds(headers, body);
        if (!ids.isEmpty()) {
            String id = ids.get(ids.size() - 1);
            message.setHeader(WebhookConstants.DELIVERY, id.substring(id.indexOf(':') + 1));
        }
        if (replayWindow <= 0) {
            return;
        }
        // deliveries to two paths never meet: a sender may send one event to both, signed alike
        String prefix = (exchange.getFromEndpoint() != null ? exchange.getFromEndpoint().getEndpointUri() : "") + " "
                        + keyPrefix;
        // the signature too: the delivery header is not signed, and a replay could change it
        List<String> keys = new ArrayList<>(ids.size() + 1);
        ids.forEach(id -> keys.add(prefix + id));
        keys.add(prefix + "signature:" + signed);
        Duration window = Duration.ofMillis(replayWindow);
        WebhookDeliveries.Claim claim = deliveries.claim(keys, window);
        if (claim instanceof WebhookDeliveries.Claim.Seen seen) {
            LOG.debug("Refused a delivery on {} received before (run {})", this, seen.runId().orElse("none"));
            throw new WebhookReplayedException(seen.runId().orElse(null), seen.inFlight());
        }
        exchange.getExchangeExtension().addOnCompletion(new Remember(((WebhookDeliveries.Claim.Taken) claim).keys(),
                window));
    }

    /**
     * When the route the delivery came in by ends: the run the delivery started is remembered for its replays; a
     * delivery that failed is forgotten, so that the sender's retry goes through. At the route's end, not when the
     * exchange is done: platform-http writes the answer before that, and a sender that got it may send again at once.
     */
    private final class Remember extends SynchronizationAdapter implements SynchronizationRouteAware {

        private final List<String> keys;
        private final Duration window;
        private boolean remembered;

        Remember(List<String> keys, Duration window) {
            this.keys = keys;
            this.window = window;
        }

        @Override
        public SynchronizationRouteAware getRouteSynchronization() {
            return this;
        }

        @Override
        public void onBeforeRoute(Route route, Exchange exchange) {
            // the route began before the delivery was verified
        }

        @Override
        public void onAfterRoute(Route route, Exchange exchange) {
            // the routes it passes through on the way (direct:, ...) end before the one it came in by
            if (route.getRouteId().equals(exchange.getFromRouteId())) {
                remember(exchange);
            }
        }

        @Override
        public void onComplete(Exchange exchange) {
            remember(exchange);
        }

        @Override
        public void onFailure(Exchange exchange) {
            remember(exchange);
        }

        private void remember(Exchange exchange) {
            if (remembered) {
                return;
            }
            remembered = true;
            String runId = exchange.getMessage().getHeader(NodeConstants.RUN_ID_HEADER, String.class);
            if (exchange.isFailed() || (exchange.getProperty(Exchange.EXCEPTION_CAUGHT) != null && runId == null)) {
                // a failure, handled by the route (an onException that answers 500) or not: no run started
                deliveries.release(keys);
            } else if (runId != null) {
                deliveries.started(keys, runId, window);
            } else {
                deliveries.handled(keys, window);
            }
        }
    }

    /**
     * The body's bytes exactly as they came: platform-http gives a Vert.x buffer, which converts without decoding.
     * A stream is read once, so the bytes take its place.
     */
    private static byte[] rawBody(Message message) {
        Object body = message.getBody();
        if (body == null) {
            return new byte[0];
        }
        if (body instanceof byte[] bytes) {
            return bytes;
        }
        byte[] bytes = message.getBody(byte[].class);
        if (body instanceof StreamCache cached) {
            cached.reset();
        } else if (body instanceof InputStream) {
            message.setBody(bytes);
        }
        return bytes != null ? bytes : new byte[0];
    }

    public Style getStyle() {
        return style;
    }

    /**
     * How the sender signs: github (X-Hub-Signature-256), stripe (Stripe-Signature, with a timestamp) or hmac (the
     * hex HMAC-SHA256 of the body in the header option).
     */
    public void setStyle(Style style) {
        this.style = style;
    }

    public String getSecret() {
        return secret;
    }

    /**
     * The name of the secret the sender signs with, never the secret itself: the Camel property NAME or
     * caravan.secret.NAME, else the environment variable NAME.
     */
    public void setSecret(String secret) {
        this.secret = secret;
    }

    public String getHeader() {
        return header;
    }

    /**
     * The header carrying the signature (default X-Hub-Signature-256 for github, Stripe-Signature for stripe;
     * required for hmac).
     */
    public void setHeader(String header) {
        this.header = header;
    }

    public String getDeliveryHeader() {
        return deliveryHeader;
    }

    /**
     * The header carrying the delivery's id, remembered against replays (default X-GitHub-Delivery for github; none
     * for stripe, whose signed body carries the event id, and for hmac).
     */
    public void setDeliveryHeader(String deliveryHeader) {
        this.deliveryHeader = deliveryHeader;
    }

    public long getTolerance() {
        return tolerance;
    }

    /** How far the signed timestamp of a stripe delivery may be from now, either way. */
    public void setTolerance(long tolerance) {
        this.tolerance = tolerance;
    }

    public long getReplayWindow() {
        return replayWindow;
    }

    /**
     * How long a delivery is remembered: the same delivery again within it starts nothing. 0 turns replay protection
     * off.
     */
    public void setReplayWindow(long replayWindow) {
        this.replayWindow = replayWindow;
    }

    /** The clock a signed timestamp is checked against; tests fix it. */
    void setClock(Clock clock) {
        this.clock = clock;
    }
}
