package dev.caravan.app.serve;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;

/**
 * Up while the embedded Kafka broker takes connections. A connection, not a Kafka request: a check is called by
 * every probe, and a Kafka client per call would cost threads and a metadata round trip for the same answer.
 */
final class KafkaBrokerHealthCheck extends AbstractHealthCheck {

    private static final int TIMEOUT_MILLIS = 1_000;

    private final String host;
    private final int port;

    KafkaBrokerHealthCheck(String host, int port) {
        super("caravan", "kafka-broker");
        this.host = host;
        this.port = port;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("bootstrap.servers", host + ":" + port);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            builder.up();
        } catch (IOException e) {
            builder.message("the embedded Kafka broker does not answer on " + host + ":" + port).error(e).down();
        }
    }
}
