package dev.caravan.component.gate;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.run.RunTimers;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-gate} component: human approval; a waiting run holds no thread. */
@Component("caravan-gate")
public class GateComponent extends NodeComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "The timers of paused runs, which keep the deadlines of gates with a timeout: the one"
                            + " bound in the registry, else that of an embedded engine made when the endpoint starts.")
    private RunTimers runTimers;

    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new GateEndpoint(uri, this, runTimers);
    }

    public RunTimers getRunTimers() {
        return runTimers;
    }

    /**
     * The timers of paused runs, which keep the deadlines of gates with a timeout: the one bound in the registry, else
     * that of an embedded engine made when the endpoint starts.
     */
    public void setRunTimers(RunTimers runTimers) {
        this.runTimers = runTimers;
    }
}
