package dev.caravan.component.node;

import dev.caravan.llm.LlmConstants;
import dev.caravan.support.HttpEndpoints;
import org.apache.camel.spi.Metadata;

/**
 * Headers and exchange properties shared by every {@code caravan-*} node component. Run state travels in exchange
 * properties (untrusted input can carry headers in); the headers below are only what nodes hand to in-process
 * endpoints, and the engine never reads them back. Every name starts with {@code CamelCaravan}: Camel's HTTP and Kafka
 * consumers drop inbound {@code Camel*} headers, and remote endpoints never get Caravan's headers
 * ({@link dev.caravan.support.OutboundHeaders}).
 */
public final class NodeConstants {

    @Metadata(description = "Stable key of this node attempt (runId/nodeKey/attempt), passed to in-process endpoints"
                            + " called by a node so they can deduplicate a call repeated after a crash.",
              javaType = "String")
    public static final String IDEMPOTENCY_KEY = LlmConstants.IDEMPOTENCY_KEY;

    @Metadata(description = "The same key, on messages to remote endpoints (HTTP, Kafka, ...), under the header name"
                            + " HTTP APIs use for it.",
              javaType = "String")
    public static final String HTTP_IDEMPOTENCY_KEY = HttpEndpoints.IDEMPOTENCY_KEY_HEADER;

    @Metadata(description = "The run id, on messages sent to in-process endpoints by a node.", javaType = "String")
    public static final String RUN_ID_HEADER = "CamelCaravanRunId";

    @Metadata(description = "The node key, on messages sent to in-process endpoints by a node.", javaType = "String")
    public static final String NODE_KEY_HEADER = "CamelCaravanNodeKey";

    /** Exchange property: the node-key prefix of the enclosing map item or loop iteration ({@code each[2].}). */
    public static final String SCOPE = "CamelCaravanScope";

    /**
     * Exchange property: {@code true} on the body of a map item or loop iteration whose map or loop (or one around
     * it) has {@code onError: continue}. A node failing there fails the map or loop, which continues, not the run.
     */
    public static final String FAILURES_CONTAINED = "CamelCaravanFailuresContained";

    /** Exchange property: variables of the enclosing scope ({@code item}, {@code index}, {@code iteration}). */
    public static final String SCOPE_VARIABLES = "CamelCaravanScopeVariables";

    private NodeConstants() {
    }
}
