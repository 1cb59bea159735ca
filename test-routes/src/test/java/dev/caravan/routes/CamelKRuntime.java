package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.main.Main;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Camel K makes of an exported Integration's (or Pipe's) traits: the ConfigMap the mount trait names written
 * into a folder, its empty folders made, the camel trait's properties and the environment trait's variables (as
 * Camel properties, or as the environment of a JVM of the Integration's own), the flows as a YAML routes file, all
 * given to a plain Camel Main. Kubernetes discovery is left out (it needs a cluster): the engine runs one embedded
 * Hazelcast member.
 */
final class CamelKRuntime {

    static final String MOUNT_PATH = "/etc/caravan/workflows";
    private static final Path KAMELETS = Path.of("../kamelets");
    /**
     * The Camel property each environment variable of an export stands for: Camel reads a property it has no value
     * for from the variable of its name in capitals, dots and dashes as underscores; caravan-webhook reads its secret
     * from the Camel property of the secret's name, else from the variable.
     */
    private static final Map<String, String> ENVIRONMENT = Map.of(
            "CARAVAN_KAFKA_BOOTSTRAP_SERVERS", "caravan.kafka.bootstrap-servers",
            "GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET",
            "CARAVAN_TRIGGERS_CDC_HOSTNAME", "caravan.triggers.cdc.hostname",
            "CARAVAN_TRIGGERS_CDC_PORT", "caravan.triggers.cdc.port",
            "CARAVAN_TRIGGERS_CDC_DATABASE", "caravan.triggers.cdc.database",
            "CARAVAN_TRIGGERS_CDC_USER", "caravan.triggers.cdc.user",
            "CARAVAN_TRIGGERS_CDC_PASSWORD", "caravan.triggers.cdc.password");
    /** Where an environment variable of an export takes its value: the settings ConfigMap or a Secret's key. */
    private static final Pattern REFERENCE = Pattern.compile("(configmap:caravan-settings|secret:caravan-[a-z]+)/.+");

    private CamelKRuntime() {
    }

    /** The resource of a kind in an exported file. */
    static JsonNode resource(Path file, String kind) {
        return KubernetesSchemas.yamlDocuments(file).stream().filter(r -> r.path("kind").asText().equals(kind))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " in " + file));
    }

    /**
     * The Camel properties the traits give, the workflow ConfigMap written into {@code dir} where the mount trait
     * puts it, and the environment variables as the Camel properties they stand for.
     *
     * @param values what the environment variables take from the ConfigMap caravan-settings and the Secrets, by
     *               variable
     */
    static Map<String, String> properties(JsonNode traits, JsonNode configMap, Path dir, Map<String, String> values)
            throws IOException {
        Map<String, String> properties = new LinkedHashMap<>(camelProperties(traits, configMap, dir));
        environment(traits, values).forEach((name, value) -> {
            assertThat(ENVIRONMENT).as("what the variable %s stands for", name).containsKey(name);
            properties.put(ENVIRONMENT.get(name), value);
        });
        return properties;
    }

    /**
     * The camel trait's properties, the workflow ConfigMap written into {@code dir} where the mount trait puts it and
     * the mount trait's empty folders made there. The cluster's are left out: Kubernetes discovery needs a cluster.
     */
    static Map<String, String> camelProperties(JsonNode traits, JsonNode configMap, Path dir) throws IOException {
        String mount = traits.at("/mount/resources/0").asText();
        assertThat(mount).isEqualTo("configmap:" + configMap.at("/metadata/name").asText() + "@" + MOUNT_PATH);
        Path mounted = Files.createDirectories(dir.resolve("workflows"));
        for (Iterator<Map.Entry<String, JsonNode>> it = configMap.path("data").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Files.writeString(mounted.resolve(e.getKey()), e.getValue().asText());
        }
        // the mount trait's empty folders (name:path), each a folder of its name in dir
        Map<String, Path> emptyDirs = new LinkedHashMap<>();
        for (JsonNode d : traits.at("/mount/emptyDirs")) {
            String name = d.asText().substring(0, d.asText().indexOf(':'));
            emptyDirs.put(d.asText().substring(name.length() + 1), Files.createDirectories(dir.resolve(name)));
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (JsonNode p : traits.at("/camel/properties")) {
            String key = p.asText().substring(0, p.asText().indexOf('='));
            String value = p.asText().substring(p.asText().indexOf('=') + 1);
            if (value.equals(MOUNT_PATH)) {
                value = mounted.toString();
            }
            for (Map.Entry<String, Path> e : emptyDirs.entrySet()) {
                if (value.startsWith(e.getKey() + "/")) {
                    value = e.getValue() + value.substring(e.getKey().length());
                }
            }
            if (!key.startsWith("caravan.cluster.")) {
                properties.put(key, value);
            }
        }
        return properties;
    }

    /**
     * The environment the environment trait gives: each variable references the settings ConfigMap or a Secret, and
     * takes its value from {@code values}.
     */
    static Map<String, String> environment(JsonNode traits, Map<String, String> values) {
        Map<String, String> environment = new LinkedHashMap<>();
        for (JsonNode v : traits.at("/environment/vars")) {
            String name = v.asText().substring(0, v.asText().indexOf('='));
            assertThat(v.asText().substring(name.length() + 1)).as(v.asText()).matches(REFERENCE);
            assertThat(values).as("the value of %s", name).containsKey(name);
            environment.put(name, values.get(name));
        }
        return environment;
    }

    /**
     * The properties of the HTTP server platform-http endpoints are served by, on the port: on Camel K, the
     * runtime's own server (port 8080 of the pod); here camel-platform-http-main's.
     */
    static Map<String, String> httpServer(int port) {
        return Map.of("camel.server.enabled", "true", "camel.server.host", "127.0.0.1",
                "camel.server.port", String.valueOf(port));
    }

    /** A started Camel Main running the routes of the YAML files, with the properties. */
    static Main start(Map<String, String> properties, List<Path> routeFiles) throws Exception {
        Main main = new Main();
        main.configure().withRoutesIncludePattern(String.join(",",
                routeFiles.stream().map(f -> "file:" + f.toAbsolutePath()).toList()));
        properties.forEach(main::addInitialProperty);
        main.start();
        return main;
    }

    /**
     * The flow Camel K's operator (2.6 and later) puts before a Pipe's route for the Pipe's {@code spec.errorHandler},
     * as YAML: for a {@code sink}, a {@code deadLetterChannel} to the sink's endpoint ({@code uri}; a Kamelet
     * {@code ref} is not needed here). Its {@code parameters} become the channel's redelivery policy, as the operators
     * before 2.6 applied them (to a {@code DeadLetterChannelBuilder} bean); 2.6 and later leave them out, so there the
     * first failure sends the message.
     */
    static String errorHandlerFlow(JsonNode errorHandler) {
        JsonNode sink = errorHandler.path("sink");
        assertThat(sink.at("/endpoint/uri").asText()).as("the dead-letter endpoint of %s", errorHandler).isNotEmpty();
        Map<String, Object> channel = new LinkedHashMap<>();
        channel.put("deadLetterUri", sink.at("/endpoint/uri").asText());
        if (sink.has("parameters")) {
            channel.put("redeliveryPolicy", Examples.JSON.convertValue(sink.path("parameters"), Map.class));
        }
        return new Dump(DumpSettings.builder().build())
                .dumpToString(List.of(Map.of("errorHandler", Map.of("deadLetterChannel", channel))));
    }

    /**
     * The flows Camel K (2.6 and later) makes of an exported Pipe, as a routes file: the error handler of its
     * {@code errorHandler} ({@link #errorHandlerFlow}), then its one route, {@code binding}, from its source to its
     * sink, and no route of the workflow. A Kafka consumer with the source's bootstrap servers, group and offset
     * reset, on {@code topic} (a test's own), stands in for the Apache {@code kafka-source} Kamelet the Pipe names, which
     * is of a newer catalog than this Camel: its {@code saslAuthType} option is not in camel-kafka 4.17.
     */
    static Path pipeRoutes(JsonNode pipe, String topic, Path file) throws IOException {
        JsonNode source = pipe.at("/spec/source/properties");
        assertThat(pipe.at("/spec/source/ref/name").asText()).isEqualTo("kafka-source");
        assertThat(pipe.at("/spec/sink/ref/name").asText()).isEqualTo("caravan-run-action");
        assertThat(pipe.at("/spec/integration").isMissingNode())
                .as("Camel K 2.6 and later ignore a Pipe's spec.integration: the Pipe carries none").isTrue();
        Files.writeString(file, errorHandlerFlow(pipe.at("/spec/errorHandler")) + """
                - route:
                    id: binding
                    from:
                      uri: kafka:%s
                      parameters:
                        brokers: "%s"
                        groupId: "%s"
                        autoOffsetReset: "%s"
                      steps:
                        - to: kamelet:caravan-run-action/sink
                """.formatted(topic, source.path("bootstrapServers").asText(), source.path("consumerGroup").asText(),
                source.path("autoOffsetReset").asText()));
        return file;
    }

    /**
     * The properties Camel K binds a Pipe's sink Kamelet with ({@code camel.kamelet.<kamelet>.sink.<property>}), and
     * where the Kamelets are found: {@code kamelets/} (on Camel K, the cluster's Kamelet resources).
     */
    static Map<String, String> pipeSinkProperties(JsonNode pipe) {
        Map<String, String> properties = new LinkedHashMap<>();
        String kamelet = pipe.at("/spec/sink/ref/name").asText();
        pipe.at("/spec/sink/properties").fields().forEachRemaining(p -> properties.put(
                "camel.kamelet." + kamelet + ".sink." + p.getKey(), p.getValue().asText()));
        properties.put("camel.component.kamelet.location", "file:" + KAMELETS.toAbsolutePath().normalize());
        return properties;
    }

    /** Writes flows (a YAML list of routes) as a routes file, as Camel K does with spec.flows. */
    static Path flowsFile(JsonNode flows, Path file) throws IOException {
        Object list = Examples.JSON.convertValue(flows, List.class);
        Files.writeString(file, new Dump(DumpSettings.builder().build()).dumpToString(list));
        return file;
    }
}
