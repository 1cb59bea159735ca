package dev.caravan.component.node;

import org.apache.camel.CamelExchangeException;
import org.apache.camel.Exchange;

/** A node failed after its retries; the run is failed with the node, error class and message recorded. */
public class NodeFailedException extends CamelExchangeException {

    private final String nodeKey;
    private final String code;
    private final String summary;

    public NodeFailedException(String nodeKey, Exchange exchange, Throwable cause) {
        super("Node " + nodeKey + " failed: " + cause.getClass().getSimpleName() + ": " + cause.getMessage(), exchange,
                cause);
        this.nodeKey = nodeKey;
        this.code = null;
        this.summary = null;
    }

    /**
     * @param code            the stable error code recorded for the node
     * @param recordedMessage the message recorded for the node (secrets it disclosed replaced by {@code ***})
     */
    public NodeFailedException(String nodeKey, Exchange exchange, Throwable cause, String code,
            String recordedMessage) {
        super(summary(nodeKey, code, recordedMessage), exchange, cause);
        this.nodeKey = nodeKey;
        this.code = code;
        this.summary = summary(nodeKey, code, recordedMessage);
    }

    private static String summary(String nodeKey, String code, String recordedMessage) {
        return "Node " + nodeKey + " failed (" + code + "): " + recordedMessage;
    }

    public String getNodeKey() {
        return nodeKey;
    }

    /**
     * What an enclosing map or loop records when this failure fails it: the node, code and recorded message, without
     * the exchange Camel adds to {@link #getMessage()}; null when made without a code.
     */
    public String summary() {
        return summary;
    }

    /** The stable error code recorded for the node, or null. */
    public String code() {
        return code;
    }
}
