package dev.caravan.component.agent;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-agent} component: an LLM call with tools and structured output, through caravan-llm. */
@Component("caravan-agent")
public class AgentComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new AgentEndpoint(uri, this);
    }
}
