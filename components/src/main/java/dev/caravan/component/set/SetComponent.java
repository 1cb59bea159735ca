package dev.caravan.component.set;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-set} component: computes values. */
@Component("caravan-set")
public class SetComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new SetEndpoint(uri, this);
    }
}
