package dev.caravan.component.workflow;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.run.RunExecutor;
import dev.caravan.run.RunQueries;
import dev.caravan.run.RunService;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-workflow} component: runs another workflow as a child run. */
@Component("caravan-workflow")
public class WorkflowComponent extends NodeComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "The run commands, which create child runs: the one bound in the registry, else that of"
                            + " an embedded engine made when the endpoint starts.")
    private RunService runService;
    @Metadata(label = "advanced", autowired = true,
              description = "Reads runs, to find a child run made before: the one bound in the registry, else that of"
                            + " an embedded engine made when the endpoint starts.")
    private RunQueries runQueries;
    @Metadata(label = "advanced", autowired = true,
              description = "Executes child runs, here or on the member that owns them: the one bound in the"
                            + " registry, else that of an embedded engine made when the endpoint starts.")
    private RunExecutor runExecutor;

    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new WorkflowEndpoint(uri, this, runService, runQueries, runExecutor);
    }

    public RunService getRunService() {
        return runService;
    }

    /**
     * The run commands, which create child runs: the one bound in the registry, else that of an embedded engine made
     * when the endpoint starts.
     */
    public void setRunService(RunService runService) {
        this.runService = runService;
    }

    public RunQueries getRunQueries() {
        return runQueries;
    }

    /**
     * Reads runs, to find a child run made before: the one bound in the registry, else that of an embedded engine
     * made when the endpoint starts.
     */
    public void setRunQueries(RunQueries runQueries) {
        this.runQueries = runQueries;
    }

    public RunExecutor getRunExecutor() {
        return runExecutor;
    }

    /**
     * Executes child runs, here or on the member that owns them: the one bound in the registry, else that of an
     * embedded engine made when the endpoint starts.
     */
    public void setRunExecutor(RunExecutor runExecutor) {
        this.runExecutor = runExecutor;
    }
}
