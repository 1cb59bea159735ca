package dev.caravan.component.call;

import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code caravan-call}: any Camel endpoint is a node; its reply body is the output, its failure the node's. */
class CallComponentTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> {
                // replies with what it was sent
                rb.from("direct:echo").process(e -> e.getMessage().setBody(Map.of(
                        "body", e.getMessage().getBody(String.class),
                        "tag", e.getMessage().getHeader("X-Tag", String.class),
                        "key", e.getMessage().getHeader("CamelCaravanIdempotencyKey", String.class),
                        "node", e.getMessage().getHeader("CamelCaravanNodeKey", String.class))));
                rb.from("direct:down").throwException(new IllegalStateException("backend down"));
                rb.from("direct:up").setBody(rb.constant("fine"));
            })
            .build();

    @Test
    void theReplyBodyIsTheOutputAndTheEndpointGetsTheTemplatesAndTheIdempotencyKey() throws Exception {
        caravan.deploy(header("echoed") + """
                    - id: fetch
                      call:
                        uri: "direct:echo"
                        body: "Order ${{ input.order }}"
                        headers: { X-Tag: "tag-${{ input.order }}" }
                """);

        RunRecord r = caravan.run("echoed", Map.of("order", 17));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("fetch").output()).isEqualTo(Map.of("body", "Order 17", "tag", "tag-17",
                "key", r.runId() + "/fetch/1", "node", "fetch"));
    }

    @Test
    void aFailingEndpointFailsTheNodeWithCallFailed() throws Exception {
        caravan.deploy(header("broken") + """
                    - id: fetch
                      call: { uri: "direct:down" }
                """);

        RunRecord r = caravan.run("broken", Map.of());

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        NodeRecord fetch = r.node("fetch");
        assertThat(fetch.errorCode()).isEqualTo("CALL_FAILED");
        assertThat(fetch.error()).isEqualTo("backend down");
    }

    @Test
    void aTargetNoComponentServesIsRefusedAtStartup() {
        assertThatThrownBy(() -> caravan.deploy(header("unserved") + """
                    - id: fetch
                      call: { uri: "nosuchscheme:x" }
                """))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot deploy workflow unserved: ")
                .hasMessageContaining(
                        "Cannot send to nosuchscheme:x: No endpoint could be found for: nosuchscheme://x");
        assertThat(caravan.engine().catalog().get("unserved")).isNull();
    }

    @Test
    void aComputedTargetNoComponentServesFailsTheNode() throws Exception {
        caravan.deploy(header("computed") + """
                    - id: fetch
                      call: { uri: "${{ input.target }}" }
                """);

        RunRecord r = caravan.run("computed", Map.of("target", "nosuchscheme:x"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("fetch").errorCode()).isEqualTo("CALL_FAILED");
        assertThat(r.node("fetch").error()).startsWith(
                "Cannot send to nosuchscheme:x: No endpoint could be found for: nosuchscheme://x");
        assertThat(caravan.run("computed", Map.of("target", "direct:up")).node("fetch").output()).isEqualTo("fine");
    }
}
