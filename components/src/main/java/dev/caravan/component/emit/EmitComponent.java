package dev.caravan.component.emit;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-emit} component: publishes an event of a user type in the run's stream. */
@Component("caravan-emit")
public class EmitComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new EmitEndpoint(uri, this);
    }
}
