package dev.caravan.component.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/** The published webhook test inputs under {@code fixtures/webhooks/}, and signing as a sender signs. */
final class WebhookFixtures {

    /** GitHub's published test vector. */
    static final JsonNode GITHUB_VECTOR = json("github/signature-test-vector.json");
    static final byte[] GITHUB_PAYLOAD = bytes("github/signature-test-vector.payload.txt");
    static final String GITHUB_SECRET = GITHUB_VECTOR.get("secret").asText();
    static final String GITHUB_SIGNATURE = GITHUB_VECTOR.get("expected_header_value").asText();

    /** The event stripe-python's tests sign, and their secret. */
    static final byte[] STRIPE_PAYLOAD = bytes("stripe/sdk-test-payload.json");
    static final String STRIPE_SECRET = "whsec_test_secret";
    /** The example header of Stripe's docs: no secret or payload makes it, so it shows parsing only. */
    static final String STRIPE_DOCS_HEADER = "t=1492774577,"
            + "v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,"
            + "v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";

    private WebhookFixtures() {
    }

    /** Hex of HMAC-SHA256 as a sender computes it, with the JDK's Mac and nothing of the code under test. */
    static String sign(String secret, String signedText) {
        return sign(secret, signedText.getBytes(StandardCharsets.UTF_8));
    }

    static String sign(String secret, byte[] signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(signed));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code Stripe-Signature} value for the payload signed at {@code t} with the secret. */
    static String stripeHeader(String secret, long t, byte[] payload) {
        return "t=" + t + ",v1=" + sign(secret, t + "." + new String(payload, StandardCharsets.UTF_8));
    }

    static byte[] bytes(String name) {
        try (InputStream in = WebhookFixtures.class.getResourceAsStream("/fixtures/webhooks/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(bytes(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
