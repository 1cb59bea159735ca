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

    @UriParam(label = "start", description = "Tenant of runs started here (default: default)")
    private String tenant;

    public String getTenant() {
        return tenant;
    }

    /** Tenant of runs started here (default: default). */
    public void setTenant(String tenant) {
        this.tenant = tenant;
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
