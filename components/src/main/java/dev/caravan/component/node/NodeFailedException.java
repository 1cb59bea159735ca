package dev.caravan.component.node;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/** A node failed after its retries; the run is failed with the node, error class and message recorded. */
public class NodeFailedException extends CamelExchangeException {

    private final String nodeKey;

    public NodeFailedException(String nodeKey, Exchange exchange, Throwable cause) {
        super("Node " + nodeKey + " failed: " + cause.getClass().getSimpleName() + ": " + cause.getMessage(), exchange,
                cause);
        this.nodeKey = nodeKey;
    }

    public String getNodeKey() {
        return nodeKey;
    }
}
