package dev.caravan.app.serve;

import org.apache.camel.util.IOHelper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code caravan serve} is asked to start.
 *
 * @param host         the address the HTTP server binds
 * @param port         its port (0: any free one)
 * @param dataDir      where runs (H2, under {@code db/}) and the embedded broker's log (under {@code kafka/}) are kept
 * @param workflowDirs folders whose {@code *.caravan.yaml} files are deployed
 * @param properties   Camel properties given on the command line; they win over the environment
 * @param workingDir   what file names in messages are relative to
 */
public record ServeOptions(String host, int port, Path dataDir, List<Path> workflowDirs,
        Map<String, String> properties, Path workingDir) {

    public ServeOptions {
        workflowDirs = List.copyOf(workflowDirs);
        properties = Map.copyOf(properties);
    }

    /**
     * A setting the server needs before Camel starts (Camel would resolve it the same way): the command line's
     * {@code -p}, then a system property, then the environment ({@code CARAVAN_KAFKA_BOOTSTRAP_SERVERS} for
     * {@code caravan.kafka.bootstrap-servers}).
     */
    public Optional<String> property(String key) {
        return Optional.ofNullable(properties.get(key))
                .or(() -> Optional.ofNullable(System.getProperty(key)))
                .or(() -> Optional.ofNullable(IOHelper.lookupEnvironmentVariable(key)))
                .filter(v -> !v.isBlank());
    }
}
