package dev.caravan.app.serve;

import dev.caravan.app.Ports;
import dev.caravan.app.cli.DataDirectory;
import dev.caravan.app.cli.ExitCodes;
import dev.caravan.app.cli.UserException;
import dev.caravan.app.cli.WorkflowFiles;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.app.kafka.KafkaEventRelay;
import dev.caravan.app.kafka.TriggerTopics;
import dev.caravan.app.triggers.TriggerLags;
import dev.caravan.app.triggers.TriggerStatuses;
import dev.caravan.app.triggers.TriggerSupervisor;
import dev.caravan.compile.TriggerRoutes;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.WorkflowCatalog;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code caravan serve}: Camel Main with the platform-http server (Vert.x) carrying the REST API and Camel's health
 * checks, an engine with its embedded Hazelcast member, an embedded Kafka broker unless one is configured, and the
 * workflows of the given folders deployed. {@link #start} returns once all of it is up; {@link #close} stops it.
 */
public final class CaravanServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanServer.class);

    /** Where runs' events go; with no value, the server starts a broker of its own. */
    public static final String KAFKA_BOOTSTRAP = "caravan.kafka.bootstrap-servers";
    public static final String KAFKA_EMBEDDED_PORT = "caravan.kafka.embedded.port";
    /** Whether the workflow folders are watched, and changed files deployed again (default true). */
    public static final String WATCH_WORKFLOWS = "caravan.workflows.watch";
    /** The topic of run events. */
    public static final String EVENTS_TOPIC = "caravan.events.topic";
    /** Where the events of no run (lanes', kill switches', triggers') go; default: the run event topic. */
    public static final String PLATFORM_EVENTS_TOPIC = "caravan.events.platform-topic";
    /** The partitions of the run event topic when the server creates it. */
    public static final String EVENTS_TOPIC_PARTITIONS = "caravan.events.topic.partitions";
    /** How often the relay reads the outboxes for events it missed, in milliseconds. */
    public static final String RELAY_SWEEP_MILLIS = "caravan.events.relay.sweep-millis";
    /**
     * How long a run's events may wait for Kafka's acknowledgement, while Kafka answers, before the relay replaces its
     * producer, in milliseconds.
     */
    public static final String RELAY_STALL_TIMEOUT_MILLIS = "caravan.events.relay.stall-timeout-millis";
    public static final String MAX_BODY_BYTES = "caravan.api.max-body-bytes";
    private static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** How often an event stream reads its run's events from the store, in milliseconds. */
    public static final String EVENTS_POLL_MILLIS = "caravan.api.events.poll-millis";
    /** How often an event stream sends a keep-alive comment, in milliseconds. */
    public static final String EVENTS_HEARTBEAT_MILLIS = "caravan.api.events.heartbeat-millis";

    private final Main main;
    private final EmbeddedKafka kafka;
    private final DataDirectory data;
    private final Engine engine;
    private final String url;
    private final List<String> deployed;
    private final WorkflowFolders folders;
    private final StoredDefinitions stored;
    private boolean closed;

    private CaravanServer(Main main, EmbeddedKafka kafka, DataDirectory data, Engine engine, String url,
            List<String> deployed, WorkflowFolders folders, StoredDefinitions stored) {
        this.folders = folders;
        this.stored = stored;
        this.main = main;
        this.kafka = kafka;
        this.data = data;
        this.engine = engine;
        this.url = url;
        this.deployed = deployed;
    }

    /**
     * Starts the server; what it started, and every workflow file it skipped with its problems, go to {@code err}.
     *
     * @throws UserException when the settings are refused (a public address without API keys, a bad key list, a
     *                       port in use, a data directory another command holds)
     */
    public static CaravanServer start(ServeOptions options, PrintStream err) throws Exception {
        long begin = System.nanoTime();
        ApiKeys keys;
        try {
            keys = ApiKeys.parse(options.property(ApiKeys.PROPERTY).orElse(null));
        } catch (IllegalArgumentException e) {
            throw new UserException(ExitCodes.USAGE, e.getMessage(), e);
        }
        refuseOpenPublicAddress(options.host(), keys);
        long maxBody = longProperty(options, MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
        Duration eventsPoll = positiveMillis(options, EVENTS_POLL_MILLIS, 1_000);
        Duration heartbeat = positiveMillis(options, EVENTS_HEARTBEAT_MILLIS, 15_000);
        WorkflowLoader loader = WorkflowFiles.loader(null, options.properties());

        int httpPort = choosePort(options.host(), options.port());
        DataDirectory data = DataDirectory.lock(options.dataDir());
        CompletableFuture<EmbeddedKafka> kafkaStarting = null;
        Main main = null;
        WorkflowFolders folders = null;
        StoredDefinitions stored = null;
        try {
            String bootstrap = options.property(KAFKA_BOOTSTRAP).orElse(null);
            if (bootstrap == null) {
                int port;
                try {
                    long asked = longProperty(options, KAFKA_EMBEDDED_PORT, 9092);
                    if (asked > 65_535) {
                        throw new UserException(ExitCodes.USAGE, KAFKA_EMBEDDED_PORT + ": expected 0-65535, not "
                                + asked);
                    }
                    port = EmbeddedKafka.choosePort((int) asked);
                } catch (BindException e) {
                    throw new UserException(ExitCodes.USAGE, e.getMessage(), e);
                }
                bootstrap = EmbeddedKafka.HOST + ":" + port;
                // the broker takes seconds to start, as Camel and the member do: side by side, not one after the other
                kafkaStarting = startKafka(data.path().resolve("kafka"), port);
            }
            main = new Main();
            configure(main, options, httpPort, data, bootstrap, maxBody);
            // the engine finds the relay in the registry: its runs keep outboxes, which the relay publishes
            String eventsTopic = options.property(EVENTS_TOPIC).orElse(KafkaEventRelay.DEFAULT_TOPIC);
            KafkaEventRelay relay = new KafkaEventRelay(bootstrap, eventsTopic,
                    options.property(PLATFORM_EVENTS_TOPIC).orElse(eventsTopic),
                    (int) longProperty(options, EVENTS_TOPIC_PARTITIONS, 6),
                    Duration.ofMillis(longProperty(options, RELAY_SWEEP_MILLIS, 5_000)),
                    positiveMillis(options, RELAY_STALL_TIMEOUT_MILLIS,
                            KafkaEventRelay.DEFAULT_STALL_TIMEOUT.toMillis()));
            main.bind("caravanEventRelay", relay);
            main.bind("caravanExpressions", loader.expressions());
            // Kafka triggers' topics: their dead-letter topics, and on the embedded broker the topics they read
            Main started = main;
            TriggerTopics triggerTopics = new TriggerTopics(bootstrap, kafkaStarting != null,
                    () -> Engine.of(started.getCamelContext()).catalog());
            main.bind("caravanTriggerTopics", triggerTopics);
            // trigger routes that fail are started again; what each trigger does is computed in one place for the
            // health check and the API
            TriggerLags lags = new TriggerLags(
                    Duration.ofMillis(longProperty(options, TriggerLags.CACHE_MILLIS, 3_000)),
                    positiveMillis(options, TriggerLags.TIMEOUT_MILLIS, 2_000));
            AtomicReference<Engine> running = new AtomicReference<>();
            TriggerSupervisor supervisor = new TriggerSupervisor(running::get, lags,
                    positiveMillis(options, TriggerSupervisor.CHECK_MILLIS, 1_000),
                    positiveMillis(options, TriggerSupervisor.CDC_GRACE_MILLIS, 30_000), Duration.ofSeconds(1),
                    Duration.ofSeconds(60));
            TriggerStatuses triggers = new TriggerStatuses(running::get, lags, supervisor);
            ApiRoutes api = new ApiRoutes(keys, maxBody, loader, triggers);
            main.configure().addRoutesBuilder(api);
            // registered before the HTTP server serves the health endpoints, which it does from the context's start
            StartupHealthCheck startup = new StartupHealthCheck();
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterConfigure(BaseMainSupport configured) {
                    HealthCheckRegistry.get(configured.getCamelContext()).register(startup);
                }
            });
            main.start();
            CamelContext camel = main.getCamelContext();
            camel.addService(triggerTopics, true);
            camel.addService(lags, true);
            camel.addService(supervisor, true, true);
            Engine engine = Engine.of(camel);
            running.set(engine);
            HttpErrorPages.install(camel, httpPort, maxBody, api.knownPaths());
            EventStreams.install(camel, httpPort, engine, keys, eventsPoll, heartbeat);
            folders = new WorkflowFolders(engine, loader, options, err);
            List<String> deployed = new ArrayList<>(folders.deployAll());
            stored = new StoredDefinitions(engine, loader, err);
            for (String name : stored.deployAll()) {
                if (!deployed.contains(name)) {
                    deployed.add(name);
                }
            }
            stored.listen();
            if (options.property(WATCH_WORKFLOWS).map(Boolean::parseBoolean).orElse(true)) {
                folders.watch();
            }
            EmbeddedKafka kafka = kafkaStarting == null ? null : started(kafkaStarting);
            HealthCheckRegistry health = HealthCheckRegistry.get(camel);
            health.register(new HazelcastMemberHealthCheck(engine.hazelcast()));
            health.register(new EventRelayHealthCheck(relay));
            health.register(new TriggersHealthCheck(triggers));
            if (kafka != null) {
                health.register(new KafkaBrokerHealthCheck(EmbeddedKafka.HOST, kafka.port()));
            }
            CaravanMeters meters = new CaravanMeters(camel.getRegistry().findSingleByType(MeterRegistry.class), relay,
                    triggers);
            camel.getExecutorServiceManager().newSingleThreadScheduledExecutor(camel, "caravan-meters")
                    .scheduleWithFixedDelay(meters::refreshTriggers, 0,
                            positiveMillis(options, CaravanMeters.TRIGGERS_REFRESH, 15_000).toMillis(),
                            TimeUnit.MILLISECONDS);
            startup.started();
            String url = "http://" + hostForUrl(options.host()) + ":" + httpPort;
            CaravanServer server = new CaravanServer(main, kafka, data, engine, url, deployed, folders, stored);
            server.printStarted(err, options, bootstrap, keys, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
            return server;
        } catch (Exception | Error e) {
            if (folders != null) {
                folders.close();
            }
            if (stored != null) {
                stored.close();
            }
            if (main != null) {
                main.stop();
            }
            if (kafkaStarting != null) {
                try {
                    kafkaStarting.join().close();
                } catch (RuntimeException didNotStart) {
                    // nothing to stop
                }
            }
            data.close();
            throw e;
        }
    }

    /** Starts the broker on a thread of its own; the future completes when it takes requests. */
    private static CompletableFuture<EmbeddedKafka> startKafka(Path dir, int port) {
        CompletableFuture<EmbeddedKafka> starting = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                starting.complete(EmbeddedKafka.start(dir, port));
            } catch (Throwable e) {
                starting.completeExceptionally(e);
            }
        }, "caravan-kafka-start");
        t.setDaemon(true);
        t.start();
        return starting;
    }

    /** The started broker; a port taken meanwhile is the user's to fix, as when it was taken before. */
    private static EmbeddedKafka started(CompletableFuture<EmbeddedKafka> starting) throws Exception {
        try {
            return starting.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BindException b) {
                throw new UserException(ExitCodes.USAGE, b.getMessage(), b);
            }
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The HTTP port: a free one for 0, else the one asked for once it is seen to be free. */
    private static int choosePort(String host, int port) throws IOException {
        try {
            return Ports.bindable(host, port);
        } catch (BindException e) {
            throw new UserException(ExitCodes.USAGE, host + ":" + port + " is already in use (another caravan "
                    + "serve?); choose another with --port", e);
        }
    }

    /**
     * Camel Main's settings: the HTTP server, health and metrics on the same port, the store in the data directory.
     */
    private static void configure(Main main, ServeOptions options, int port, DataDirectory data, String bootstrap,
            long maxBody) {
        Map<String, String> initial = new LinkedHashMap<>();
        initial.put("camel.main.name", "caravan");
        initial.put("camel.server.enabled", "true");
        initial.put("camel.server.host", options.host());
        initial.put("camel.server.port", String.valueOf(port));
        initial.put("camel.server.maxBodySize", String.valueOf(maxBody));
        initial.put("camel.server.fileUploadEnabled", "false");
        // health on the API's own server: the management server shares a server that has its port
        initial.put("camel.management.enabled", "true");
        initial.put("camel.management.host", options.host());
        initial.put("camel.management.port", String.valueOf(port));
        initial.put("camel.management.healthCheckEnabled", "true");
        initial.put("camel.health.enabled", "true");
        // Prometheus metrics at /observe/metrics on the same port (camel-micrometer-prometheus): routes, the JVM. Not
        // the exchange event notifier, which times every message sent to an endpoint, that is every node of a run
        initial.put("camel.management.metricsEnabled", "true");
        initial.put("camel.metrics.enabled", "true");
        initial.put("camel.metrics.enableExchangeEventNotifier", "false");
        initial.put("camel.metrics.binders", "jvm-memory,jvm-gc,jvm-thread,processor,uptime");
        initial.put("camel.main.shutdownTimeout", "10");
        // an initial property: a caravan.store.jdbc-url in the environment (CARAVAN_STORE_JDBC_URL) wins
        initial.put("caravan.store.jdbc-url", "jdbc:h2:file:" + data.path().resolve("db").resolve("caravan"));
        // kafka: call nodes and routes reach the broker without saying where it is
        initial.put("camel.component.kafka.brokers", bootstrap);
        // the workflows' spec.triggers run here (a one-shot caravan run starts none); a CDC trigger keeps its
        // Debezium offsets with the rest of the data, so a restart neither replays nor skips a change
        initial.put(WorkflowCatalog.TRIGGERS_PROPERTY, "true");
        initial.put(TriggerRoutes.CDC_OFFSETS_PROPERTY, data.path().resolve("cdc").toString());
        initial.forEach(main::addInitialProperty);
        main.addOverrideProperty(KAFKA_BOOTSTRAP, bootstrap);
        options.properties().forEach(main::addOverrideProperty);
    }

    /** Deploys the workflows of every folder; a file that does not check or deploy is reported and skipped. */
    private void printStarted(PrintStream err, ServeOptions options, String bootstrap, ApiKeys keys, long millis) {
        err.println("caravan serve: API on " + url + RunApi.BASE + ", health on " + url + "/observe/health"
                + (keys.isEmpty() ? " (no API keys: loopback only)" : " (" + keys.size() + " API key"
                + (keys.size() == 1 ? "" : "s") + ")"));
        err.println("  kafka: " + (kafka != null ? "embedded broker on " + bootstrap + ", data in "
                + kafka.dataDir() : bootstrap + " (no broker started)") + "; run events on topic "
                + options.property(EVENTS_TOPIC).orElse(KafkaEventRelay.DEFAULT_TOPIC));
        err.println("  hazelcast: member " + engine.hazelcast().getCluster().getLocalMember().getAddress()
                + " of cluster " + engine.hazelcast().getConfig().getClusterName());
        err.println("  data: " + data.path());
        err.println("  workflows: " + (deployed.isEmpty() ? "none" : deployed.size() + " (" + String.join(", ",
                deployed) + ")") + " from " + (options.workflowDirs().isEmpty() ? "no folder" : String.join(", ",
                options.workflowDirs().stream().map(d -> WorkflowFiles.display(options.workingDir(),
                        d.toAbsolutePath()).toString()).toList())));
        err.println("  started in " + millis + " ms; Ctrl-C stops");
        err.flush();
    }

    /** Without API keys anyone who reaches the port could start runs: only this machine may. */
    private static void refuseOpenPublicAddress(String host, ApiKeys keys) {
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new UserException(ExitCodes.USAGE, "--host " + host + ": unknown host", e);
        }
        if (!address.isLoopbackAddress() && keys.isEmpty()) {
            throw new UserException(ExitCodes.USAGE, "--host " + host + " is reachable from other machines, and no "
                    + "API keys are set: set " + ApiKeys.PROPERTY + " (tenant:sha256-of-key, comma-separated) or bind "
                    + "to 127.0.0.1");
        }
    }

    private static long longProperty(ServeOptions options, String key, long fallback) {
        String v = options.property(key).orElse(null);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UserException(ExitCodes.USAGE, key + ": expected a whole number, not '" + v + "'");
        }
    }

    private static Duration positiveMillis(ServeOptions options, String key, long fallback) {
        long millis = longProperty(options, key, fallback);
        if (millis == 0) {
            throw new UserException(ExitCodes.USAGE, key + ": expected a number of milliseconds above 0");
        }
        return Duration.ofMillis(millis);
    }

    private static String hostForUrl(String host) {
        try {
            return InetAddress.getByName(host) instanceof Inet6Address && host.contains(":") ? "[" + host + "]" : host;
        } catch (UnknownHostException e) {
            return host;
        }
    }

    /** The server's base URL, {@code http://host:port}. */
    public String url() {
        return url;
    }

    public Engine engine() {
        return engine;
    }

    /** The embedded broker, or null when a Kafka was configured. */
    public EmbeddedKafka kafka() {
        return kafka;
    }

    public List<String> deployedWorkflows() {
        return List.copyOf(deployed);
    }

    /** Stops Camel (the API, the engine and its member), then the broker, then lets the data directory go. */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        folders.close();
        stored.close();
        try {
            main.stop();
        } finally {
            try {
                if (kafka != null) {
                    kafka.close();
                }
            } finally {
                data.close();
                LOG.debug("caravan serve stopped");
            }
        }
    }
}
