package dev.caravan.component.webhook;

import dev.caravan.component.node.NodeConstants;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static dev.caravan.component.webhook.WebhookFixtures.GITHUB_SECRET;
import static dev.caravan.component.webhook.WebhookFixtures.sign;
import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** Two members behind one webhook URL: a delivery replayed to the other member is caught there. */
class WebhookReplayClusterTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .members(2)
            .property("caravan.secret.GITHUB_TEST_SECRET", GITHUB_SECRET)
            .routes(rb -> rb.from("direct:hook")
                    .to("caravan-webhook:github?secret=GITHUB_TEST_SECRET")
                    .to("caravan-run:start?workflow=echo"))
            .workflow("echo.caravan.yaml", header("echo") + """
                        - id: copy
                          set: { text: "${{ input }}" }
                    """)
            .build();

    private static Exchange deliver(int member, byte[] body, String delivery) {
        return caravan.engine(member).camelContext().createProducerTemplate().request("direct:hook", e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeader("X-Hub-Signature-256", "sha256=" + sign(GITHUB_SECRET, body));
            e.getMessage().setHeader("X-GitHub-Delivery", delivery);
        });
    }

    @Test
    void aDeliveryReplayedToAnotherMemberStartsNoSecondRun() {
        String delivery = UUID.randomUUID().toString();
        byte[] body = ("{\"delivery\": \"" + delivery + "\"}").getBytes(StandardCharsets.UTF_8);

        Exchange first = deliver(0, body, delivery);
        assertThat(first.getException()).isNull();
        String runId = first.getMessage().getHeader(NodeConstants.RUN_ID_HEADER, String.class);

        Exchange replayed = deliver(1, body, delivery);
        assertThat(replayed.getException()).isInstanceOfSatisfying(WebhookReplayedException.class,
                e -> assertThat(e.runId()).isEqualTo(runId));
        assertThat(replayed.getMessage().getHeader(NodeConstants.RUN_ID_HEADER)).isNull();
    }
}
