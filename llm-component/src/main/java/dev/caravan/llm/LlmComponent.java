package dev.caravan.llm;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.caravan.support.ThreadSupport;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.util.ObjectHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@code caravan-llm} component: calls chat models through LangChain4j, with a fallback chain, timeouts, a
 * tool-calling loop, structured output, streaming deltas and token accounting.
 */
@Component("caravan-llm")
public class LlmComponent extends DefaultComponent {

    private final LlmSchemas schemas = new LlmSchemas();

    public static final String SYNTAX = "caravan-llm:operation?model=provider:model (for example caravan-llm:chat?model=scripted)";

    private static final Logger LOG = LoggerFactory.getLogger(LlmComponent.class);

    @Metadata
    private LlmConfiguration configuration = new LlmConfiguration();

    @Metadata(label = "advanced", defaultValue = "5",
              description = "How many consecutive retryable failures of a model (provider:model) open its circuit breaker;"
                            + " 0 turns circuit breakers off.")
    private int circuitFailureThreshold = 5;
    @Metadata(label = "advanced", defaultValue = "30000", javaType = "java.time.Duration",
              description = "How long an open circuit breaker fails calls at once before letting one probe call through,"
                            + " in milliseconds.")
    private long circuitOpenDuration = 30000;

    private Clock clock = Clock.systemUTC();
    private LlmRetryTimer retryTimer;
    private volatile ScheduledExecutorService timer;
    private volatile LlmCircuitBreakers circuitBreakers;
    private volatile LlmPrices prices;
    private volatile ExecutorService executorService;
    private volatile List<ChatModelFactory> serviceLoaded;

