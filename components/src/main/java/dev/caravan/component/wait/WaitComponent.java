package dev.caravan.component.wait;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-wait} component: waits for a duration or until a time; holds no thread. */
@Component("caravan-wait")
public class WaitComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new WaitEndpoint(uri, this);
    }
}
