package dev.caravan.component.webhook;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.run.UnknownWorkflowException;
import dev.caravan.state.RunQuery;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.SynchronizationAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_PAYLOAD;
import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_SECRET;
import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_SIGNATURE;
import static dev.caravan.component.webhook.WebhookFixtures.STRIPE_PAYLOAD;
import static dev.caravan.component.webhook.WebhookFixtures.STRIPE_SECRET;
import static dev.caravan.component.webhook.WebhookFixtures.sign;
import static dev.caravan.component.webhook.WebhookFixtures.stripeHeader;
import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code caravan-webhook} in routes on an embedded engine: verified deliveries go on, others fail the exchange with
 * what to answer, and a delivery received again starts no second run.
 */
class WebhookComponentTest {

    private static final String ECHO = header("echo") + """
                - id: copy
                  set: { text: "${{ input }}" }
            """;

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.secret.GITHUB_TEST_SECRET", GITHUB_SECRET)
            .property("caravan.secret.STRIPE_TEST_SECRET", STRIPE_SECRET)
            // a property of the name itself, as Camel Main or Camel K sets one
            .property("PLAIN_TEST_SECRET", "s3cret")
            .workflow("echo.caravan.yaml", ECHO)
            .build();

    private static Exchange deliver(String uri, Object body, Map<String, Object> headers) {
        return caravan.camelContext().createProducerTemplate().request(uri, e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeaders(new HashMap<>(headers));
        });
    }

    private static Map<String, Object> github(String delivery) {
        return Map.of("X-Hub-Signature-256", GITHUB_SIGNATURE, "X-GitHub-Delivery", delivery);
    }

    @Test
    void aVerifiedDeliveryGoesOnUnchanged() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET&replayWindow=0");

        Exchange done = deliver(route, GITHUB_PAYLOAD, github("d-unchanged"));

        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody()).isSameAs(GITHUB_PAYLOAD);
        assertThat(done.getMessage().getHeader(WebhookConstants.DELIVERY)).isEqualTo("d-unchanged");
    }

    @Test
    void aStreamBodyIsReadOnceAndKept() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET&replayWindow=0");

        Exchange done = deliver(route, new ByteArrayInputStream(GITHUB_PAYLOAD), github("d-stream"));

        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody(String.class)).isEqualTo("Hello, World!");
    }

    @Test
    void aTamperedBodyAnotherSecretOrNoSignatureIsRejected() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET");
        String other = caravan.startRoute("caravan-webhook:github?secret=PLAIN_TEST_SECRET");

        for (Exchange refused : new Exchange[] {
                deliver(route, "Hello, World?".getBytes(StandardCharsets.UTF_8), github("d-tampered")),
                deliver(other, GITHUB_PAYLOAD, github("d-other-secret")),
                deliver(route, GITHUB_PAYLOAD, Map.of("X-GitHub-Delivery", "d-unsigned")) }) {
            assertThat(refused.getException()).isInstanceOfSatisfying(WebhookRejectedException.class, e -> {
                assertThat(e.getStatusCode()).isEqualTo(401);
                assertThat(e.getResponseBody()).isEmpty();
                assertThat(e.getMessage()).doesNotContain("secret", "match", "X-Hub");
            });
        }
    }

    @Test
    void aStripeEventIsCheckedAgainstTheClockAndItsTolerance() throws Exception {
        String uri = "caravan-webhook:stripe?secret=STRIPE_TEST_SECRET&tolerance=1m&replayWindow=0";
        Instant signedAt = Instant.parse("2026-12-05T01:00:00Z");
        MutableClock clock = new MutableClock(signedAt.plusSeconds(10));
        caravan.camelContext().getEndpoint(uri, WebhookEndpoint.class).setClock(clock);
        String route = caravan.startRoute(uri);
        Map<String, Object> signed = Map.of("Stripe-Signature", stripeHeader(STRIPE_SECRET, signedAt.getEpochSecond(),
                STRIPE_PAYLOAD));

        assertThat(deliver(route, STRIPE_PAYLOAD, signed).getException()).isNull();
        clock.now = signedAt.plusSeconds(61);
        assertThat(deliver(route, STRIPE_PAYLOAD, signed).getException()).isInstanceOf(WebhookRejectedException.class);
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {

        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    @Test
    void aPlainHmacHeaderIsCheckedAndItsDeliveryHeaderNamesTheDelivery() throws Exception {
        String route = caravan.startRoute(
                "caravan-webhook:hmac?secret=PLAIN_TEST_SECRET&header=X-Signature&deliveryHeader=X-Delivery");
        byte[] body = "{\"n\": 1}".getBytes(StandardCharsets.UTF_8);

        Exchange done = deliver(route, body, Map.of("X-Signature", "sha256=" + sign("s3cret", body), "X-Delivery",
                "p-1"));

        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getHeader(WebhookConstants.DELIVERY)).isEqualTo("p-1");
        assertThat(deliver(route, body, Map.of("X-Signature", sign("other", body))).getException())
                .isInstanceOf(WebhookRejectedException.class);
    }

    @Test
    void aDeliveryReceivedAgainIsAnsweredWithTheRunItStarted() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET",
                "caravan-run:start?workflow=echo");
        String delivery = UUID.randomUUID().toString();
        byte[] body = ("{\"delivery\": \"" + delivery + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> headers = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", delivery);

        Exchange first = deliver(route, body, headers);
        assertThat(first.getException()).isNull();
        String runId = first.getMessage().getHeader(NodeConstants.RUN_ID_HEADER, String.class);
        await().atMost(10, TimeUnit.SECONDS).until(() -> caravan.queries().get(runId).status().isTerminal());

        Exchange again = deliver(route, body, headers);
        assertThat(again.getException()).isInstanceOfSatisfying(WebhookReplayedException.class, e -> {
            assertThat(e.runId()).isEqualTo(runId);
            assertThat(e.getStatusCode()).isEqualTo(202);
            assertThat(e.getResponseBody()).isEqualTo("{\"runId\":\"" + runId + "\"}");
        });
        // the delivery header is not signed: another id on the same signed body is the same delivery
        Exchange renamed = deliver(route, body, Map.of("X-Hub-Signature-256", headers.get("X-Hub-Signature-256"),
                "X-GitHub-Delivery", "renamed-" + delivery));
        assertThat(renamed.getException()).isInstanceOfSatisfying(WebhookReplayedException.class,
                e -> assertThat(e.runId()).isEqualTo(runId));
        assertThat(caravan.queries().page(new RunQuery(null, "echo", null, RunQuery.MAX_LIMIT, null, null)).runs()
                .stream().filter(r -> String.valueOf(r.input()).contains(delivery))).hasSize(1);
    }

    @Test
    void oneDeliverySentToTwoPathsGoesOnAtEach() throws Exception {
        String issues = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET");
        String audit = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET");
        byte[] body = ("{\"n\": \"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> signed = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", "d-" + UUID.randomUUID());

        assertThat(deliver(issues, body, signed).getException()).isNull();
        assertThat(deliver(audit, body, signed).getException()).isNull();
        assertThat(deliver(audit, body, signed).getException()).isInstanceOf(WebhookReplayedException.class);
    }

    @Test
    void aStripeEventSentAgainWithANewSignatureIsTheSameEvent() throws Exception {
        String route = caravan.startRoute("caravan-webhook:stripe?secret=STRIPE_TEST_SECRET",
                "caravan-run:start?workflow=echo");
        String id = "evt_" + UUID.randomUUID().toString().replace("-", "");
        byte[] body = ("{\"id\": \"" + id + "\", \"object\": \"event\"}").getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();

        Exchange first = deliver(route, body, Map.of("Stripe-Signature", stripeHeader(STRIPE_SECRET, now, body)));
        assertThat(first.getException()).isNull();
        assertThat(first.getMessage().getHeader(WebhookConstants.DELIVERY)).isEqualTo(id);
        // Stripe's retry: the same event, signed again at another time
        Exchange retry = deliver(route, body, Map.of("Stripe-Signature", stripeHeader(STRIPE_SECRET, now + 5, body)));
        assertThat(retry.getException()).isInstanceOfSatisfying(WebhookReplayedException.class,
                e -> assertThat(e.runId()).isEqualTo(first.getMessage().getHeader(NodeConstants.RUN_ID_HEADER)));
    }

    @Test
    void aDeliveryThatFailedIsNotRememberedSoItsRetryGoesThrough() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET",
                "caravan-run:start?workflow=not-deployed");
        Map<String, Object> headers = github("d-" + UUID.randomUUID());
        byte[] body = ("{\"n\": \"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> signed = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", headers.get("X-GitHub-Delivery"));

        assertThat(deliver(route, body, signed).getException()).isInstanceOf(UnknownWorkflowException.class);
        assertThat(deliver(route, body, signed).getException()).isInstanceOf(UnknownWorkflowException.class);
    }

    @Test
    void aDeliveryStillBeingHandledIsAConflict() throws Exception {
        // the second delivery arrives while the first is still in its route
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET",
                "direct:webhook-again");
        byte[] body = ("{\"n\": \"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> signed = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", "d-" + UUID.randomUUID());
        Exchange[] inner = new Exchange[1];
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:webhook-again").process(e -> inner[0] = deliver(route, body, signed));
            }
        });

        assertThat(deliver(route, body, signed).getException()).isNull();
        assertThat(inner[0].getException()).isInstanceOfSatisfying(WebhookReplayedException.class, e -> {
            assertThat(e.runId()).isNull();
            assertThat(e.inFlight()).isTrue();
            assertThat(e.getStatusCode()).isEqualTo(409);
            assertThat(e.getResponseBody()).isEmpty();
        });
    }

    @Test
    void durationsAreWrittenAsCamelWritesThem() {
        String uri = "caravan-webhook:stripe?secret=STRIPE_TEST_SECRET&tolerance=300s&replayWindow=7d";
        WebhookEndpoint endpoint = caravan.camelContext().getEndpoint(uri, WebhookEndpoint.class);

        assertThat(endpoint.getTolerance()).isEqualTo(300_000L);
        assertThat(endpoint.getReplayWindow()).isEqualTo(7 * 24 * 3600_000L);
        assertThat(caravan.camelContext().getEndpoint("caravan-webhook:github?secret=GITHUB_TEST_SECRET",
                WebhookEndpoint.class).getReplayWindow()).as("the default").isEqualTo(24 * 3600_000L);
    }

    @Test
    void whatADeliveryStartedIsRememberedWhenItsRouteEndsBeforeTheExchangeIsDone() throws Exception {
        // platform-http answers between the two: a sender may send again before the exchange is done, as here
        byte[] body = ("{\"n\": \"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> signed = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", "d-" + UUID.randomUUID());
        Exchange[] sentAgain = new Exchange[1];
        caravan.camelContext().addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:webhook-done").id("webhook-done")
                        .to("caravan-webhook:github?secret=GITHUB_TEST_SECRET")
                        .to("caravan-run:start?workflow=echo")
                        // added last, so called first when the exchange is done (Camel calls them last in, first out)
                        .process(e -> e.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                            @Override
                            public void onComplete(Exchange done) {
                                sentAgain[0] = deliver("direct:webhook-done", body, signed);
                            }
                        }));
            }
        });

        Exchange first = deliver("direct:webhook-done", body, signed);

        assertThat(first.getException()).isNull();
        assertThat(sentAgain[0].getException()).isInstanceOfSatisfying(WebhookReplayedException.class, e -> {
            assertThat(e.inFlight()).isFalse();
            assertThat(e.runId()).isEqualTo(first.getMessage().getHeader(NodeConstants.RUN_ID_HEADER));
        });
    }

    @Test
    void aDeliveryHandledWithoutARunIsAnsweredAsBeforeWithoutARun() throws Exception {
        // a route that starts no run, as a trigger whose filter skips the event
        String route = caravan.startRoute("caravan-webhook:github?secret=GITHUB_TEST_SECRET");
        byte[] body = ("{\"n\": \"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        Map<String, Object> signed = Map.of("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body),
                "X-GitHub-Delivery", "d-" + UUID.randomUUID());

        assertThat(deliver(route, body, signed).getException()).isNull();
        assertThat(deliver(route, body, signed).getException()).isInstanceOfSatisfying(WebhookReplayedException.class,
                e -> {
                    assertThat(e.runId()).isNull();
                    assertThat(e.inFlight()).isFalse();
                    // the first answer: the trigger's route said 200 {"skipped": true}
                    assertThat(e.getStatusCode()).isEqualTo(200);
                    assertThat(e.getResponseBody()).isEqualTo("{\"skipped\":true}");
                    assertThat(e.getContentType()).isEqualTo("application/json");
                });
    }

    @Test
    void aMissingSecretStopsTheRouteNamingTheVariable() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-webhook:github?secret=NO_SUCH_WEBHOOK_SECRET"))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-webhook:github has no secret NO_SUCH_WEBHOOK_SECRET: set the environment variable"
                            + " NO_SUCH_WEBHOOK_SECRET or the Camel property NO_SUCH_WEBHOOK_SECRET (or"
                            + " caravan.secret.NO_SUCH_WEBHOOK_SECRET)");
    }

    @Test
    void aSecretWrittenIntoTheUriIsRefusedWithoutRepeatingIt() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-webhook:github?secret=It's a Secret to Everybody"))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-webhook:github secret= takes the name of an environment variable or Camel property"
                            + " (letters, digits, _ . -), not the secret itself");
    }

    @Test
    void badOptionsStopTheRoute() {
        assertThatThrownBy(() -> caravan.startRoute("caravan-webhook:github"))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs secret=<name of the environment variable or Camel property");
        assertThatThrownBy(() -> caravan.startRoute("caravan-webhook:hmac?secret=PLAIN_TEST_SECRET"))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-webhook:hmac needs header=<name of the header carrying the signature>");
        assertThatThrownBy(() -> caravan.startRoute("caravan-webhook:gitlab?secret=PLAIN_TEST_SECRET"))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan-webhook style must be one of github, stripe, hmac but was 'gitlab'");
    }
}
