package dev.caravan.component.agent;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-agent} component: an LLM call with tools and structured output, through caravan-llm. */
@Component("caravan-agent")
public class AgentComponent extends NodeComponent {

    @Metadata
    private AgentConfiguration configuration = new AgentConfiguration();

    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new AgentEndpoint(uri, this, configuration != null ? configuration.copy() : new AgentConfiguration());
    }

    public AgentConfiguration getConfiguration() {
        return configuration;
    }

    /** The component-level defaults, copied into each endpoint before its own options are applied. */
    public void setConfiguration(AgentConfiguration configuration) {
        this.configuration = configuration;
    }
}
