package dev.caravan.component.agent;

import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.Configurer;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;

/**
 * Options of a {@code caravan-agent} endpoint. The component holds one as defaults (set them as
 * {@code camel.component.caravan-agent.*} properties in Camel Main or Camel K); each endpoint gets a copy.
 */
@Configurer
@UriParams
public class AgentConfiguration implements Cloneable {

    @UriParam(defaultValue = "true", description = "Whether to stream the reply, publishing output deltas as events")
    private boolean streaming = true;
    @UriParam(label = "advanced",
              description = "The model (provider:model, e.g. openai:gpt-4o-mini) that agents whose model is scripted"
                            + " call instead, so that workflows written as scripted demos run against a real provider;"
                            + " their scripted replies are then ignored")
    private String scriptedModel;

    public boolean isStreaming() {
        return streaming;
    }

    /** Whether to stream the reply, publishing output deltas as events. */
    public void setStreaming(boolean streaming) {
        this.streaming = streaming;
    }

    public String getScriptedModel() {
        return scriptedModel;
    }

    /**
     * The model (provider:model, e.g. openai:gpt-4o-mini) that agents whose model is scripted call instead, so that
     * workflows written as scripted demos run against a real provider; their scripted replies are then ignored.
     */
    public void setScriptedModel(String scriptedModel) {
        this.scriptedModel = scriptedModel;
    }

    /** A copy, so that an endpoint can change its options without touching the component's. */
    public AgentConfiguration copy() {
        try {
            return (AgentConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }
}
