package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Webhook triggers on {@code caravan serve}, driven over HTTP as GitHub and Stripe drive them: hand-written routes
 * (platform-http, caravan-webhook, caravan-run:start) beside the workflow they start, which answer 202 with the run
 * id, 401 saying nothing to a delivery not signed with the secret, the first answer to a delivery received again, and
 * 413 to a body over the cap.
 */
class WebhooksIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GITHUB_SECRET = "It's a Secret to Everybody";
    private static final String STRIPE_SECRET = "whsec_test_secret";
    private static final long MAX_BODY = 64 * 1024;

    @TempDir
    static Path dir;

    static CaravanServer server;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        Path webhooks = Path.of(WebhooksIT.class.getResource("/serve/webhooks").toURI());
        server = CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                List.of(webhooks), Map.of(
                        CaravanServer.KAFKA_BOOTSTRAP, "127.0.0.1:9",
                        // the secrets by the names the routes give them: an environment variable in production
                        "caravan.secret.GITHUB_WEBHOOK_SECRET", GITHUB_SECRET,
                        "caravan.secret.STRIPE_WEBHOOK_SECRET", STRIPE_SECRET,
                        CaravanServer.MAX_BODY_BYTES, String.valueOf(MAX_BODY)),
                webhooks.getParent()), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aSignedGitHubDeliveryStartsARunAndIsAnsweredWithItsId() throws Exception {
        String name = "Ada-" + UUID.randomUUID();
        String body = "{\"name\": \"" + name + "\", \"action\": \"opened\"}";

        HttpResponse<String> r = post("/hooks/github", body, github(GITHUB_SECRET, body, UUID.randomUUID()));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        // neither the request's headers nor Camel's go back
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("x-hub")
                || h.toLowerCase().startsWith("x-github") || h.toLowerCase().startsWith("camel"));
        String runId = JSON.readTree(r.body()).get("runId").asText();
        RunRecord run = await().atMost(Duration.ofSeconds(20)).until(() -> server.engine().queries().get(runId),
                rec -> rec != null && rec.status().isTerminal());
        assertThat(run.workflow()).isEqualTo("welcome");
        assertThat(server.engine().values().resolve(run.output()))
                .isEqualTo("Welcome, " + name + "!");
    }

    @Test
    void aDeliveryWithATraceparentStartsARunInTheSendersTrace() throws Exception {
        String body = "{\"name\": \"Tess-" + UUID.randomUUID() + "\"}";
        Map<String, String> headers = new HashMap<>(github(GITHUB_SECRET, body, UUID.randomUUID()));
        headers.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        HttpResponse<String> r = post("/hooks/github", body, headers);

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("traceparent"));
        String runId = JSON.readTree(r.body()).get("runId").asText();
        assertThat(server.engine().queries().get(runId).traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    }

    @Test
    void aTamperedBodyAnotherSecretOrNoSignatureIsAnswered401SayingNothing() throws Exception {
        String body = "{\"name\": \"Bo\"}";
        Map<String, String> signed = github(GITHUB_SECRET, body, UUID.randomUUID());

        List<HttpResponse<String>> refused = List.of(
                post("/hooks/github", "{\"name\": \"Bob\"}", signed),
                post("/hooks/github", body, github("It's a Secret to Somebody", body, UUID.randomUUID())),
                post("/hooks/github", body, Map.of("X-GitHub-Delivery", UUID.randomUUID().toString())));

        for (HttpResponse<String> r : refused) {
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).isEmpty();
            assertThat(r.headers().firstValue("Content-Type")).isEmpty();
        }
        assertThat(runsNamed("Bo")).isZero();
        assertThat(runsNamed("Bob")).isZero();
    }

    @Test
    void aReplayedDeliveryIsAnsweredWithTheFirstRunAndStartsNoOther() throws Exception {
        String name = "Cy-" + UUID.randomUUID();
        String body = "{\"name\": \"" + name + "\"}";
        UUID delivery = UUID.randomUUID();

        HttpResponse<String> first = post("/hooks/github", body, github(GITHUB_SECRET, body, delivery));
        HttpResponse<String> again = post("/hooks/github", body, github(GITHUB_SECRET, body, delivery));
        // the delivery header is not signed: a replay under another id is still the same signed body
        HttpResponse<String> renamed = post("/hooks/github", body, github(GITHUB_SECRET, body, UUID.randomUUID()));

        assertThat(first.statusCode()).isEqualTo(202);
        String runId = JSON.readTree(first.body()).get("runId").asText();
        for (HttpResponse<String> r : List.of(again, renamed)) {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(JSON.readTree(r.body()).get("runId").asText()).isEqualTo(runId);
        }
        assertThat(runsNamed(name)).isEqualTo(1);
    }

    @Test
    void aDeliverySentAgainTheMomentItWasAnsweredGetsTheSameAnswer() throws Exception {
        // what the delivery started is remembered when its route ends, before the answer leaves; a guard only, as the
        // window after the answer (when the exchange is done) is too short for this loop to hit reliably
        for (int i = 0; i < 10; i++) {
            String body = "{\"name\": \"Fay-" + UUID.randomUUID() + "\"}";
            Map<String, String> headers = github(GITHUB_SECRET, body, UUID.randomUUID());
            HttpResponse<String> first = post("/hooks/github", body, headers);
            HttpResponse<String> again = post("/hooks/github", body, headers);
            assertThat(first.statusCode()).isEqualTo(202);
            assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
            assertThat(JSON.readTree(again.body())).isEqualTo(JSON.readTree(first.body()));
        }
    }

    @Test
    void aStripeEventIsCheckedForItsTimestampAndStartsOneRunHoweverOftenSent() throws Exception {
        String name = "Di-" + UUID.randomUUID();
        String body = "{\"id\": \"evt_" + UUID.randomUUID().toString().replace("-", "") + "\", \"object\": \"event\","
                      + " \"name\": \"" + name + "\"}";
        long now = Instant.now().getEpochSecond();

        HttpResponse<String> stale = post("/hooks/stripe", body, stripe(body, now - 600));
        HttpResponse<String> fresh = post("/hooks/stripe", body, stripe(body, now));
        // Stripe's retry of the same event: signed again, later
        HttpResponse<String> retried = post("/hooks/stripe", body, stripe(body, now + 1));

        assertThat(stale.statusCode()).isEqualTo(401);
        assertThat(stale.body()).isEmpty();
        assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(202);
        assertThat(retried.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(retried.body()).get("runId").asText())
                .isEqualTo(JSON.readTree(fresh.body()).get("runId").asText());
        assertThat(runsNamed(name)).isEqualTo(1);
    }

    @Test
    void aBodyOverTheCapIsAnswered413BeforeAnyRouteSeesIt() throws Exception {
        String body = "{\"name\": \"" + "x".repeat((int) MAX_BODY) + "\"}";

        HttpResponse<String> r = post("/hooks/github", body, github(GITHUB_SECRET, body, UUID.randomUUID()));

        assertThat(r.statusCode()).isEqualTo(413);
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    /** The headers GitHub sends with a delivery signed with the secret. */
    private static Map<String, String> github(String secret, String body, UUID delivery) {
        return Map.of("X-Hub-Signature-256", "sha256=" + hmac(secret, body), "X-GitHub-Delivery", delivery.toString(),
                "X-GitHub-Event", "issues");
    }

    /** The header Stripe sends with an event signed at {@code t}. */
    private static Map<String, String> stripe(String body, long t) {
        return Map.of("Stripe-Signature", "t=" + t + ",v1=" + hmac(STRIPE_SECRET, t + "." + body));
    }

    private static String hmac(String secret, String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many runs of welcome were started for this name. */
    private static long runsNamed(String name) {
        RunQuery welcomeRuns = new RunQuery(null, "welcome", null, RunQuery.MAX_LIMIT, null, null);
        return server.engine().queries().page(welcomeRuns).runs().stream()
                .filter(r -> server.engine().values().resolve(r.input()) instanceof Map<?, ?> input
                             && name.equals(input.get("name")))
                .count();
    }

    private static HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
