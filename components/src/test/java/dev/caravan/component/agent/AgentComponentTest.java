package dev.caravan.component.agent;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.run.RunRecords;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.stream.Collectors;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code caravan-agent}: a model's reply is the node's output, streamed as events unless the route says otherwise. */
class AgentComponentTest {

    private static final String REPLY = "Hello, Ada! Welcome aboard.";

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .workflow("greet.caravan.yaml", header("greet") + """
                        - id: ask
                          agent:
                            model: scripted
                            prompt: "Greet ${{ input.name }}"
                            scripted: { replies: ["Hello, Ada! Welcome aboard."] }
                    """)
            .build();

    /** The text the run's delta events add up to. */
    private static String streamed(String runId) throws InterruptedException {
        caravan.eventBus().drain(5_000);
        return caravan.events().stream()
                .filter(e -> e.runId().equals(runId) && e.type().equals(EventTypes.NODE_OUTPUT_DELTA))
                .map(e -> String.valueOf(((Map<?, ?>) e.data()).get("text")))
                .collect(Collectors.joining());
    }

    @Test
    void theReplyIsTheOutputAndItIsStreamedByDefault() throws Exception {
        RunRecord r = caravan.run("greet", Map.of("name", "Ada"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ask").output()).isEqualTo(REPLY);
        assertThat(r.node("ask").detail()).containsEntry("provider", "scripted");
        assertThat(streamed(r.runId())).isEqualTo(REPLY);
    }

    @Test
    void streamingOffPublishesNoDeltas() throws Exception {
        String route = caravan.startRoute("caravan-run:begin?workflow=greet",
                "caravan-agent:ask?workflow=greet&streaming=false", "caravan-run:end?workflow=greet");

        Exchange done = caravan.request(route, Map.of("name", "Ada"));

        assertThat(done.getException()).isNull();
        assertThat(done.getMessage().getBody()).isEqualTo(Map.of("ask", REPLY));
        String runId = done.getProperty(RunRecords.RUN_ID, String.class);
        assertThat(streamed(runId)).isEmpty();
        assertThat(caravan.events()).filteredOn(e -> e.runId().equals(runId)).extracting(RunEvent::type)
                .contains(EventTypes.NODE_COMPLETED);
    }

    @Test
    void theWorkflowsDefaultModelAnswersANodeThatNamesNoneAndTheScriptedModelEchoesThePrompt() throws Exception {
        caravan.deploy(header("echo").replace("spec:\n", "spec:\n  defaults: { model: scripted }\n") + """
                    - id: ask
                      agent: { prompt: "Say hello to ${{ input.name }}" }
                """);

        RunRecord r = caravan.run("echo", Map.of("name", "Ada"));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("ask").output()).isEqualTo("Say hello to Ada");
    }

    @Test
    void aProviderWithoutAnApiKeyIsRefusedAtStartup() {
        assertThatThrownBy(() -> caravan.deploy(header("keyless") + """
                    - id: ask
                      agent: { model: "openai:gpt-4o-mini", prompt: "Hi" }
                """))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot deploy workflow keyless: ")
                .hasMessageContaining("No API key for provider 'openai'")
                .hasMessageContaining("OPENAI_API_KEY");
    }
}
