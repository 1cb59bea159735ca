package dev.caravan.component.node;

import dev.caravan.run.StepServices;
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
              description = "What the node steps use of the Caravan engine (run store, values, expressions, timers,"
                            + " secrets, kill switches, lanes): the one bound in the registry, else that of an embedded"
                            + " engine made when the endpoint starts.")
    private StepServices stepServices;

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
        endpoint.setStepServices(stepServices);
        endpoint.setRecordWithNext(getAndRemoveParameter(parameters, RECORD_WITH_NEXT, Boolean.class, false));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public StepServices getStepServices() {
        return stepServices;
    }

    /**
     * What the node steps use of the Caravan engine (run store, values, expressions, timers, secrets, kill switches,
     * lanes): the one bound in the registry, else that of an embedded engine made when the endpoint starts.
     */
    public void setStepServices(StepServices stepServices) {
        this.stepServices = stepServices;
    }
}
