package dev.caravan.component.run;

import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Configurer;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/**
 * Options of a {@code caravan-run} endpoint. The component holds one as defaults (set them as
 * {@code camel.component.caravan-run.*} properties in Camel Main or Camel K); each endpoint gets a copy.
 */
@Configurer
@UriParams
public class RunConfiguration implements Cloneable {

    @UriParam(label = "start,resolve", description = "Tenant of runs started here (default: default); the"
                                                   + " CamelCaravanTenant header overrides it. For resolve, the only"
                                                   + " tenant whose gates it resolves (unset: any)")
    private String tenant;
    @UriParam(label = "start", defaultValue = "false",
              description = "Whether start replies with the run's output once the run has finished, rather than with its"
                            + " id at once. A failed or cancelled run fails the exchange with RunFailedException. The"
                            + " exchange waits through the run's gates and waits, holding no thread")
    private boolean waitForCompletion;
    @UriParam(label = "start", javaType = "java.time.Duration",
              description = "With waitForCompletion, how long to wait for the run to finish (0, the default, waits as"
                            + " long as it takes); past it the exchange fails with RunWaitTimeoutException, and the run"
                            + " goes on")
    private long timeout;

    public String getTenant() {
        return tenant;
    }

    /** Tenant of runs started here (default: default); the CamelCaravanTenant header overrides it. */
    public void setTenant(String tenant) {
        this.tenant = tenant;
    }

    public boolean isWaitForCompletion() {
        return waitForCompletion;
    }

    /**
     * Whether start replies with the run's output once the run has finished, rather than with its id at once. A failed
     * or cancelled run fails the exchange with RunFailedException. The exchange waits through the run's gates and
     * waits, holding no thread.
     */
    public void setWaitForCompletion(boolean waitForCompletion) {
        this.waitForCompletion = waitForCompletion;
    }

    public long getTimeout() {
        return timeout;
    }

    /**
     * With waitForCompletion, how long to wait for the run to finish, in milliseconds or as a duration such as 30s (0,
     * the default, waits as long as it takes); past it the exchange fails with RunWaitTimeoutException, and the run
     * goes on.
     */
    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    /** A copy, so that an endpoint can change its options without touching the component's. */
    public RunConfiguration copy() {
        try {
            return (RunConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }
}
