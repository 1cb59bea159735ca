package dev.caravan.component.webhook;

import dev.caravan.json.Json;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * How a sender signs its webhook deliveries: an HMAC-SHA256 of the raw body bytes, carried in a header. Each style
 * checks a delivery against the secret and names what identifies it for replay protection.
 */
public sealed interface WebhookSignature {

    /**
     * Checks a delivery: the request headers by name, the body bytes exactly as received, the secret, and the time
     * now (for a signed timestamp). Returns the signature that matched, as lowercase hex: the same delivery sent again
     * has the same one, whatever its unsigned headers say.
     *
     * @throws WebhookRejectedException when the delivery is not signed with the secret, or signed too long ago
     */
    String verify(Function<String, String> headers, byte[] body, byte[] secret, Instant now);

    /**
     * What identifies a verified delivery besides its signature: a delivery id the sender puts in a header, or the
     * event id in a signed body.
     */
    List<String> deliveryIds(Function<String, String> headers, byte[] body);

    /**
     * GitHub's style: {@code X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(secret, body)>}, and the delivery's id in
     * {@code X-GitHub-Delivery}.
     *
     * @param header         the signature's header
     * @param deliveryHeader the delivery id's header, or null
     */
    record GitHub(String header, String deliveryHeader) implements WebhookSignature {

        public static final String SIGNATURE_HEADER = "X-Hub-Signature-256";
        public static final String DELIVERY_HEADER = "X-GitHub-Delivery";

        public GitHub() {
            this(SIGNATURE_HEADER, DELIVERY_HEADER);
        }

        @Override
        public String verify(Function<String, String> headers, byte[] body, byte[] secret, Instant now) {
            String value = headers.apply(header);
            if (value == null) {
                throw new WebhookRejectedException("no " + header + " header");
            }
            if (!value.startsWith("sha256=")) {
                throw new WebhookRejectedException(header + " is not sha256=<hex>");
            }
            return matching(hmac(secret, body), List.of(value.substring("sha256=".length())), header);
        }

        @Override
        public List<String> deliveryIds(Function<String, String> headers, byte[] body) {
            return headerValue(headers, deliveryHeader);
        }
    }

    /**
     * Stripe's style: {@code Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]}, each {@code v1} an
     * HMAC-SHA256 of {@code <t>.<body>}; one must match (several appear while a secret is rolled), and {@code t} must
     * be within the tolerance of now. The event's {@code id} in the body identifies it.
     *
     * @param header         the signature's header
     * @param tolerance      how far {@code t} may be from now, either way
     * @param deliveryHeader a header with a delivery id, or null
     */
    record Stripe(String header, Duration tolerance, String deliveryHeader) implements WebhookSignature {

        public static final String SIGNATURE_HEADER = "Stripe-Signature";
        public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

        public Stripe(Duration tolerance) {
            this(SIGNATURE_HEADER, tolerance, null);
        }

        /** A parsed {@code Stripe-Signature} value: its timestamp and its {@code v1} signatures. */
        public record Header(long timestamp, List<String> signatures) {

            /** Parses {@code t=...,v1=...}; other schemes ({@code v0}) and unknown parts are ignored. */
            public static Header parse(String value) {
                Long timestamp = null;
                List<String> signatures = new ArrayList<>();
                for (String part : value.split(",")) {
                    int eq = part.indexOf('=');
                    if (eq < 0) {
                        continue;
                    }
                    String key = part.substring(0, eq).strip();
                    String v = part.substring(eq + 1).strip();
                    if (key.equals("t")) {
                        try {
                            timestamp = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            throw new WebhookRejectedException("Stripe-Signature t is not a number");
                        }
                    } else if (key.equals("v1")) {
                        signatures.add(v);
                    }
                }
                if (timestamp == null) {
                    throw new WebhookRejectedException("Stripe-Signature has no timestamp t");
                }
                if (signatures.isEmpty()) {
                    throw new WebhookRejectedException("Stripe-Signature has no signature of scheme v1");
                }
                return new Header(timestamp, List.copyOf(signatures));
            }
        }

        @Override
        public String verify(Function<String, String> headers, byte[] body, byte[] secret, Instant now) {
            String value = headers.apply(header);
            if (value == null) {
                throw new WebhookRejectedException("no " + header + " header");
            }
            Header parsed = Header.parse(value);
            String matched = matching(hmac(secret, (parsed.timestamp() + ".").getBytes(StandardCharsets.UTF_8), body),
                    parsed.signatures(), header);
            // after the signature: only a signed timestamp says anything about when the delivery was made
            long age = now.getEpochSecond() - parsed.timestamp();
            if (Math.abs(age) > tolerance.toSeconds()) {
                throw new WebhookRejectedException(header + " timestamp is " + age + " s from now, over the tolerance"
                        + " of " + tolerance.toSeconds() + " s");
            }
            return matched;
        }

        @Override
        public List<String> deliveryIds(Function<String, String> headers, byte[] body) {
            List<String> ids = new ArrayList<>(headerValue(headers, deliveryHeader));
            eventId(body).ifPresent(id -> ids.add("event:" + id));
            return ids;
        }

        /** The {@code id} of the event a verified body holds: Stripe sends an event again with the same id. */
        private static Optional<String> eventId(byte[] body) {
            try {
                return Json.parse(new String(body, StandardCharsets.UTF_8)) instanceof Map<?, ?> event
                       && event.get("id") instanceof String id && !id.isBlank() ? Optional.of(id) : Optional.empty();
            } catch (RuntimeException notJson) {
                return Optional.empty();
            }
        }
    }

    /**
     * A plain style: one header carrying the HMAC-SHA256 of the body as hex, bare or as {@code sha256=<hex>}, and
     * optionally a header with a delivery id.
     *
     * @param header         the signature's header
     * @param deliveryHeader the delivery id's header, or null
     */
    record HmacHeader(String header, String deliveryHeader) implements WebhookSignature {

        @Override
        public String verify(Function<String, String> headers, byte[] body, byte[] secret, Instant now) {
            String value = headers.apply(header);
            if (value == null) {
                throw new WebhookRejectedException("no " + header + " header");
            }
            String hex = value.regionMatches(true, 0, "sha256=", 0, "sha256=".length())
                    ? value.substring("sha256=".length()) : value;
            return matching(hmac(secret, body), List.of(hex.strip()), header);
        }

        @Override
        public List<String> deliveryIds(Function<String, String> headers, byte[] body) {
            return headerValue(headers, deliveryHeader);
        }
    }

    /** HMAC-SHA256 of the parts, one after the other, with the secret as key. */
    private static byte[] hmac(byte[] secret, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            for (byte[] part : parts) {
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            // every Java runtime has HmacSHA256, and any key length suits it
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /**
     * The expected signature as hex when one of the given hex values is it; compared in constant time, so how long a
     * refusal takes says nothing about how much of a guess was right.
     */
    private static String matching(byte[] expected, List<String> given, String header) {
        boolean matched = false;
        for (String hex : given) {
            byte[] candidate;
            try {
                candidate = HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException notHex) {
                continue;
            }
            // no early exit: each value is compared
            matched |= MessageDigest.isEqual(expected, candidate);
        }
        if (!matched) {
            throw new WebhookRejectedException(header + " does not match the body signed with the secret");
        }
        return HexFormat.of().formatHex(expected);
    }

    private static List<String> headerValue(Function<String, String> headers, String name) {
        String value = name == null ? null : headers.apply(name);
        return value == null || value.isBlank() ? List.of() : List.of("delivery:" + value.strip());
    }
}
