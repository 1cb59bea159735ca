package dev.caravan.run;

import dev.caravan.component.webhook.WebhookEndpoint;
import dev.caravan.component.webhook.WebhookException;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A webhook's signing secret is used and never shown: not in a log line at DEBUG, not in what a refused delivery
 * fails with, not in the endpoint as Camel prints it.
 */
class WebhookSecretsTest {

    private static final String SECRET = "whk-3x4mpl3-s3cr3t-7d1e";

    @RegisterExtension
    @Order(1)
    static final LogCapture logs = LogCapture.of("webhook-secrets-capture");
    @RegisterExtension
    @Order(2)
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.secret.HOOK_SECRET", SECRET)
            .build();

    @Test
    void theSecretVerifiesDeliveriesAndAppearsNowhere() throws Exception {
        String route = caravan.startRoute("caravan-webhook:github?secret=HOOK_SECRET");
        byte[] body = "{\"zen\": \"Keep it logically awesome.\"}".getBytes(StandardCharsets.UTF_8);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        List<Throwable> failures = new ArrayList<>();

        for (String sent : List.of(signature, signature, "sha256=" + "0".repeat(64))) {
            Exchange done = caravan.camelContext().createProducerTemplate().request(route, e -> {
                e.getMessage().setBody(body);
                e.getMessage().setHeader("X-Hub-Signature-256", sent);
                e.getMessage().setHeader("X-GitHub-Delivery", "d-1");
            });
            if (done.getException() != null) {
                failures.add(done.getException());
            }
        }

        // the first went on; the replay and the bad signature failed
        assertThat(failures).hasSize(2).allSatisfy(e -> {
            assertThat(e).isInstanceOf(WebhookException.class);
            assertThat(e.toString()).doesNotContain(SECRET);
            assertThat(((WebhookException) e).getResponseBody()).doesNotContain(SECRET);
        });
        assertThat(caravan.camelContext().getEndpoints()).filteredOn(WebhookEndpoint.class::isInstance)
                .isNotEmpty().allSatisfy(e -> assertThat(e.toString()).doesNotContain(SECRET));
        assertThat(logs.lines()).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain(SECRET));
        assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains("Rejected a delivery"));
    }
}
