package dev.caravan.component.wait;

import dev.caravan.component.node.NodeComponent;
import dev.caravan.component.node.NodeEndpoint;
import dev.caravan.run.RunTimers;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;

/** The {@code caravan-wait} component: waits for a duration or until a time; holds no thread. */
@Component("caravan-wait")
public class WaitComponent extends NodeComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "The timers of paused runs, which keep the ends of waits: the one bound in the registry,"
                            + " else that of an embedded engine made when the endpoint starts.")
    private RunTimers runTimers;

    @Override
    protected NodeEndpoint newEndpoint(String uri) {
        return new WaitEndpoint(uri, this, runTimers);
    }

    public RunTimers getRunTimers() {
        return runTimers;
    }

    /**
     * The timers of paused runs, which keep the ends of waits: the one bound in the registry, else that of an
     * embedded engine made when the endpoint starts.
     */
    public void setRunTimers(RunTimers runTimers) {
        this.runTimers = runTimers;
    }
}
