package dev.caravan.llm;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmPricesTest extends CamelTestSupport {

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext camel = super.createCamelContext();
        // a properties location, as application.properties would be
        camel.getPropertiesComponent().setLocation("classpath:llm-prices-test.properties");
        return camel;
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:unknown").to("caravan-llm:chat?model=scripted:anything");
            }
        };
    }

    private LlmPrices prices() {
        return context.getComponent("caravan-llm", LlmComponent.class).prices();
    }

    @Test
    void pricesTokensInWholeMicroDollarsRoundedUp() {
        // gpt-4o-mini: 0.15 USD / 0.60 USD per million tokens
        assertThat(prices().price("openai", "gpt-4o-mini")).isEqualTo(new LlmPrices.Price(150_000, 600_000));
        // 1234 * 150000 / 1e6 = 185.1 -> 186
        assertThat(prices().costMicros("openai", "gpt-4o-mini", 1234, 0)).isEqualTo(186L);
        // 1000 * 600000 / 1e6 = 600 exactly
        assertThat(prices().costMicros("openai", "gpt-4o-mini", 0, 1000)).isEqualTo(600L);
        assertThat(prices().costMicros("openai", "gpt-4o-mini", 1234, 1000)).isEqualTo(786L);
        assertThat(prices().costMicros("openai", "gpt-4o-mini", 1, 1)).isEqualTo(2L);
        assertThat(prices().costMicros("openai", "gpt-4o-mini", 0, 0)).isZero();
    }

    @Test
    void neverOverflowsButSaturates() {
        assertThat(LlmPrices.tokensCost(Long.MAX_VALUE / 2, 15_000_000)).isEqualTo(Long.MAX_VALUE);
        assertThat(LlmPrices.saturatedAdd(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void bundlesTheCurrentModelsOfEveryProvider() {
        assertThat(prices().price("openai", "gpt-4o")).isNotNull();
        assertThat(prices().price("openai", "gpt-4.1-mini")).isEqualTo(new LlmPrices.Price(400_000, 1_600_000));
        assertThat(prices().price("anthropic", "claude-haiku-4-5")).isEqualTo(new LlmPrices.Price(1_000_000, 5_000_000));
        assertThat(prices().price("anthropic", "claude-sonnet-4-5")).isEqualTo(new LlmPrices.Price(3_000_000, 15_000_000));
        assertThat(prices().price("gemini", "gemini-2.0-flash")).isEqualTo(new LlmPrices.Price(100_000, 400_000));
        assertThat(prices().price("gemini", "gemini-2.5-flash")).isEqualTo(new LlmPrices.Price(300_000, 2_500_000));
        assertThat(prices().costMicros("ollama", "llama3.2", 1_000_000, 1_000_000)).isZero();
        assertThat(prices().costMicros("scripted", null, 1_000_000, 1_000_000)).isZero();
    }

    @Test
    void camelPropertiesOverrideTheBundledPricesInDecimalDollars() {
        assertThat(prices().price("openai", "gpt-4o")).isEqualTo(new LlmPrices.Price(2_750_000, 11_000_000));
        // 0.0000015 USD per million is 1.5 micro-dollars, rounded up to 2; 1.000001 USD is 1,000,001 micro-dollars
        assertThat(prices().price("acme", "model-1.2")).isEqualTo(new LlmPrices.Price(2, 1_000_001));
        assertThat(prices().costMicros("acme", "model-1.2", 0, 1_000_000)).isEqualTo(1_000_001L);
    }

    @Test
    void anUnknownModelHasNoPriceAndCostsNothing() {
        assertThat(prices().price("openai", "gpt-9-ultra")).isNull();
        assertThat(prices().costMicros("openai", "gpt-9-ultra", 1000, 1000)).isNull();

        Object cost = template.requestBodyAndHeader("direct:unknown", "Hi", "x", "y", Object.class);
        assertThat(cost).isEqualTo("Hi");
        assertThat(template.request("direct:unknown", e -> e.getMessage().setBody("Hi")).getMessage()
                .getHeader(LlmConstants.COST_MICROS)).isEqualTo(0L);
    }

    @Test
    void rejectsAPriceThatIsNotADecimalNumber() {
        assertThatThrownBy(() -> LlmPrices.parseMicros("caravan.llm.price.x.y.input", "cheap", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("caravan.llm.price.x.y.input");
        assertThatThrownBy(() -> LlmPrices.parseMicros("caravan.llm.price.x.y.input", "-1", true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
}
