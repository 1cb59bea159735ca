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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Camel K makes of an exported Integration's (or Pipe's) traits, done in this JVM: the ConfigMap the mount trait
 * names written into a folder, the camel trait's properties and the environment trait's variables as Camel
 * properties, the flows as a YAML routes file, all given to a plain Camel Main. Kubernetes discovery is left out (it
 * needs a cluster): the engine runs one embedded Hazelcast member.
 */
final class CamelKRuntime {

    static final String MOUNT_PATH = "/etc/caravan/workflows";
    /** The Camel property each environment variable of an export stands for (Camel reads it from there). */
    private static final Map<String, String> ENVIRONMENT = Map.of(
            "CARAVAN_KAFKA_BOOTSTRAP_SERVERS", "caravan.kafka.bootstrap-servers");

    private CamelKRuntime() {
    }

    /** The resource of a kind in an exported file. */
    static JsonNode resource(Path file, String kind) {
        return KubernetesSchemas.yamlDocuments(file).stream().filter(r -> r.path("kind").asText().equals(kind))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " in " + file));
    }

    /**
     * The Camel properties the traits give, the workflow ConfigMap written into {@code dir} where the mount trait
     * puts it.
     *
     * @param settings what the ConfigMap caravan-settings holds, by key
     */
    static Map<String, String> properties(JsonNode traits, JsonNode configMap, Path dir, Map<String, String> settings)
            throws IOException {
        String mount = traits.at("/mount/resources/0").asText();
        assertThat(mount).isEqualTo("configmap:" + configMap.at("/metadata/name").asText() + "@" + MOUNT_PATH);
        Path mounted = Files.createDirectories(dir.resolve("workflows"));
        for (Iterator<Map.Entry<String, JsonNode>> it = configMap.path("data").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Files.writeString(mounted.resolve(e.getKey()), e.getValue().asText());
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (JsonNode p : traits.at("/camel/properties")) {
            String key = p.asText().substring(0, p.asText().indexOf('='));
            String value = p.asText().substring(p.asText().indexOf('=') + 1);
            if (!key.startsWith("caravan.cluster.")) {
                properties.put(key, value.equals(MOUNT_PATH) ? mounted.toString() : value);
            }
        }
        for (JsonNode v : traits.at("/environment/vars")) {
            String name = v.asText().substring(0, v.asText().indexOf('='));
            assertThat(ENVIRONMENT).as("what the variable %s stands for", name).containsKey(name);
            assertThat(v.asText()).isEqualTo(name + "=configmap:caravan-settings/" + name);
            properties.put(ENVIRONMENT.get(name), settings.get(name));
        }
        return properties;
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

    /** Writes flows (a YAML list of routes) as a routes file, as Camel K does with spec.flows. */
    static Path flowsFile(JsonNode flows, Path file) throws IOException {
        Object list = Examples.JSON.convertValue(flows, List.class);
        Files.writeString(file, new Dump(DumpSettings.builder().build()).dumpToString(list));
        return file;
    }
}
