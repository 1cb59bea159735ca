package dev.caravan.component.map;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-map} component: runs a sub-DAG once per item, with bounded concurrency. */
@Component("caravan-map")
public class MapComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new MapEndpoint(uri, this);
    }
}
