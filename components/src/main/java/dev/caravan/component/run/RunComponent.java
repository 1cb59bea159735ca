package dev.caravan.component.run;

import dev.caravan.run.RunExecutor;
import dev.caravan.run.RunService;
import dev.caravan.run.StepServices;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code caravan-run} component: starts runs from any route ({@code start}), and opens ({@code begin}) and
 * closes ({@code end}) the route of a workflow.
 */
@Component("caravan-run")
public class RunComponent extends DefaultComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "What begin and end use of the Caravan engine (run store, values, expressions, workflow"
                            + " catalog): the one bound in the registry, else that of an embedded engine made when the"
                            + " endpoint starts.")
    private StepServices stepServices;
    @Metadata(label = "advanced", autowired = true,
              description = "The run commands, which create runs: the one bound in the registry, else that of an"
                            + " embedded engine made when the endpoint starts.")
    private RunService runService;
    @Metadata(label = "advanced", autowired = true,
              description = "Executes the runs start creates, here or on the member that owns them: the one bound in"
                            + " the registry, else that of an embedded engine made when the endpoint starts.")
    private RunExecutor runExecutor;
    @Metadata
    private RunConfiguration configuration = new RunConfiguration();
    /** Per workflow and trigger id, what its routes' starts received. */
    private final Map<String, TriggerActivity> triggers = new ConcurrentHashMap<>();

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RunEndpoint endpoint = new RunEndpoint(uri, this,
                configuration != null ? configuration.copy() : new RunConfiguration(), stepServices, runService,
                runExecutor);
        endpoint.setAction(RunEndpoint.Action.parse(remaining));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    /** The activity of a workflow's trigger, kept across its route's redeployments. */
    TriggerActivity triggerActivity(String workflow, String trigger) {
        return triggers.computeIfAbsent(workflow + "/" + trigger, k -> new TriggerActivity(workflow, trigger));
    }

    /** What every trigger started here has received, in no order. */
    public List<TriggerActivity.Snapshot> triggerActivity() {
        return triggers.values().stream().map(TriggerActivity::snapshot).toList();
    }

    public RunConfiguration getConfiguration() {
        return configuration;
    }

    /** The component-level defaults, copied into each endpoint before its own options are applied. */
    public void setConfiguration(RunConfiguration configuration) {
        this.configuration = configuration;
    }

    public StepServices getStepServices() {
        return stepServices;
    }

    /**
     * What begin and end use of the Caravan engine (run store, values, expressions, workflow catalog): the one bound
     * in the registry, else that of an embedded engine made when the endpoint starts.
     */
    public void setStepServices(StepServices stepServices) {
        this.stepServices = stepServices;
    }

    public RunService getRunService() {
        return runService;
    }

    /**
     * The run commands, which create runs: the one bound in the registry, else that of an embedded engine made when
     * the endpoint starts.
     */
    public void setRunService(RunService runService) {
        this.runService = runService;
    }

    public RunExecutor getRunExecutor() {
        return runExecutor;
    }

    /**
     * Executes the runs start creates, here or on the member that owns them: the one bound in the registry, else that
     * of an embedded engine made when the endpoint starts.
     */
    public void setRunExecutor(RunExecutor runExecutor) {
        this.runExecutor = runExecutor;
    }
}
