package dev.caravan.component.loop;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-loop} component: repeats a sub-DAG until a condition holds. */
@Component("caravan-loop")
public class LoopComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new LoopEndpoint(uri, this);
    }
}
