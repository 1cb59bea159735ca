package dev.caravan.component.workflow;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-workflow} component: runs another workflow as a child run. */
@Component("caravan-workflow")
public class WorkflowComponent extends NodeComponent {
    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new WorkflowEndpoint(uri, this);
    }
}
