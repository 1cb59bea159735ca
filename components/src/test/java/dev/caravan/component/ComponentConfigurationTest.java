package dev.caravan.component;

import dev.caravan.component.agent.AgentComponent;
import dev.caravan.component.agent.AgentEndpoint;
import dev.caravan.component.run.RunComponent;
import dev.caravan.component.run.RunEndpoint;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PropertyBindingSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Component options are defaults each endpoint copies, as camel-kafka's are: an endpoint's own option changes that
 * endpoint only, and properties set them as Camel Main and Camel K do.
 */
class ComponentConfigurationTest {

    @Test
    void agentEndpointsCopyTheComponentsDefaultsAndMayOverrideThem() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            AgentComponent component = camel.getComponent("caravan-agent", AgentComponent.class);
            component.getConfiguration().setStreaming(false);
            component.getConfiguration().setScriptedModel("openai:gpt-4o-mini");
            AgentEndpoint plain = camel.getEndpoint("caravan-agent:draft?workflow=w", AgentEndpoint.class);
            AgentEndpoint own = camel.getEndpoint("caravan-agent:other?workflow=w&streaming=true", AgentEndpoint.class);
            assertThat(plain.getConfiguration().isStreaming()).isFalse();
            assertThat(plain.getConfiguration().getScriptedModel()).isEqualTo("openai:gpt-4o-mini");
            assertThat(own.getConfiguration().isStreaming()).isTrue();
            assertThat(component.getConfiguration().isStreaming()).isFalse();
            assertThat(own.getConfiguration()).isNotSameAs(component.getConfiguration());
        }
    }

    @Test
    void agentsStreamAndKeepTheirScriptedModelByDefault() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            AgentEndpoint endpoint = camel.getEndpoint("caravan-agent:draft?workflow=w", AgentEndpoint.class);
            assertThat(endpoint.getConfiguration().isStreaming()).isTrue();
            assertThat(endpoint.getConfiguration().getScriptedModel()).isNull();
        }
    }

    @Test
    void componentOptionsAreSetByPropertiesAsCamelMainSetsThem() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            RunComponent component = camel.getComponent("caravan-run", RunComponent.class);
            // what Camel Main does with camel.component.caravan-run.tenant=acme
            PropertyBindingSupport.build().withConfigurer(component.getComponentPropertyConfigurer())
                    .bind(camel, component, "tenant", "acme");
            RunEndpoint plain = camel.getEndpoint("caravan-run:start?workflow=w", RunEndpoint.class);
            RunEndpoint own = camel.getEndpoint("caravan-run:start?workflow=w&tenant=globex", RunEndpoint.class);
            assertThat(plain.getConfiguration().getTenant()).isEqualTo("acme");
            assertThat(own.getConfiguration().getTenant()).isEqualTo("globex");
            assertThat(component.getConfiguration().getTenant()).isEqualTo("acme");
        }
    }
}
