package dev.caravan.component.run;

import dev.caravan.run.Engine;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * The {@code caravan-run} component: starts runs from any route ({@code start}), and opens ({@code begin}) and
 * closes ({@code end}) the route of a workflow.
 */
@Component("caravan-run")
public class RunComponent extends DefaultComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "The Caravan engine; an embedded one is made when none is bound")
    private Engine engine;
    @Metadata
    private RunConfiguration configuration = new RunConfiguration();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RunEndpoint endpoint = new RunEndpoint(uri, this,
                configuration != null ? configuration.copy() : new RunConfiguration());
        endpoint.setAction(RunEndpoint.Action.parse(remaining));
        endpoint.setEngine(engine);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public RunConfiguration getConfiguration() {
        return configuration;
    }

    /** The component-level defaults, copied into each endpoint before its own options are applied. */
    public void setConfiguration(RunConfiguration configuration) {
        this.configuration = configuration;
    }

    public Engine getEngine() {
        return engine;
    }

    /** The Caravan engine; an embedded one is made when none is bound. */
    public void setEngine(Engine engine) {
        this.engine = engine;
    }
}
