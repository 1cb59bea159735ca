package dev.caravan.component.gate;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-gate} component: human approval; a waiting run holds no thread. */
@Component("caravan-gate")
public class GateComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new GateEndpoint(uri, this);
    }
}
