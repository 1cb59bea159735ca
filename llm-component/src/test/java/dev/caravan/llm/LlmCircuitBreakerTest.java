package dev.caravan.llm;

import java.time.Duration;

import dev.caravan.llm.LlmException.Kind;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LlmCircuitBreakerTest extends CamelTestSupport {

    private final FlakyChatModelFactory flaky = new FlakyChatModelFactory();
    private final MutableClock clock = new MutableClock();
    private final LlmComponent component = new LlmComponent();

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("flakyFactory", flaky);
        component.setCircuitFailureThreshold(3);
        component.setCircuitOpenDuration(10_000);
        component.setClock(clock);
        registry.bind("caravan-llm", component);
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:chat").to("caravan-llm:chat?model=flaky:primary&fallback=scripted&maxRetries=0");
                from("direct:other").to("caravan-llm:chat?model=flaky:primary&fallback=flaky:backup&maxRetries=0");
                from("direct:alone").to("caravan-llm:chat?model=flaky:primary&maxRetries=0");
            }
        };
    }

    private Exchange call(String uri) {
        return template.request(uri, e -> e.getMessage().setBody("ping"));
    }

    private void failPrimaryThreeTimes() {
        for (int i = 0; i < 3; i++) {
            Exchange out = call("direct:chat");
            assertThat(out.getException()).isNull();
            assertThat(out.getMessage().getHeader(LlmConstants.PROVIDER)).isEqualTo("scripted");
        }
        assertThat(flaky.calls("primary")).isEqualTo(3);
    }

    @Test
    void opensAfterTheThresholdOfConsecutiveRetryableFailures() {
        failPrimaryThreeTimes();

        assertThat(component.circuitBreakers().isOpen("flaky:primary")).isTrue();
        assertThat(component.circuitBreakers().isOpen("flaky:backup")).isFalse();
    }

    @Test
    void skipsTheDeadModelAndGoesToTheFallbackWithoutCallingIt() {
        failPrimaryThreeTimes();

        Exchange out = call("direct:chat");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).isEqualTo("ping");
        assertThat(out.getMessage().getHeaders())
                .containsEntry(LlmConstants.PROVIDER, "scripted")
                .containsEntry(LlmConstants.ATTEMPTS, 1);
        assertThat(flaky.calls("primary")).isEqualTo(3);
    }

    @Test
    void sharesTheCircuitBetweenTheEndpointsOfTheComponent() {
        failPrimaryThreeTimes();
        flaky.healthy = true;

        Exchange out = call("direct:other");

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody(String.class)).isEqualTo("from flaky backup");
        assertThat(flaky.calls("primary")).isEqualTo(3);
        assertThat(flaky.calls("backup")).isEqualTo(1);
    }

    @Test
    void failsAtOnceWithARetryableCircuitOpenWhenNoFallbackIsLeft() {
        failPrimaryThreeTimes();

        Exchange out = call("direct:alone");

        assertThat(out.getException()).isInstanceOfSatisfying(LlmException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.CIRCUIT_OPEN);
            assertThat(e.retryable()).isTrue();
            assertThat(e.category()).isEqualTo(LlmException.Category.RUNTIME);
            assertThat(e).hasMessageContaining("flaky:primary");
        });
        assertThat(flaky.calls("primary")).isEqualTo(3);
    }

    @Test
    void stopsCountingWhenAFailureIsFollowedByASuccess() {
        call("direct:chat");
        call("direct:chat");
        flaky.healthy = true;
        call("direct:chat");
        flaky.healthy = false;
        call("direct:chat");
        call("direct:chat");

        assertThat(component.circuitBreakers().isOpen("flaky:primary")).isFalse();
        assertThat(flaky.calls("primary")).isEqualTo(5);
    }

    @Test
    void letsOneProbeThroughAfterTheOpenDurationAndClosesWhenItSucceeds() {
        failPrimaryThreeTimes();
        clock.advance(Duration.ofMillis(9_999));
        call("direct:chat");
        assertThat(flaky.calls("primary")).isEqualTo(3);

        clock.advance(Duration.ofMillis(1));
        flaky.healthy = true;
        Exchange probe = call("direct:chat");

        assertThat(probe.getMessage().getBody(String.class)).isEqualTo("from flaky primary");
        assertThat(flaky.calls("primary")).isEqualTo(4);
        assertThat(component.circuitBreakers().isOpen("flaky:primary")).isFalse();
        assertThat(call("direct:chat").getMessage().getBody(String.class)).isEqualTo("from flaky primary");
        assertThat(flaky.calls("primary")).isEqualTo(5);
    }

    @Test
    void reopensForAnotherOpenDurationWhenTheProbeFails() {
        failPrimaryThreeTimes();
        clock.advance(Duration.ofSeconds(10));

        Exchange probe = call("direct:chat");

        assertThat(probe.getMessage().getHeader(LlmConstants.PROVIDER)).isEqualTo("scripted");
        assertThat(flaky.calls("primary")).isEqualTo(4);
        assertThat(component.circuitBreakers().isOpen("flaky:primary")).isTrue();
        clock.advance(Duration.ofMillis(9_999));
        call("direct:chat");
        assertThat(flaky.calls("primary")).isEqualTo(4);
        clock.advance(Duration.ofMillis(1));
        flaky.healthy = true;
        assertThat(call("direct:chat").getMessage().getBody(String.class)).isEqualTo("from flaky primary");
        assertThat(flaky.calls("primary")).isEqualTo(5);
    }
}
