package dev.caravan.component.call;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-call} component: sends to any Camel endpoint; the output is the reply body. */
@Component("caravan-call")
public class CallComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new CallEndpoint(uri, this);
    }
}
