package dev.caravan.llm;

import java.util.List;

import dev.caravan.llm.LlmException.Kind;
import dev.langchain4j.data.message.UserMessage;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LlmBudgetTest extends CamelTestSupport {

    private static final String PROMPT = "Weather in Paris?";

    private final RecordingChatModelFactory recording = new RecordingChatModelFactory();

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("recordingFactory", recording);
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                // recording costs 2 micro-dollars per input token and 10 per output token
                from("direct:chat").to("caravan-llm:chat?model=recording&maxTokens=100&scriptedReplies=RAW([\"ok\"])");
                from("direct:optioned").to("caravan-llm:chat?model=recording&maxTokens=100&budgetTokens=1000000"
                                           + "&scriptedReplies=RAW([\"ok\"])");
                from("direct:noMax").to("caravan-llm:chat?model=recording&scriptedReplies=RAW([\"ok\"])");
                from("direct:tools").to("caravan-llm:chat?model=recording&maxTokens=50&scriptedReplies=RAW(["
                                        + "{\"toolCalls\":[{\"name\":\"weather\",\"arguments\":{\"city\":\"Paris\"}}]},"
                                        + "\"It is sunny in Paris\"])");
                from("direct:weather").setBody(constant("sunny"));
            }
        };
    }

    private static long promptTokens() {
        return LlmProducer.estimateTokens(List.of(UserMessage.from(PROMPT)), List.of());
    }

    private Exchange call(String uri, String header, Object value) {
        return template.request(uri, e -> {
            e.getMessage().setBody(PROMPT);
            if (header != null) {
                e.getMessage().setHeader(header, value);
            }
        });
    }

    @Test
    void estimatesAPromptAsOneTokenPerFourCharactersRoundedUp() {
        assertThat(LlmProducer.estimateTokens(List.of(UserMessage.from("12345678")), List.of())).isEqualTo(2);
        assertThat(LlmProducer.estimateTokens(List.of(UserMessage.from("123456789")), List.of())).isEqualTo(3);
    }

    @Test
    void refusesACallWhoseWorstCaseCostExceedsTheRemainingBudgetWithoutCallingTheModel() {
        long worst = promptTokens() * 2 + 100 * 10;

        Exchange out = call("direct:chat", LlmConstants.BUDGET_MICROS, worst - 1);

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.BUDGET);
            assertThat(e.retryable()).isFalse();
            assertThat(e).hasMessageContaining("nothing was sent");
        });
        assertThat(recording.requests).isEmpty();
    }

    @Test
    void letsACallThroughWhenItsWorstCaseFitsExactly() {
        long worst = promptTokens() * 2 + 100 * 10;

        Exchange out = call("direct:chat", LlmConstants.BUDGET_MICROS, worst);

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("ok");
        assertThat(recording.requests).hasSize(1);
    }

    @Test
    void assumesFourThousandNinetySixOutputTokensWhenMaxTokensIsNotSet() {
        Exchange refused = call("direct:noMax", LlmConstants.BUDGET_TOKENS, promptTokens() + 4095);
        Exchange allowed = call("direct:noMax", LlmConstants.BUDGET_TOKENS, promptTokens() + 4096);

        assertThat(refused.getException()).isInstanceOfSatisfying(LlmException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.BUDGET));
        assertThat(allowed.getException()).isNull();
        assertThat(recording.requests).hasSize(1);
    }

    @Test
    void takesTheSmallestOfTheOptionThePropertyAndTheHeader() {
        Exchange out = template.request("direct:optioned", e -> {
            e.getMessage().setBody(PROMPT);
            e.setProperty(LlmConstants.BUDGET_TOKENS, 10L);
            e.getMessage().setHeader(LlmConstants.BUDGET_TOKENS, "1000000");
        });

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class,
                e -> assertThat(e.kind()).isEqualTo(Kind.BUDGET));
        assertThat(recording.requests).isEmpty();
    }

    @Test
    void countsEachCallOfTheToolLoopAgainstTheBudget() {
        LlmTool weather = new LlmTool("weather", "The forecast for a city",
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}", "direct:weather");
        long firstCall = LlmProducer.estimateTokens(List.of(UserMessage.from(PROMPT)),
                List.of(context.getComponent("caravan-llm", LlmComponent.class).schemas().toolSpecification(weather))) + 50;

        Exchange out = template.request("direct:tools", e -> {
            e.getMessage().setBody(PROMPT);
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(weather));
            e.setProperty(LlmConstants.BUDGET_TOKENS, firstCall);
        });

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.BUDGET);
            assertThat(e).hasMessageContaining("token budget");
        });
        assertThat(recording.requests).hasSize(1);
        assertThat(out.getMessage().getHeader(LlmConstants.INPUT_TOKENS, Long.class)).isPositive();
    }
}
