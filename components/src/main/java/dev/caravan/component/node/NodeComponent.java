package dev.caravan.component.node;

import dev.caravan.run.Engine;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/** Base of the {@code caravan-*} node components: the path is the node id. */
public abstract class NodeComponent extends DefaultComponent {

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
