package dev.caravan.component.node;

import dev.caravan.run.Engine;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/** Base of the {@code caravan-*} node components: the path is the node id. */
public abstract class NodeComponent extends DefaultComponent {

    /**
     * The URI parameter by which the workflow compiler makes a node record its outcome with the next step's update
     * of the run: one round trip to the store instead of two. Correct only where the next step on the same exchange
     * follows at once and is a caravan node or {@code caravan-run:end}, which the compiler knows and a route's author
     * need not: so it is no endpoint option (not in the catalog or the docs), and is taken off the parameters before
     * the options are set.
     */
    public static final String RECORD_WITH_NEXT = "recordWithNext";

    @Metadata(label = "advanced", autowired = true,
              description = "The Caravan engine (run store, expressions, timers); an embedded one is made when none is bound")
    private Engine engine;

    /** A new endpoint of this kind. */
    protected abstract NodeEndpoint newEndpoint(String uri);

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            NodeEndpoint probe = newEndpoint(uri);
            throw new IllegalArgumentException("A node id is required: " + probe.kind() + " nodes are written "
                    + getDefaultName() + ":nodeId?workflow=name, e.g. " + getDefaultName() + ":classify?workflow=triage");
        }
        NodeEndpoint endpoint = newEndpoint(uri);
        endpoint.setNodePath(remaining);
        endpoint.setEngine(engine);
        endpoint.setRecordWithNext(getAndRemoveParameter(parameters, RECORD_WITH_NEXT, Boolean.class, false));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public Engine getEngine() {
        return engine;
    }

    /** The Caravan engine (run store, expressions, timers); an embedded one is made when none is bound. */
    public void setEngine(Engine engine) {
        this.engine = engine;
    }
}