    public LlmComponent() {
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (ObjectHelper.isEmpty(remaining)) {
            throw new IllegalArgumentException("The operation is missing from '" + uri + "'. Syntax: " + SYNTAX);
        }
        LlmConfiguration cfg = configuration != null ? configuration.copy() : new LlmConfiguration();
        LlmEndpoint endpoint = new LlmEndpoint(uri, this, remaining, cfg);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public LlmConfiguration getConfiguration() {
        return configuration;
    }

    /**
     * The component-level defaults, copied into each endpoint before its own options are applied.
     */
    public void setConfiguration(LlmConfiguration configuration) {
        this.configuration = configuration;
    }

    public int getCircuitFailureThreshold() {
        return circuitFailureThreshold;
    }

    /**
     * How many consecutive retryable failures of a model (provider:model) open its circuit breaker; 0 turns circuit
     * breakers off.
     */
    public void setCircuitFailureThreshold(int circuitFailureThreshold) {
        this.circuitFailureThreshold = circuitFailureThreshold;
    }

    public long getCircuitOpenDuration() {
        return circuitOpenDuration;
    }

    /**
     * How long an open circuit breaker fails calls at once before letting one probe call through, in milliseconds.
     */
    public void setCircuitOpenDuration(long circuitOpenDuration) {
        this.circuitOpenDuration = circuitOpenDuration;
    }

    public Clock getClock() {
        return clock;
    }

    /**
     * The clock circuit breakers read, and against which a Retry-After given as an HTTP-date is counted; tests set a
     * fixed or adjustable one instead of sleeping. Set it before the first call.
     */
    public void setClock(Clock clock) {
        this.clock = clock;
    }

    public LlmRetryTimer getRetryTimer() {
        return retryTimer;
    }

    /**
     * What runs a retry after its backoff: by default the component's timer, which then hands the retry to the
     * component's executor; tests set one that records the waits and advances their clock instead.
     */
    public void setRetryTimer(LlmRetryTimer retryTimer) {
        this.retryTimer = retryTimer;
    }

    /** The retry timer set, else one on the component's timer and executor. */
    LlmRetryTimer retryTimer() {
        LlmRetryTimer answer = retryTimer;
        if (answer != null) {
            return answer;
        }
        return (millis, retry) -> timer().schedule(() -> getExecutorService().execute(retry), millis,
                TimeUnit.MILLISECONDS);
    }

    /** The timer of timeouts and retries: one thread that only hands work on, so a waiting call or retry holds none. */
    ScheduledExecutorService timer() {
        ScheduledExecutorService answer = timer;
        if (answer == null) {
            synchronized (this) {
                answer = timer;
                if (answer == null) {
                    answer = ThreadSupport.newTimer("caravan-llm-timer", 1);
                    timer = answer;
                }
            }
        }
        return answer;
    }

    /** Now, by the component's clock. */
    Instant now() {
        return clock != null ? clock.instant() : Instant.now();
    }

    /** The circuit breakers of this component's models, made on first use from the circuit options. */
    LlmCircuitBreakers circuitBreakers() {
        LlmCircuitBreakers answer = circuitBreakers;
        if (answer == null) {
            synchronized (this) {
                answer = circuitBreakers;
                if (answer == null) {
                    if (circuitOpenDuration < 0) {
                        throw new IllegalArgumentException("circuitOpenDuration must not be negative, was " + circuitOpenDuration);
                    }
                    answer = new LlmCircuitBreakers(circuitFailureThreshold, circuitOpenDuration,
                            clock != null ? clock : Clock.systemUTC());
                    circuitBreakers = answer;
                }
            }
        }
        return answer;
    }

    /** The price table: the bundled prices overridden by the Camel properties caravan.llm.price.*, read on first use. */
    public LlmPrices prices() {
        LlmPrices answer = prices;
        if (answer == null) {
            synchronized (this) {
                answer = prices;
                if (answer == null) {
                    answer = LlmPrices.load(getCamelContext());
                    prices = answer;
                }
            }
        }
        return answer;
    }

    /**
     * The cost of a call in micro-dollars: from the price table, else from the model's factory (0 by default).
     */
    long costMicros(ResolvedModel model, long inputTokens, long outputTokens) {
        Long priced = prices().costMicros(model.provider(), model.modelName(), inputTokens, outputTokens);
        return priced != null ? priced : model.factory().costMicros(model.modelName(), inputTokens, outputTokens);
    }

    /**
     * The executor of blocking model calls and of what follows a timeout or a retry: virtual threads on Java 21+,
     * daemon threads otherwise.
     */
    ExecutorService getExecutorService() {
        ExecutorService answer = executorService;
        if (answer == null) {
            synchronized (this) {
                answer = executorService;
                if (answer == null) {
                    answer = ThreadSupport.newTaskExecutor("caravan-llm");
                    executorService = answer;
                    LOG.debug("Started caravan-llm executor (virtual threads: {})", ThreadSupport.virtualThreadsAvailable());
                }
            }
        }
        return answer;
    }

    /**
     * The factory serving {@code provider}: a bean of the registry first, then one found with ServiceLoader.
     *
     * @throws IllegalArgumentException listing the known providers when none serves it
     */
    public ChatModelFactory resolveFactory(String provider) {
        String wanted = provider.toLowerCase(Locale.ROOT);
        for (ChatModelFactory f : getCamelContext().getRegistry().findByType(ChatModelFactory.class)) {
            if (wanted.equals(f.provider())) {
                return f;
            }
        }
        for (ChatModelFactory f : serviceLoadedFactories()) {
            if (wanted.equals(f.provider())) {
                return f;
            }
        }
        throw new IllegalArgumentException("Unknown model provider '" + provider + "'. Known providers: "
                                           + knownProviders());
    }

    /** The providers a model reference can name: those of the registry's factories and the service-loaded ones. */
    public Set<String> knownProviders() {
        Set<String> known = new TreeSet<>();
        getCamelContext().getRegistry().findByType(ChatModelFactory.class).forEach(f -> known.add(f.provider()));
        serviceLoadedFactories().forEach(f -> known.add(f.provider()));
        return known;
    }

    private List<ChatModelFactory> serviceLoadedFactories() {
        List<ChatModelFactory> answer = serviceLoaded;
        if (answer == null) {
            answer = new ArrayList<>();
            ClassLoader cl = getCamelContext().getApplicationContextClassLoader();
            if (cl == null) {
                cl = LlmComponent.class.getClassLoader();
            }
            for (ChatModelFactory f : ServiceLoader.load(ChatModelFactory.class, cl)) {
                answer.add(f);
            }
            if (answer.isEmpty() && cl != LlmComponent.class.getClassLoader()) {
                ServiceLoader.load(ChatModelFactory.class, LlmComponent.class.getClassLoader()).forEach(answer::add);
            }
            serviceLoaded = List.copyOf(answer);
        }
        return answer;
    }

    @Override
    protected void doStop() throws Exception {
        ScheduledExecutorService stopping = timer;
        timer = null;
        if (stopping != null) {
            stopping.shutdownNow();
        }
        ExecutorService answer = executorService;
        executorService = null;
        if (answer != null) {
            answer.shutdownNow();
            LOG.debug("Stopped caravan-llm executor");
        }
        super.doStop();
    }

    /** Compiled schemas, response formats and tool specifications shared by this component's endpoints. */
    LlmSchemas schemas() {
        return schemas;
    }
}
