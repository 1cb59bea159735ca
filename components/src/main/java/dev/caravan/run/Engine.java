package dev.caravan.run;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.zaxxer.hikari.HikariDataSource;
import dev.caravan.dsl.Durations;
import dev.caravan.event.EventBus;
import dev.caravan.event.EventSink;
import dev.caravan.expr.Expressions;
import dev.caravan.spi.Timers;
import dev.caravan.state.DefinitionStore;
import dev.caravan.state.EventRelay;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.JdbcMapStore;
import dev.caravan.state.LaneStore;
import dev.caravan.state.RunStore;
import dev.caravan.state.ValueStore;
import dev.caravan.support.ThreadSupport;
import org.apache.camel.CamelContext;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.util.IOHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.UnaryOperator;

/**
 * The composition root of one Caravan instance: the Hazelcast member holding run state, the event bus, the
 * expression cache, timers, and the run commands, queries and executor. It binds itself and the services the
 * {@code caravan-*} components use ({@link StepServices}, {@link RunService}, {@link RunQueries}, {@link RunExecutor},
 * {@link RunTimers}) in its Camel context's registry, where the components find them by type, as camel-kafka finds
 * its client factory. When none is bound, {@link #of(CamelContext)} creates an embedded engine, so compiled routes run
 * in plain Camel with only the Caravan jars.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    private final CamelContext camelContext;
    private final HazelcastInstance hazelcast;
    private final boolean ownsHazelcast;
    private final EventBus events;
    private final RunStore store;
    private final ValueStore values;
    private final Expressions expressions;
    private final ExecutorService tasks;
    private final Timers timers;
    /** Whether the timers are the engine's own, not bound by the application (which then closes them). */
    private final boolean ownsTimers;
    private final WorkflowCatalog catalog;
    private final RunService runs;
    private final RunExecutor executor;
    private final RunQueries queries;
    private final RunTimers runTimers;
    private final Secrets secrets;
    private final Duration retention;
    private final long maxValueBytes;
    private final KillSwitches killSwitches;
    private final DefinitionStore definitions;
    private final Lanes lanes;
    private final StepServices steps;
    private final int maxTakeovers;
    private final RunRequests runRequests;
    private final Reaper reaper;
    /** Where events of no run (kill switches', triggers') go: the bus, and the relay when there is one. */
    private final EventSink platformEvents;
    /** The relay of an owned member's events (to Kafka), or null. */
    private final EventRelay relay;
    /** The database connections of an owned member's store, or null. */
    private final AutoCloseable storePool;
    private volatile boolean closed;

    private Engine(CamelContext camelContext, HazelcastInstance hazelcast, boolean ownsHazelcast, EventBus events,
            AutoCloseable storePool, EventRelay relay) {
        this.camelContext = camelContext;
        this.relay = relay;
        this.storePool = storePool;
        this.hazelcast = hazelcast;
        this.ownsHazelcast = ownsHazelcast;
        this.events = events;
        this.retention = duration(camelContext, "caravan.runs.retention", "7d");
        this.maxValueBytes = Long.parseLong(camelContext.getPropertiesComponent()
                .resolveProperty("caravan.runs.max-value-bytes").orElse(String.valueOf(1024 * 1024)));
        long inlineValueBytes = Long.parseLong(camelContext.getPropertiesComponent()
                .resolveProperty("caravan.runs.inline-value-bytes")
                .orElse(String.valueOf(ValueStore.DEFAULT_INLINE_BYTES)));
        Duration expiry = retention.isZero() ? null : retention;
        this.values = new ValueStore(hazelcast, inlineValueBytes, expiry);
        HazelcastRunStore runStore = new HazelcastRunStore(hazelcast, events, expiry, values);
        this.store = runStore;
        // the expressions a loader already checked the workflows with, when the application binds them
        Expressions checkedWith = camelContext.getRegistry().findSingleByType(Expressions.class);
        this.expressions = checkedWith != null ? checkedWith : new Expressions();
        this.tasks = ThreadSupport.newTaskExecutor("caravan-run");
        Timers bound = camelContext.getRegistry().findSingleByType(Timers.class);
        this.ownsTimers = bound == null;
        this.timers = bound != null ? bound : new LocalTimers(tasks, this::isStopping);
        this.catalog = new WorkflowCatalog(camelContext, expressions);
        this.runs = new RunService(this);
        this.executor = new RunExecutor(this);
        this.queries = new RunQueries(this);
        this.runTimers = new RunTimers(this);
        this.secrets = new Secrets(camelContext);
        this.platformEvents = relay == null ? events : events.andThen(relay);
        this.killSwitches = new KillSwitches(hazelcast, platformEvents);
        this.definitions = new DefinitionStore(hazelcast);
        this.lanes = new Lanes(new LaneStore(hazelcast, events), store, runs, executor);
        this.steps = new StepServices(store, values, expressions, catalog, timers, secrets, killSwitches, lanes, tasks,
                maxValueBytes, this::isStopping);
        // timers, executors (and an owned member) end with the context they serve
        camelContext.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextStopping(CamelContext context) {
                // before Camel waits for in-flight exchanges: one waiting for a run that pauses would hold it up
                runs.stopWaiting();
            }

            @Override
            public void onContextStopped(CamelContext context) {
                close();
            }
        });
        this.maxTakeovers = Integer.parseInt(camelContext.getPropertiesComponent()
                .resolveProperty("caravan.runs.max-takeovers").orElse("3"));
        this.runRequests = new RunRequests(hazelcast, store.memberId(), executor);
        this.reaper = new Reaper(this, duration(camelContext, "caravan.reaper.stuck-after", "60s"));
        // before recovered timers fire: a route they resume finds this engine's services
        bindServices();
        if (catalog.deploysLocations()) {
            try {
                camelContext.addStartupListener(new LocationsDeployment(catalog));
            } catch (Exception e) {
                throw RuntimeCamelException.wrapRuntimeException(e);
            }
        }
        runTimers.recover();
        if (relay != null) {
            relay.start(store);
        }
        reaper.start(duration(camelContext, "caravan.reaper.interval", "5s"));
        if (!retention.isZero()) {
            long every = Math.max(1, retention.toMillis() / 4);
            timers.every(() -> refreshValues(runStore), every);
        }
    }

    /**
     * The engine bound in the context's registry, or a new embedded one (its own single Hazelcast member, joined to
     * nothing) bound there and closed with the context.
     */
    public static Engine of(CamelContext camelContext) {
        // the engine exists but for the first call: find it without taking the lock Camel itself uses
        Engine found = camelContext.getRegistry().findSingleByType(Engine.class);
        if (found != null) {
            return found;
        }
        synchronized (camelContext) {
            found = camelContext.getRegistry().findSingleByType(Engine.class);
            return found != null ? found : embedded(camelContext);
        }
    }

    /**
     * Binds this engine and the services the components use, each by its type, in the Camel registry; an engine made
     * later on the same context takes these names over. A service of a type the application bound under a name of
     * its own is left to the application's, which the components then find.
     */
    private void bindServices() {
        Registry registry = camelContext.getRegistry();
        bindUnlessBoundElsewhere(registry, "caravanEngine", Engine.class, this);
        bindUnlessBoundElsewhere(registry, "caravanStepServices", StepServices.class, steps);
        bindUnlessBoundElsewhere(registry, "caravanRunService", RunService.class, runs);
        bindUnlessBoundElsewhere(registry, "caravanRunQueries", RunQueries.class, queries);
        bindUnlessBoundElsewhere(registry, "caravanRunExecutor", RunExecutor.class, executor);
        bindUnlessBoundElsewhere(registry, "caravanRunTimers", RunTimers.class, runTimers);
    }

    private static <T> void bindUnlessBoundElsewhere(Registry registry, String name, Class<T> type, T service) {
        if (registry.findByTypeWithName(type).keySet().stream().allMatch(name::equals)) {
            registry.bind(name, type, service);
        }
    }

    /**
     * A new engine with its own Hazelcast member: embedded and alone, or joined to a cluster when the
     * {@code caravan.cluster.*} properties say so ({@link ClusterSettings}); durable when
     * {@code caravan.store.jdbc-url} names a database.
     */
    public static Engine embedded(CamelContext camelContext) {
        EventBus events = new EventBus();
        Config config = ClusterSettings.from(camelContext.getPropertiesComponent()).config();
        HazelcastRunStore.configure(config, events);
        // the application's relay (caravan serve binds one for Kafka): runs then keep outboxes
        EventRelay relay = camelContext.getRegistry().findSingleByType(EventRelay.class);
        if (relay != null) {
            Duration retention = duration(camelContext, "caravan.runs.retention", "7d");
            HazelcastRunStore.relayEvents(config, relay, retention.isZero() ? null : retention);
        }
        camelContext.getPropertiesComponent().resolveProperty("caravan.runs.max-finished")
                .ifPresent(max -> HazelcastRunStore.maxFinishedRuns(config, Integer.parseInt(max)));
        Optional<String> jdbcUrl = camelContext.getPropertiesComponent().resolveProperty("caravan.store.jdbc-url");
        HikariDataSource pool = null;
        if (jdbcUrl.isPresent()) {
            PropertiesComponent properties = camelContext.getPropertiesComponent();
            Duration retention = duration(camelContext, "caravan.runs.retention", "7d");
            int poolSize = Integer.parseInt(properties.resolveProperty("caravan.store.pool-size").orElse("8"));
            pool = JdbcMapStore.pool(jdbcUrl.get(),
                    credential(properties, "caravan.store.user", IOHelper::lookupEnvironmentVariable).orElse("sa"),
                    credential(properties, "caravan.store.password", IOHelper::lookupEnvironmentVariable).orElse(""),
                    poolSize);
            HazelcastRunStore.persist(config, pool, retention.isZero() ? null : retention);
            KillSwitches.persist(config, pool);
        }
        HazelcastInstance hz;
        try {
            hz = Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close();
            }
            throw e;
        }
        LOG.debug("Started embedded Hazelcast member {}", hz.getName());
        return new Engine(camelContext, hz, true, events, pool, relay);
    }

    /**
     * An engine on an existing member whose config went through {@link HazelcastRunStore#configure} with the same
     * event bus, bound in the context's registry with its services. The caller keeps the member and the bus, and
     * closes them.
     */
    public static Engine on(CamelContext camelContext, HazelcastInstance hazelcast, EventBus events) {
        return new Engine(camelContext, hazelcast, false, events, null, null);
    }

    /**
     * A member that joins nothing, bound to the loopback interface: embedded members on a laptop or in CI must never
     * find each other.
     */
    public static Config embeddedConfig(String clusterName) {
        Config config = ClusterSettings.base(clusterName);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        config.getNetworkConfig().setPortAutoIncrement(true);
        config.getMapConfig(HazelcastRunStore.MAP_NAME).setBackupCount(0);
        config.getMapConfig(HazelcastRunStore.FINISHED_MAP_NAME).setBackupCount(0);
        config.getMapConfig(ValueStore.MAP_NAME).setBackupCount(0);
        return config;
    }

    /**
     * The oldest member refreshes the values run records reference, a few times per retention period, so none
     * expires while a run (even one paused for longer than the retention) still needs it.
     */
    private void refreshValues(HazelcastRunStore runStore) {
        try {
            if (!isStopping() && hazelcast.getCluster().getMembers().iterator().next().localMember()) {
                LOG.debug("Refreshed {} referenced values", runStore.refreshReferencedValues());
            }
        } catch (RuntimeException e) {
            LOG.warn("Cannot refresh the values runs reference", e);
        }
    }

    /** Whether this instance is shutting down: failures now are the shutdown's, not the nodes'. */
    public boolean isStopping() {
        return closed || camelContext.isStopping() || camelContext.isStopped()
               || !hazelcast.getLifecycleService().isRunning();
    }

    /**
     * A member of a cluster on this machine joined by a TCP/IP member list (host or host:port), with every run and
     * lane record (and every value runs reference) backed up on one other member, so losing a member loses no record. The caller adds the store's
     * settings with {@link HazelcastRunStore#configure}. Members on several machines are configured by
     * {@link ClusterSettings}.
     */
    public static Config clusterConfig(String clusterName, List<String> members) {
        Config config = embeddedConfig(clusterName);
        members.forEach(config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true)::addMember);
        return ClusterSettings.backedUp(config);
    }

    public CamelContext camelContext() {
        return camelContext;
    }

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    public EventBus events() {
        return events;
    }

    /**
     * Where an event that belongs to no run goes (a trigger's, a kill switch's: its run id is a pseudo id such as
     * {@code killswitch:<key>@<incarnation>}): to the bus, and with a relay to Kafka too. Run events never go here: they travel with
     * their run's record.
     */
    public EventSink platformEvents() {
        return platformEvents;
    }

    public RunStore store() {
        return store;
    }

    public Expressions expressions() {
        return expressions;
    }

    /**
     * The engine's timers ({@link Timers} bound in the Camel registry, else one in-memory timer thread): what they
     * run goes to the worker pool, never the timer thread.
     */
    public Timers timers() {
        return timers;
    }

    /**
     * What the steps of a workflow route use (bound in the Camel registry, where the {@code caravan-*} components
     * find it).
     */
    public StepServices stepServices() {
        return steps;
    }

    /** Runs route executions: virtual threads on Java 21+, a cached pool before. */
    public ExecutorService tasks() {
        return tasks;
    }

    /**
     * A credential from the Camel properties, else a system property, else the environment as Camel names it
     * ({@code CARAVAN_STORE_PASSWORD} for {@code caravan.store.password}: how a Kubernetes Secret reaches a pod).
     * Read with {@code loadProperties}, which reads neither of the last two, because {@code resolveProperty} logs the
     * values it finds.
     */
    static Optional<String> credential(PropertiesComponent properties, String key,
            UnaryOperator<String> environment) {
        Object value = properties.loadProperties(key::equals).get(key);
        return Optional.ofNullable(value).map(Object::toString)
                .or(() -> Optional.ofNullable(System.getProperty(key)))
                .or(() -> Optional.ofNullable(environment.apply(key)));
    }

    private static Duration duration(CamelContext camelContext, String property, String fallback) {
        return Durations.parse(camelContext.getPropertiesComponent().resolveProperty(property)
                .orElse(fallback));
    }

    /**
     * How long finished runs are kept (Camel property {@code caravan.runs.retention}, default 7d; 0s keeps them
     * forever).
     */
    public Duration retention() {
        return retention;
    }

    /**
     * The largest node output a run records, in bytes of JSON (Camel property {@code caravan.runs.max-value-bytes},
     * default 1 MiB): a larger one fails the node rather than bloating every copy of the record.
     */
    public long maxValueBytes() {
        return maxValueBytes;
    }

    /**
     * Values too large to hold inline in run records (JSON over Camel property {@code caravan.runs.inline-value-bytes},
     * default 16 KiB), stored once by content hash; {@link ValueStore#resolve} turns a reference back into the value.
     */
    public ValueStore values() {
        return values;
    }

    /** Lanes: groups of runs with a concurrency cap, a queue and shared memory. */
    public Lanes lanes() {
        return lanes;
    }

    /** Kill switches for a workflow, a tenant or everything. */
    /** The definitions deployed through the API, kept in the cluster (and its database). */
    public DefinitionStore definitions() {
        return definitions;
    }

    public KillSwitches killSwitches() {
        return killSwitches;
    }

    /** Resolves {@code secret:NAME} references when a message leaves a node. */
    public Secrets secrets() {
        return secrets;
    }

    /**
     * How often a run may lose its owner before it is failed rather than taken over again (Camel property
     * {@code caravan.runs.max-takeovers}, default 3): a run that kills its members must not kill them all.
     */
    public int maxTakeovers() {
        return maxTakeovers;
    }

    RunRequests runRequests() {
        return runRequests;
    }

    Reaper reaper() {
        return reaper;
    }

    public WorkflowCatalog catalog() {
        return catalog;
    }

    /** The run commands: start, resume, cancel, retry, approve. */
    public RunService runs() {
        return runs;
    }

    /** Reads runs: by id, in pages, their pending gates. */
    public RunQueries queries() {
        return queries;
    }

    /** Executes runs, here or on the member that owns them. */
    public RunExecutor executor() {
        return executor;
    }

    /** The timers of paused runs: gate deadlines and waits. */
    public RunTimers runTimers() {
        return runTimers;
    }

    @Override
    public void close() {
        closed = true;
        if (relay != null) {
            // what it has not confirmed stays in the outboxes, for the next start or another member
            relay.stop();
        }
        reaper.close();
        runRequests.close();
        if (ownsTimers) {
            timers.close();
        }
        tasks.shutdownNow();
        if (ownsHazelcast) {
            // an engine on a given member (on()) leaves the member and its event bus to their owner
            events.close();
            if (hazelcast.getLifecycleService().isRunning()) {
                hazelcast.shutdown();
            }
        }
        if (storePool != null) {
            try {
                storePool.close();
            } catch (Exception e) {
                LOG.warn("Cannot close the store's connections", e);
            }
        }
    }
}
