package dev.caravan.component.webhook;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_PAYLOAD;
import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_SECRET;
import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_SIGNATURE;
import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_VECTOR;
import static dev.caravan.component.webhook.WebhookFixtures.STRIPE_DOCS_HEADER;
import static dev.caravan.component.webhook.WebhookFixtures.STRIPE_PAYLOAD;
import static dev.caravan.component.webhook.WebhookFixtures.STRIPE_SECRET;
import static dev.caravan.component.webhook.WebhookFixtures.sign;
import static dev.caravan.component.webhook.WebhookFixtures.stripeHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The signature styles on their own: GitHub's published vector, Stripe's scheme, the plain HMAC header. */
class WebhookSignatureTest {

    private static final Instant NOW = Instant.parse("2026-12-05T01:00:00Z");
    private static final long T = NOW.getEpochSecond();
    private static final WebhookSignature GITHUB = new WebhookSignature.GitHub();
    private static final WebhookSignature STRIPE = new WebhookSignature.Stripe(Duration.ofMinutes(5));
    private static final WebhookSignature HMAC = new WebhookSignature.HmacHeader("X-Signature", "X-Delivery");

    private static Function<String, String> headers(Map<String, String> values) {
        return values::get;
    }

    private static byte[] secret(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertRejected(Runnable verify, String reason) {
        assertThatThrownBy(verify::run).isInstanceOfSatisfying(WebhookRejectedException.class, e -> {
            assertThat(e.reason()).contains(reason);
            // what a sender could be told says nothing of the reason
            assertThat(e.getMessage()).isEqualTo("Webhook delivery rejected");
            assertThat(e.getStatusCode()).isEqualTo(401);
            assertThat(e.getResponseBody()).isEmpty();
        });
    }

    // --- GitHub -------------------------------------------------------------------------------------------------

    @Test
    void acceptsGitHubsPublishedTestVector() {
        assertThat(new String(GITHUB_PAYLOAD, StandardCharsets.UTF_8)).isEqualTo(GITHUB_VECTOR.get("payload").asText());

        String matched = GITHUB.verify(headers(Map.of("X-Hub-Signature-256", GITHUB_SIGNATURE)), GITHUB_PAYLOAD,
                secret(GITHUB_SECRET), NOW);

        assertThat(matched).isEqualTo(GITHUB_VECTOR.get("expected_signature_hex").asText());
    }

    @Test
    void acceptsAnUpperCaseHexSignature() {
        String upper = "sha256=" + GITHUB_VECTOR.get("expected_signature_hex").asText().toUpperCase();
        assertThat(GITHUB.verify(headers(Map.of("X-Hub-Signature-256", upper)), GITHUB_PAYLOAD, secret(GITHUB_SECRET),
                NOW)).isEqualTo(GITHUB_VECTOR.get("expected_signature_hex").asText());
    }

    @Test
    void rejectsATamperedGitHubBody() {
        byte[] tampered = Arrays.copyOf(GITHUB_PAYLOAD, GITHUB_PAYLOAD.length + 1);
        tampered[tampered.length - 1] = '\n';
        assertRejected(() -> GITHUB.verify(headers(Map.of("X-Hub-Signature-256", GITHUB_SIGNATURE)), tampered,
                secret(GITHUB_SECRET), NOW), "does not match");
    }

    @Test
    void rejectsAGitHubDeliverySignedWithAnotherSecret() {
        assertRejected(() -> GITHUB.verify(headers(Map.of("X-Hub-Signature-256", GITHUB_SIGNATURE)), GITHUB_PAYLOAD,
                secret("It's a Secret to Somebody"), NOW), "does not match");
    }

    @Test
    void rejectsAGitHubDeliveryWithoutSignature() {
        assertRejected(() -> GITHUB.verify(headers(Map.of()), GITHUB_PAYLOAD, secret(GITHUB_SECRET), NOW),
                "no X-Hub-Signature-256 header");
    }

    @Test
    void rejectsAGitHubSignatureOfAnotherForm() {
        String hex = GITHUB_VECTOR.get("expected_signature_hex").asText();
        assertRejected(() -> GITHUB.verify(headers(Map.of("X-Hub-Signature-256", hex)), GITHUB_PAYLOAD,
                secret(GITHUB_SECRET), NOW), "is not sha256=<hex>");
        assertRejected(() -> GITHUB.verify(headers(Map.of("X-Hub-Signature-256", "sha256=not-hex")), GITHUB_PAYLOAD,
                secret(GITHUB_SECRET), NOW), "does not match");
        assertRejected(() -> GITHUB.verify(headers(Map.of("X-Hub-Signature-256", "sha256=" + hex.substring(2))),
                GITHUB_PAYLOAD, secret(GITHUB_SECRET), NOW), "does not match");
    }

    @Test
    void aGitHubDeliveryIsIdentifiedByItsDeliveryHeader() {
        assertThat(GITHUB.deliveryIds(headers(Map.of("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")),
                GITHUB_PAYLOAD)).containsExactly("delivery:72d3162e-cc78-11e3-81ab-4c9367dc0958");
        assertThat(GITHUB.deliveryIds(headers(Map.of()), GITHUB_PAYLOAD)).isEmpty();
    }

    // --- Stripe -------------------------------------------------------------------------------------------------

    @Test
    void parsesTheExampleHeaderOfStripesDocs() {
        WebhookSignature.Stripe.Header parsed = WebhookSignature.Stripe.Header.parse(STRIPE_DOCS_HEADER);

        assertThat(parsed.timestamp()).isEqualTo(1492774577L);
        // v0 is another scheme, ignored
        assertThat(parsed.signatures())
                .containsExactly("5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd");
    }

    @Test
    void refusesStripeHeadersWithoutTimestampOrV1() {
        assertRejected(() -> WebhookSignature.Stripe.Header.parse("v1=abc"), "no timestamp");
        assertRejected(() -> WebhookSignature.Stripe.Header.parse("t=1492774577,v0=abc"), "no signature of scheme v1");
        assertRejected(() -> WebhookSignature.Stripe.Header.parse("t=soon,v1=abc"), "t is not a number");
    }

    @Test
    void acceptsAStripeEventSignedAsTheSchemeSays() {
        String header = stripeHeader(STRIPE_SECRET, T, STRIPE_PAYLOAD);

        String matched = STRIPE.verify(headers(Map.of("Stripe-Signature", header)), STRIPE_PAYLOAD,
                secret(STRIPE_SECRET), NOW.plusSeconds(10));

        assertThat(matched)
                .isEqualTo(sign(STRIPE_SECRET, T + "." + new String(STRIPE_PAYLOAD, StandardCharsets.UTF_8)));
    }

    @Test
    void acceptsAnyOfSeveralV1SignaturesAsWhileASecretIsRolled() {
        String header = "t=" + T + ",v1=" + sign("whsec_old_secret", T + ".x") + ",v1="
                        + sign(STRIPE_SECRET, T + "." + new String(STRIPE_PAYLOAD, StandardCharsets.UTF_8))
                        + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";

        assertThat(STRIPE.verify(headers(Map.of("Stripe-Signature", header)), STRIPE_PAYLOAD, secret(STRIPE_SECRET),
                NOW)).hasSize(64);
    }

    @Test
    void rejectsAStripeEventSignedOutsideTheTolerance() {
        String header = stripeHeader(STRIPE_SECRET, T, STRIPE_PAYLOAD);
        Function<String, String> h = headers(Map.of("Stripe-Signature", header));

        assertThat(STRIPE.verify(h, STRIPE_PAYLOAD, secret(STRIPE_SECRET), NOW.plusSeconds(300))).hasSize(64);
        assertRejected(() -> STRIPE.verify(h, STRIPE_PAYLOAD, secret(STRIPE_SECRET), NOW.plusSeconds(301)),
                "timestamp is 301 s from now, over the tolerance of 300 s");
        assertRejected(() -> STRIPE.verify(h, STRIPE_PAYLOAD, secret(STRIPE_SECRET), NOW.minusSeconds(301)),
                "timestamp is -301 s from now");
    }

    @Test
    void rejectsATamperedStripeEventOrAnotherSecretOrTimestamp() {
        String header = stripeHeader(STRIPE_SECRET, T, STRIPE_PAYLOAD);
        byte[] tampered = new String(STRIPE_PAYLOAD, StandardCharsets.UTF_8).replace("rdr_123", "rdr_124")
                .getBytes(StandardCharsets.UTF_8);
        assertRejected(() -> STRIPE.verify(headers(Map.of("Stripe-Signature", header)), tampered,
                secret(STRIPE_SECRET), NOW), "does not match");
        assertRejected(() -> STRIPE.verify(headers(Map.of("Stripe-Signature", header)), STRIPE_PAYLOAD,
                secret("whsec_other"), NOW), "does not match");
        // the timestamp is signed: moving it into the tolerance breaks the signature
        String moved = header.replace("t=" + T, "t=" + (T + 1));
        assertRejected(() -> STRIPE.verify(headers(Map.of("Stripe-Signature", moved)), STRIPE_PAYLOAD,
                secret(STRIPE_SECRET), NOW), "does not match");
        assertRejected(() -> STRIPE.verify(headers(Map.of()), STRIPE_PAYLOAD, secret(STRIPE_SECRET), NOW),
                "no Stripe-Signature header");
    }

    @Test
    void aStripeEventIsIdentifiedByItsIdInTheBody() {
        assertThat(STRIPE.deliveryIds(headers(Map.of()), STRIPE_PAYLOAD)).containsExactly("event:evt_test_webhook");
        assertThat(STRIPE.deliveryIds(headers(Map.of()), "not json".getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(new WebhookSignature.Stripe("Stripe-Signature", Duration.ofMinutes(5), "X-Request-Id")
                .deliveryIds(headers(Map.of("X-Request-Id", "r-1")), STRIPE_PAYLOAD))
                .containsExactly("delivery:r-1", "event:evt_test_webhook");
    }

    // --- plain HMAC header --------------------------------------------------------------------------------------

    @Test
    void acceptsAPlainHmacHeaderBareOrPrefixed() {
        byte[] body = "{\"event\": \"ping\"}".getBytes(StandardCharsets.UTF_8);
        String hex = sign("s3cret", body);

        for (String value : List.of(hex, "sha256=" + hex, "SHA256=" + hex.toUpperCase())) {
            assertThat(HMAC.verify(headers(Map.of("X-Signature", value)), body, secret("s3cret"), NOW)).isEqualTo(hex);
        }
        assertRejected(() -> HMAC.verify(headers(Map.of("X-Signature", hex)), body, secret("other"), NOW),
                "X-Signature does not match");
        assertRejected(() -> HMAC.verify(headers(Map.of()), body, secret("s3cret"), NOW), "no X-Signature header");
        assertThat(HMAC.deliveryIds(headers(Map.of("X-Delivery", " d-1 ")), body)).containsExactly("delivery:d-1");
    }
}
