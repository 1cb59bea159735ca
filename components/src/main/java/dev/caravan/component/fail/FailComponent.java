package dev.caravan.component.fail;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-fail} component: ends the run as failed with a message and an error code (a guard rail). */
@Component("caravan-fail")
public class FailComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new FailEndpoint(uri, this);
    }
}
