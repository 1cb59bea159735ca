package dev.caravan.app.kafka;

import dev.caravan.app.Ports;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Kafka broker inside this JVM, in KRaft mode (one node is both broker and controller), listening on
 * 127.0.0.1 only: what {@code caravan serve} starts when no {@code caravan.kafka.bootstrap-servers} is configured,
 * and the real broker tests run against.
 *
 * <p>Everything it keeps (the metadata log, topics, committed offsets) lives in the data directory it is given: the
 * directory is formatted on the first start only, so starting again on it keeps the topics, their records and the
 * consumer groups' offsets.
 *
 * <p>It is set up for a laptop: one replica of everything, one partition per topic unless a topic is created with
 * more, 16 MiB segments kept for 24 hours or up to 256 MiB per partition, a small log-cleaner buffer (Kafka's
 * default takes 128 MiB of heap at start), fewer request threads, and no delay before a consumer group's first
 * rebalance. Topics are not created on first use ({@code auto.create.topics.enable=false}), as on managed clusters:
 * whatever writes a topic creates it first, so what works against this broker works against a real cluster, and a
 * misspelt topic name fails instead of quietly making a new topic.
 *
 * <p>Starting takes a few seconds in a new JVM (3-4 s on an idle two-core machine, 5-8 s on a busy one), most of it
 * loading and warming the broker's classes; in a JVM that ran one before, 0.5-1 s, on a new directory or a kept one.
 * Stopping takes under a second.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    /** The only address it listens on: the broker is for this machine's processes and tools (kcat, Kafka UIs). */
    public static final String HOST = "127.0.0.1";

    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Written by formatting; its presence is what Kafka itself takes as "formatted". */
    private static final String META_PROPERTIES = "meta.properties";
    private static final int MIB = 1024 * 1024;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private boolean stopped;

    private EmbeddedKafka(KafkaRaftServer server, Path dataDir, int port) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
    }

    /**
     * Starts a broker keeping its data in {@code dataDir} (created and formatted if new) and listening on
     * {@code 127.0.0.1:port}; returns once it takes requests.
     *
     * @param port the client port, or 0 for a free one (tests)
     * @throws BindException when the port is taken, with a message naming it and the settings that avoid it
     * @throws IOException   when the directory cannot be created or formatted
     */
    public static EmbeddedKafka start(Path dataDir, int port) throws IOException {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("the embedded Kafka port must be 0 (any free port) or 1-65535, not "
                    + port);
        }
        long begin = System.nanoTime();
        Path dir = dataDir.toAbsolutePath();
        // fails at once with a clear message, before Kafka starts threads and logs its own errors
        int brokerPort = choosePort(port);
        int controllerPort = freePort();
        boolean formatted = formatIfNew(dir);
        KafkaConfig config = KafkaConfig.fromProps(brokerProperties(dir, brokerPort, controllerPort), false);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            shutDown(server);
            if (causedBy(e, BindException.class)) {
                // another process took a port between the check and Kafka binding it; Kafka's message names it
                throw portInUse(mentions(e, HOST + ":" + controllerPort) ? controllerPort : brokerPort, e);
            }
            throw e;
        }
        LOG.info("Embedded Kafka broker listening on {}:{}, data in {} ({}), started in {} ms", HOST, brokerPort, dir,
                formatted ? "new" : "kept", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
        return new EmbeddedKafka(server, dir, brokerPort);
    }

    /** What Kafka clients connect to: {@code 127.0.0.1:port}. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** The client port, the one chosen when started with 0. */
    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Shuts the broker down cleanly (its logs flushed and closed, so the next start needs no recovery); idempotent. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        long begin = System.nanoTime();
        shutDown(server);
        LOG.info("Embedded Kafka broker on {}:{} stopped in {} ms", HOST, port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    }

    @Override
    public void close() {
        stop();
    }

    /** The broker's configuration: one node as broker and controller on loopback, small settings for a laptop. */
    static Properties brokerProperties(Path dataDir, int port, int controllerPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", String.valueOf(NODE_ID));
        // a static quorum of this node: nothing about the controller's address is stored, so its port may change
        // from one start to the next
        p.setProperty("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
        p.setProperty("listeners", BROKER_LISTENER + "://" + HOST + ":" + port + ","
                + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.setProperty("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + port);
        p.setProperty("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER
                + ":PLAINTEXT");
        p.setProperty("inter.broker.listener.name", BROKER_LISTENER);
        p.setProperty("log.dirs", dataDir.toString());

        // one node: one replica of everything, and one partition for each internal topic (50 by default)
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.num.partitions", "1");

        p.setProperty("num.partitions", "1");
        p.setProperty("auto.create.topics.enable", "false");
        // one member per group is the rule here: the 3 s wait for more members to join only slows the first poll
        p.setProperty("group.initial.rebalance.delay.ms", "0");

        p.setProperty("log.segment.bytes", String.valueOf(16 * MIB));
        p.setProperty("log.retention.hours", "24");
        p.setProperty("log.retention.bytes", String.valueOf(256 * MIB));
        p.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(8 * MIB));
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "4");
        return p;
    }

    /** Formats the directory unless it already is; returns whether it formatted. */
    private static boolean formatIfNew(Path dir) throws IOException {
        if (Files.exists(dir.resolve(META_PROPERTIES))) {
            return false;
        }
        Files.createDirectories(dir);
        try {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream())) // it prints to stdout
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .run();
        } catch (Exception e) {
            throw new IOException("cannot format " + dir + " for the embedded Kafka broker: " + e.getMessage(), e);
        }
        return true;
    }

    /**
     * The client port a broker started with {@code port} would take: a free one for 0, else {@code port} once it is
     * seen to be free. Lets a caller know the broker's address, and fail on a taken port, before it starts the broker.
     *
     * @throws BindException when the port is taken, with the message {@link #start} would give
     */
    public static int choosePort(int port) throws IOException {
        try {
            return Ports.bindable(HOST, port);
        } catch (BindException e) {
            throw portInUse(port, e);
        }
    }

    private static int freePort() throws IOException {
        return Ports.bindable(HOST, 0);
    }

    private static BindException portInUse(int port, Exception cause) {
        BindException e = new BindException("cannot start the embedded Kafka broker: " + HOST + ":" + port
                + " is already in use (another Kafka?). Set caravan.kafka.embedded.port to a free port, or "
                + "caravan.kafka.bootstrap-servers to use a Kafka that is already running");
        e.initCause(cause);
        return e;
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean mentions(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }

    private static void shutDown(KafkaRaftServer server) {
        server.shutdown();
        server.awaitShutdown();
    }
}
