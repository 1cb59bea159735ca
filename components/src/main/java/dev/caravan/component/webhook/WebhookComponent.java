package dev.caravan.component.webhook;

import dev.caravan.run.StepServices;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * The {@code caravan-webhook} component: verifies the signature of webhook deliveries, and refuses replayed ones,
 * before a trigger route starts a run with them.
 */
@Component("caravan-webhook")
public class WebhookComponent extends DefaultComponent {

    @Metadata(label = "advanced", autowired = true,
              description = "Where a secret no Camel property of its name holds is looked up (the Camel property"
                            + " caravan.secret.NAME, else the environment variable NAME, unless the application binds a"
                            + " resolver): the one bound in the registry, else that of an embedded engine made when the"
                            + " endpoint starts.")
    private StepServices stepServices;
    @Metadata(label = "advanced", autowired = true,
              description = "The deliveries received within their replay window: the one bound in the registry, else"
                            + " one on the Hazelcast member of the engine, shared by the cluster.")
    private WebhookDeliveries deliveries;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        WebhookEndpoint endpoint = new WebhookEndpoint(uri, this, stepServices, deliveries);
        endpoint.setStyle(WebhookEndpoint.Style.parse(remaining));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public StepServices getStepServices() {
        return stepServices;
    }

    /**
     * Where a secret no Camel property of its name holds is looked up (the Camel property caravan.secret.NAME, else
     * the environment variable NAME, unless the application binds a resolver): the one bound in the registry, else
     * that of an embedded engine made when the endpoint starts.
     */
    public void setStepServices(StepServices stepServices) {
        this.stepServices = stepServices;
    }

    public WebhookDeliveries getDeliveries() {
        return deliveries;
    }

    /**
     * The deliveries received within their replay window: the one bound in the registry, else one on the Hazelcast
     * member of the engine, shared by the cluster.
     */
    public void setDeliveries(WebhookDeliveries deliveries) {
        this.deliveries = deliveries;
    }
}
