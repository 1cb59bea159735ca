package dev.caravan.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.ImageTar.Entry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server image as {@code -Pimage-offline} builds it ({@code jib:buildTar} to {@code target/jib-image.tar}): what
 * {@code k8s/base/statefulset.yaml} relies on (entrypoint {@code caravan serve}, user 10001, ports, heap sized from
 * the container's memory) and that the layers hold the app jar and every runtime dependency. Disabled without the
 * profile, which is what sets {@code caravan.image.tar}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIfSystemProperty(named = "caravan.image.tar", matches = ".+", disabledReason = "the image is built only with "
        + "-Pimage-offline (./mvnw -Pimage-offline -pl app -am verify)")
class ImageLayoutIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path tar;
    private ImageTar image;
    private JsonNode manifest;
    private JsonNode config;

    @BeforeAll
    void readImage() throws IOException {
        tar = Path.of(System.getProperty("caravan.image.tar"));
        assertThat(tar).as("jib:buildTar ran in package").isRegularFile();
        image = ImageTar.read(tar);
        manifest = JSON.readTree(image.files().get("manifest.json")).get(0);
        config = JSON.readTree(image.files().get(manifest.get("Config").asText())).get("config");
    }

    @Test
    void entrypointIsCaravanServeOnTheImagesClassPath() {
        List<String> entrypoint = strings(config.get("Entrypoint"));

        assertThat(entrypoint).startsWith("java")
                .endsWith("-cp", "@/app/jib-classpath-file", "dev.caravan.app.CaravanCli", "serve");
        // the same module openings as the tests and the caravan script run Hazelcast with
        List<String> hazelcast = Arrays.asList(System.getProperty("hazelcast.jvm.args").trim().split("\\s+"));
        assertThat(entrypoint).containsSubsequence(hazelcast)
                .contains("-Dhazelcast.logging.type=slf4j", "-Dcamel.threads.virtual.enabled=true");
        // no CMD: a pod's args and docker run's arguments are serve's options
        assertThat(config.path("Cmd").isMissingNode() || config.path("Cmd").isNull()).as("Cmd").isTrue();
    }

    @Test
    void heapFollowsTheContainersMemoryAndAPodCanChangeIt() {
        assertThat(strings(config.get("Env")))
                .contains("JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=70.0 -XX:+ExitOnOutOfMemoryError "
                        + "-Djava.io.tmpdir=/tmp");
        // a flag on the command line would beat the JAVA_TOOL_OPTIONS a pod sets
        assertThat(strings(config.get("Entrypoint"))).noneMatch(arg -> arg.contains("RAMPercentage"));
    }

    @Test
    void runsAsTheNonRootUserOfTheStatefulSetInItsDataDirectory() {
        assertThat(config.get("User").asText()).isEqualTo("10001:10001");
        assertThat(config.get("WorkingDir").asText()).isEqualTo("/var/lib/caravan");
        // Jib makes every file root's; the data directory is writable by 10001 where no volume is mounted over it
        assertThat(entries()).filteredOn(e -> e.name().equals("var/lib/caravan/"))
                .singleElement().satisfies(dir -> {
                    assertThat(dir.directory()).isTrue();
                    assertThat(dir.mode() & 0777).isEqualTo(0777);
                });
    }

    @Test
    void exposesTheHttpAndHazelcastPorts() {
        Set<String> ports = new TreeSet<>();
        config.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);

        assertThat(ports).containsExactly("5701/tcp", "8080/tcp");
    }

    @Test
    void carriesOpenContainersLabels() throws IOException {
        JsonNode labels = config.get("Labels");

        assertThat(labels.get("org.opencontainers.image.title").asText()).isEqualTo("caravan-server");
        assertThat(labels.get("org.opencontainers.image.version").asText()).isEqualTo(projectVersion());
        assertThat(labels.get("org.opencontainers.image.description").asText()).startsWith("Caravan server");
        assertThat(labels.has("org.opencontainers.image.base.name")).isTrue();
    }

    @Test
    void layersHoldTheAppJarAndExactlyTheRuntimeDependencies() throws IOException {
        Set<String> files = entries().stream().filter(e -> !e.directory()).map(Entry::name)
                .collect(Collectors.toCollection(TreeSet::new));
        // the runtime class path, as the app jar's manifest names it (target/lib may hold jars of earlier builds)
        Set<String> runtime;
        try (JarFile appJar = new JarFile(tar.resolveSibling("caravan-app-" + projectVersion() + ".jar").toFile())) {
            runtime = Arrays.stream(appJar.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH)
                            .split(" ")).filter(entry -> !entry.isBlank())
                    .map(entry -> "app/libs/" + entry.substring(entry.lastIndexOf('/') + 1))
                    .collect(Collectors.toCollection(TreeSet::new));
        }

        assertThat(strings(manifest.get("Layers"))).containsExactlyElementsOf(image.layers().keySet());
        assertThat(files).contains("app/classpath/caravan-app-" + projectVersion() + ".jar",
                "app/jib-classpath-file");
        assertThat(files.stream().filter(f -> f.startsWith("app/libs/"))).containsExactlyInAnyOrderElementsOf(runtime);
        assertThat(runtime).anyMatch(jar -> jar.contains("/caravan-components-"))
                .anyMatch(jar -> jar.contains("/hazelcast-")).anyMatch(jar -> jar.contains("/camel-main-"));
    }

    @Test
    void fileTimesAndCreationTimeAreFixed() throws IOException {
        JsonNode whole = JSON.readTree(image.files().get("config.json"));

        assertThat(whole.get("created").asText()).isEqualTo("1970-01-01T00:00:00Z");
        // Jib's default file time, 1970-01-01T00:00:01Z: the layers do not depend on when the jars were built
        assertThat(entries()).extracting(Entry::mtime).containsOnly(1L);
    }

    @Test
    void agreesWithTheStatefulSetThatRunsIt() throws IOException {
        String statefulSet = Files.readString(Path.of("../k8s/base/statefulset.yaml"));
        String[] user = config.get("User").asText().split(":");
        String toolOptions = strings(config.get("Env")).stream().filter(e -> e.startsWith("JAVA_TOOL_OPTIONS="))
                .findFirst().orElseThrow().substring("JAVA_TOOL_OPTIONS=".length());

        assertThat(statefulSet).contains("runAsUser: " + user[0], "runAsGroup: " + user[1],
                "containerPort: 8080", "containerPort: 5701", "value: " + toolOptions);
        // the pod passes only serve's options: the entrypoint already says `serve`
        Matcher args = Pattern.compile("\\n( +)args:\\n((?:\\1  - .*\\n)+)").matcher(statefulSet);
        assertThat(args.find()).as("args of the server container").isTrue();
        assertThat(args.group(2).lines().map(String::strip)).isNotEmpty().allMatch(arg -> arg.startsWith("- --"));
    }

    private List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        image.layers().values().forEach(all::addAll);
        return all;
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static String projectVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = ImageLayoutIT.class.getResourceAsStream("/dev/caravan/app/version.properties")) {
            p.load(in);
        }
        return p.getProperty("version");
    }
}
