package dev.caravan.llm;

import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmComponentTest extends CamelTestSupport {

    @Test
    void rejectsAnEmptyPathShowingTheSyntax() {
        assertThatThrownBy(() -> context.getEndpoint("caravan-llm:?model=scripted"))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .cause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("The operation is missing")
                .hasMessageContaining("Syntax: caravan-llm:operation");
    }

    @Test
    void rejectsAnUnknownOperationListingTheAllowedValues() {
        assertThatThrownBy(() -> context.getEndpoint("caravan-llm:complete?model=scripted"))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .cause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown caravan-llm operation 'complete'. Allowed values: chat");
    }

    @Test
    void rejectsAnUnknownOptionOnTheUri() {
        assertThatThrownBy(() -> context.getEndpoint("caravan-llm:chat?model=scripted&temprature=0.5"))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining("temprature");
    }

    @Test
    void failsAtStartWhenTheModelIsMissing() {
        assertThatThrownBy(() -> addRoute("caravan-llm:chat?systemPrompt=hi"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("The model option is required");
    }

    @Test
    void failsAtStartOnAnUnknownProviderListingTheKnownOnes() {
        assertThatThrownBy(() -> addRoute("caravan-llm:chat?model=acme:large"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown model provider 'acme'. Known providers: [anthropic, gemini, ollama, openai, scripted]");
    }

    @Test
    void failsAtStartOnScriptedRepliesThatAreNotAJsonArray() {
        assertThatThrownBy(() -> addRoute("caravan-llm:chat?model=scripted&scriptedReplies=RAW({\"text\":\"hi\"})"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause()
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scriptedReplies must be a JSON array");
    }

    @Test
    void failsAtStartOnAnUnknownScriptedErrorType() {
        assertThatThrownBy(() -> addRoute(
                "caravan-llm:chat?model=scripted&scriptedReplies=RAW([{\"error\":{\"type\":\"teapot\"}}])"))
                .isInstanceOf(FailedToCreateRouteException.class)
                .rootCause()
                .hasMessageContaining("scriptedReplies[0].error.type must be one of [rate_limit, overloaded, auth, "
                                      + "bad_request, server, timeout], got 'teapot'");
    }

    @Test
    void copiesTheComponentConfigurationForEachEndpoint() {
        LlmComponent component = context.getComponent("caravan-llm", LlmComponent.class);
        component.getConfiguration().setModel("scripted");
        component.getConfiguration().setMaxToolRounds(3);

        LlmEndpoint first = context.getEndpoint("caravan-llm:chat?maxToolRounds=5", LlmEndpoint.class);
        LlmEndpoint second = context.getEndpoint("caravan-llm:chat?systemPrompt=x", LlmEndpoint.class);

        assertThat(first.getConfiguration().getModel()).isEqualTo("scripted");
        assertThat(first.getConfiguration().getMaxToolRounds()).isEqualTo(5);
        assertThat(second.getConfiguration().getMaxToolRounds()).isEqualTo(3);
        assertThat(component.getConfiguration().getMaxToolRounds()).isEqualTo(3);
        assertThat(first.getConfiguration()).isNotSameAs(component.getConfiguration());
    }

    @Test
    void acceptsDurationsForTheTimeout() {
        LlmEndpoint endpoint = context.getEndpoint("caravan-llm:chat?model=scripted&timeout=2s", LlmEndpoint.class);

        assertThat(endpoint.getConfiguration().getTimeout()).isEqualTo(2000L);
    }

    @Test
    void isProducerOnly() {
        LlmEndpoint endpoint = context.getEndpoint("caravan-llm:chat?model=scripted", LlmEndpoint.class);

        assertThatThrownBy(() -> endpoint.createConsumer(exchange -> {
        })).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("producer only");
    }

    private void addRoute(String uri) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:start").to(uri);
            }
        });
    }
}
