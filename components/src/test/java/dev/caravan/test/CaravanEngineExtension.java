package dev.caravan.test;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.event.EventBus;
import dev.caravan.event.RunEvent;
import dev.caravan.run.Engine;
import dev.caravan.run.RunQueries;
import dev.caravan.run.RunService;
import dev.caravan.state.HazelcastRunStore;
import dev.caravan.state.RunRecord;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.LambdaRouteBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts Caravan engines for the tests of a class (registered on a static field) or for each test (on an instance
 * field), and shuts them down after them:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
 *         .property("caravan.reaper.interval", "1h")
 *         .routes(rb -> rb.from("direct:effect").setBody(rb.constant("done")))
 *         .workflow("quick.caravan.yaml", QUICK)
 *         .build();
 * }</pre>
 *
 * With one member (the default) the engine is the one {@link Engine#of} makes: an embedded Hazelcast member alone in a
 * cluster of its own, honouring the {@code caravan.store.*} properties. With {@link Builder#members two or more} the
 * members form one cluster on the loopback interface, under a name no other test class uses, with every record
 * backed up as in production, and share one event bus; each member has its Camel context and engine. With
 * {@link Builder#withoutEngines()} only the members start, and a test starts engines on them when it needs them
 * ({@link #startEngine}), for instance to stand for an instance that dies and the one that takes over.
 * <p>
 * Outside JUnit Jupiter (jqwik's containers, a single test method) {@link #start()} and {@link #close()} do the same.
 */
public final class CaravanEngineExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, AutoCloseable {

    /** How long {@link #run} waits for a run to end or pause. */
    private static final long RUN_TIMEOUT_SECONDS = 20;

    private final int memberCount;
    private final boolean engines;
    private final Map<String, String> properties;
    private final List<ContextConfigurer> configurers;
    private final List<LambdaRouteBuilder> routes;
    private final Map<String, String> definitions;
    private final Map<String, String> workflows;

    private final List<HazelcastInstance> members = new ArrayList<>();
    /** The engine of each member, in member order; the engines started later follow. */
    private final List<Engine> started = new ArrayList<>();
    private final List<RunEvent> events = new CopyOnWriteArrayList<>();
    private final WorkflowLoader loader = new WorkflowLoader();
    private final AtomicInteger routeCount = new AtomicInteger();
    /** The bus the members share; null with one member and its engine, which has its own. */
    private EventBus bus;
    /** The members' cluster name; null with one member and its engine, alone in a cluster of its own. */
    private String cluster;
    private boolean running;
    private boolean perClass;

    private CaravanEngineExtension(Builder builder) {
        this.memberCount = builder.members;
        this.engines = builder.engines;
        this.properties = Map.copyOf(builder.properties);
        this.configurers = List.copyOf(builder.configurers);
        this.routes = List.copyOf(builder.routes);
        this.definitions = new LinkedHashMap<>(builder.definitions);
        this.workflows = new LinkedHashMap<>(builder.workflows);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start(context.getRequiredTestClass().getSimpleName());
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!running) {
            start(context.getRequiredTestClass().getSimpleName());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** Starts the members and their engines, for use outside JUnit Jupiter's lifecycle. */
    public CaravanEngineExtension start() throws Exception {
        start("test");
        return this;
    }

    private void start(String owner) throws Exception {
        if (running) {
            throw new IllegalStateException("The engines of " + owner + " are running already");
        }
        running = true;
        try {
            if (memberCount == 1 && engines) {
                // Engine.of: what an application or plain Camel gets, alone in a cluster of its own
                Engine engine = Engine.of(newContext());
                engine.events().subscribe(events::add);
                members.add(engine.hazelcast());
                started.add(engine);
                ready(engine, null);
                return;
            }
            bus = new EventBus();
            bus.subscribe(events::add);
            // a name of its own, so members of other test classes (and other builds on this machine) never join it
            cluster = "caravan-" + owner + "-" + UUID.randomUUID();
            for (int i = 0; i < memberCount; i++) {
                Config config = memberCount == 1 ? Engine.embeddedConfig(cluster)
                        : Engine.clusterConfig(cluster, List.of("127.0.0.1"));
                members.add(Hazelcast.newHazelcastInstance(HazelcastRunStore.configure(config, bus)));
            }
            if (engines) {
                for (int i = 0; i < memberCount; i++) {
                    ready(on(members.get(i), newContext()), null);
                }
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Starts one more member, without an engine, joining the cluster of two or more; it is shut down with the others
     * unless the test ends it first.
     */
    public HazelcastInstance startMember() {
        if (memberCount < 2) {
            throw new IllegalStateException("Only a cluster of two or more members takes another member");
        }
        HazelcastInstance member = Hazelcast.newHazelcastInstance(
                HazelcastRunStore.configure(Engine.clusterConfig(cluster, List.of("127.0.0.1")), bus));
        members.add(member);
        return member;
    }

    /**
     * Starts one more engine on a member's Hazelcast instance, in a Camel context of its own with this extension's
     * properties, definitions, routes and workflows, and the given routes first: another instance of the application
     * sharing the member's state, as after a restart. It is stopped with the others unless the test stops its context
     * first.
     */
    public Engine startEngine(int member, LambdaRouteBuilder extraRoutes) throws Exception {
        Engine engine = on(hazelcast(member), newContext());
        ready(engine, extraRoutes);
        return engine;
    }

    private Engine on(HazelcastInstance member, CamelContext camel) {
        // made (and so bound in the registry) before any caravan endpoint starts, or that endpoint makes one of its own
        Engine engine = Engine.on(camel, member, bus != null ? bus : started.get(0).events());
        started.add(engine);
        return engine;
    }

    /** A started context with the properties and configuration, not yet an engine. */
    private CamelContext newContext() throws Exception {
        DefaultCamelContext camel = new DefaultCamelContext();
        properties.forEach(camel.getPropertiesComponent()::addOverrideProperty);
        // runs still in flight when a test ends need not hold up its shutdown
        camel.getShutdownStrategy().setTimeout(1);
        for (ContextConfigurer configurer : configurers) {
            configurer.configure(camel);
        }
        camel.start();
        return camel;
    }

    /**
     * Registers the definitions, whose nodes routes may name, adds the routes (the extra ones first), then deploys
     * the workflows, whose calls may go to those routes.
     */
    private void ready(Engine engine, LambdaRouteBuilder extraRoutes) throws Exception {
        definitions.forEach((file, yaml) -> engine.catalog().register(loader.load(file, yaml)));
        if (extraRoutes != null) {
            RouteBuilder.addRoutes(engine.camelContext(), extraRoutes);
        }
        for (LambdaRouteBuilder r : routes) {
            RouteBuilder.addRoutes(engine.camelContext(), r);
        }
        workflows.forEach((file, yaml) -> engine.catalog().deploy(loader.load(file, yaml)));
    }

    /** The engine of the first member. */
    public Engine engine() {
        return engine(0);
    }

    /** The engine of a member (0, 1, ...), or the engines {@link #startEngine} started after them, in order. */
    public Engine engine(int index) {
        return started.get(index);
    }

    /** The Camel context of the first member's engine. */
    public CamelContext camelContext() {
        return engine().camelContext();
    }

    /** The run commands of the first member's engine. */
    public RunService runs() {
        return engine().runs();
    }

    /** The run queries of the first member's engine. */
    public RunQueries queries() {
        return engine().queries();
    }

    /** A member's Hazelcast instance. */
    public HazelcastInstance hazelcast(int member) {
        return members.get(member);
    }

    /** The members' event bus. */
    public EventBus eventBus() {
        return bus != null ? bus : engine().events();
    }

    /** Every event published since the members started, in the order they were delivered. */
    public List<RunEvent> events() {
        return events;
    }

    /**
     * Adds a route from {@code direct:NAME} through the given steps to the first engine's context and starts it, as a
     * route written by hand is; returns its {@code direct:} URI. A route that does not start is removed again, and
     * what stopped it is thrown.
     */
    public String startRoute(String... steps) throws Exception {
        CamelContext camel = camelContext();
        String id = "hand-written-" + routeCount.incrementAndGet();
        try {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    RouteDefinition route = from("direct:" + id).routeId(id);
                    for (String step : steps) {
                        route.to(step);
                    }
                }
            });
        } catch (Exception e) {
            if (camel.getRoute(id) != null) {
                camel.getRouteController().stopRoute(id);
                camel.removeRoute(id);
            }
            throw e;
        }
        return "direct:" + id;
    }

    /** Sends a body to an endpoint of the first engine's context; returns the exchange, failed or not. */
    public Exchange request(String uri, Object body) {
        return camelContext().createProducerTemplate().request(uri, e -> e.getMessage().setBody(body));
    }

    /** Loads a workflow and deploys it on every running engine. */
    public Workflow deploy(String yaml) {
        Workflow wf = loader.load("test.caravan.yaml", yaml);
        for (Engine engine : started) {
            if (!engine.isStopping()) {
                engine.catalog().deploy(wf);
            }
        }
        return wf;
    }

    /** Starts a run on the first member and waits until it ends or pauses. */
    public RunRecord run(String workflow, Map<String, Object> input) throws Exception {
        return runs().start(RunService.StartRequest.of(workflow, input)).get(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Stops every engine's Camel context, newest first, then the members and their bus. */
    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).camelContext().stop();
        }
        for (int i = members.size() - 1; i >= 0; i--) {
            if (members.get(i).getLifecycleService().isRunning()) {
                members.get(i).shutdown();
            }
        }
        if (bus != null) {
            bus.close();
        }
        started.clear();
        members.clear();
        events.clear();
        bus = null;
        cluster = null;
        running = false;
    }

    /** Configures an engine's Camel context before it starts. */
    @FunctionalInterface
    public interface ContextConfigurer {
        void configure(CamelContext camel) throws Exception;
    }

    /** What to start. */
    public static final class Builder {
        private int members = 1;
        private boolean engines = true;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<ContextConfigurer> configurers = new ArrayList<>();
        private final List<LambdaRouteBuilder> routes = new ArrayList<>();
        private final Map<String, String> definitions = new LinkedHashMap<>();
        private final Map<String, String> workflows = new LinkedHashMap<>();

        private Builder() {
        }

        /** How many Hazelcast members, each with its engine; 1 by default. */
        public Builder members(int members) {
            if (members < 1) {
                throw new IllegalArgumentException("members must be at least 1 but was " + members);
            }
            this.members = members;
            return this;
        }

        /** Starts the members only: the test starts engines on them with {@link CaravanEngineExtension#startEngine}. */
        public Builder withoutEngines() {
            this.engines = false;
            return this;
        }

        /** A Camel property of every engine's context, such as {@code caravan.runs.retention}. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /**
         * Configures every engine's Camel context before it starts: beans bound in the registry, component
         * configuration, properties known only then.
         */
        public Builder configure(ContextConfigurer configurer) {
            configurers.add(configurer);
            return this;
        }

        /** Routes added to every engine's context once its engine is bound, before the workflows are deployed. */
        public Builder routes(LambdaRouteBuilder builder) {
            routes.add(builder);
            return this;
        }

        /**
         * A workflow registered on every engine without routes of its own, before the routes are added: routes
         * written by hand name its nodes ({@code caravan-call:first?workflow=name}), and their endpoints read it
         * when they start.
         */
        public Builder definition(String fileName, String yaml) {
            definitions.put(fileName, yaml);
            return this;
        }

        /** A workflow deployed on every engine, by file name (which its load errors name) and text. */
        public Builder workflow(String fileName, String yaml) {
            workflows.put(fileName, yaml);
            return this;
        }

        public CaravanEngineExtension build() {
            return new CaravanEngineExtension(this);
        }
    }
}
