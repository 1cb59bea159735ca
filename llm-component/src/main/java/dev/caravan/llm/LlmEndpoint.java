package dev.caravan.llm;

import java.util.ArrayList;
import java.util.List;

import dev.caravan.llm.provider.ChatModelFactory;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * Calls a chat model: the body is a prompt or a list of LangChain4j chat messages, the reply becomes the body.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "caravan-llm", title = "Caravan LLM", syntax = "caravan-llm:operation",
             category = { Category.AI }, producerOnly = true, headersClass = LlmConstants.class)
public class LlmEndpoint extends DefaultEndpoint {

    static final List<String> OPERATIONS = List.of(LlmConstants.OPERATION_CHAT);

    @UriPath(enums = "chat")
    @Metadata(required = true)
    private String operation;

    @UriParam
    private LlmConfiguration configuration;

    private volatile List<ResolvedModel> chain = List.of();

    public LlmEndpoint(String uri, LlmComponent component, String operation, LlmConfiguration configuration) {
        super(uri, component);
        setOperation(operation);
        this.configuration = configuration;
    }

    @Override
    public LlmComponent getComponent() {
        return (LlmComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() throws Exception {
        return new LlmProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        throw new UnsupportedOperationException("The caravan-llm component is producer only: " + getEndpointUri());
    }

    public String getOperation() {
        return operation;
    }

    /**
     * The operation: chat.
     */
    public void setOperation(String operation) {
        if (!OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("Unknown caravan-llm operation '" + operation + "'. Allowed values: "
                                               + String.join(", ", OPERATIONS));
        }
        this.operation = operation;
    }

    public LlmConfiguration getConfiguration() {
        return configuration;
    }

    /**
     * The endpoint options.
     */
    public void setConfiguration(LlmConfiguration configuration) {
        this.configuration = configuration;
    }

    /** The models to try in order: model, then each fallback; resolved when the endpoint starts. */
    List<ResolvedModel> chain() {
        return chain;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        chain = resolveChain();
    }

    @Override
    protected void doStop() throws Exception {
        chain = List.of();
        super.doStop();
    }

    private List<ResolvedModel> resolveChain() {
        LlmConfiguration cfg = configuration;
        if (cfg.getModel() == null || cfg.getModel().isBlank()) {
            throw new IllegalArgumentException("The model option is required on " + getEndpointUri()
                                               + ", as provider:model or scripted (for example model=scripted)");
        }
        if (cfg.getTimeout() <= 0) {
            throw new IllegalArgumentException("timeout must be positive, was " + cfg.getTimeout());
        }
        if (cfg.getMaxRetries() < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, was " + cfg.getMaxRetries());
        }
        if (cfg.getRetryInitialDelay() < 0) {
            throw new IllegalArgumentException("retryInitialDelay must not be negative, was " + cfg.getRetryInitialDelay());
        }
        if (cfg.getMaxToolRounds() < 0) {
            throw new IllegalArgumentException("maxToolRounds must not be negative, was " + cfg.getMaxToolRounds());
        }
        List<String> refs = new ArrayList<>();
        refs.add(cfg.getModel().trim());
        if (cfg.getFallback() != null) {
            for (String ref : cfg.getFallback().split(",")) {
                if (!ref.isBlank()) {
                    refs.add(ref.trim());
                }
            }
        }
        if (cfg.getResponseSchema() != null && !cfg.getResponseSchema().isBlank()) {
            LlmJson.parseSchema(cfg.getResponseSchema(), "responseSchema");
        }
        List<ResolvedModel> answer = new ArrayList<>();
        String primaryProvider = null;
        for (String ref : refs) {
            ModelReference parsed = ModelReference.parse(ref);
            String provider = parsed.provider();
            String modelName = parsed.modelName();
            if (primaryProvider == null) {
                primaryProvider = provider;
            }
            ChatModelFactory factory = getComponent().resolveFactory(provider);
            // apiKey and baseUrl belong to the provider of model: a fallback of another provider must not get them
            LlmConfiguration modelCfg = cfg;
            if (!provider.equals(primaryProvider) && (cfg.getApiKey() != null || cfg.getBaseUrl() != null)) {
                modelCfg = cfg.copy();
                modelCfg.setApiKey(null);
                modelCfg.setBaseUrl(null);
            }
            answer.add(new ResolvedModel(ref, provider, modelName, factory,
                    cfg.isStreaming() ? null : factory.chatModel(modelName, modelCfg, getCamelContext()),
                    cfg.isStreaming() ? factory.streamingChatModel(modelName, modelCfg, getCamelContext()) : null,
                    factory.waits(modelCfg), factory.enforcesTimeout(modelCfg)));
        }
        return List.copyOf(answer);
    }
}
