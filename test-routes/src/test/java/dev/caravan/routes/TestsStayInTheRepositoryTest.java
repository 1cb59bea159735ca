package dev.caravan.routes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every module's tests pass on a clean clone: none reads a fixture from outside the repository. CI runs with a
 * fixture folder beside the clone, so a test that reaches out there passes in CI and fails for everyone else.
 */
class TestsStayInTheRepositoryTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** The shared fixture folder beside the clone, or any path that climbs out of a module and out of the repository. */
    private static final Pattern OUTSIDE = Pattern.compile("\\.\\./shared|shared[/\\\\]fixtures|\"\\.\\./\\.\\./");

    @Test
    void noTestReadsFilesFromOutsideTheRepository() throws IOException {
        List<Path> scanned = testFiles();
        List<String> offences = new ArrayList<>();
        for (Path file : scanned) {
            offences.addAll(offences(ROOT.relativize(file).toString(), Files.readAllBytes(file)));
        }
        assertThat(scanned).as("the test trees of every module are scanned")
                .anyMatch(f -> f.endsWith(Path.of("llm-component/src/test/java/dev/caravan/llm/provider/ProviderStub.java")))
                .anyMatch(f -> f.startsWith(ROOT.resolve("components/src/test")))
                .anyMatch(f -> f.startsWith(ROOT.resolve("app/src/test")));
        assertThat(offences)
                .as("tests reading outside the repository: copy the file into the module's src/test/resources/fixtures"
                        + " and note its source in fixtures/SOURCES.md")
                .isEmpty();
    }

    @Test
    void flagsAPathThatClimbsOutOfTheRepository() {
        // built from parts so that this file does not flag itself
        String climbing = "Path.of(\"" + "../".repeat(2) + "elsewhere/llm/openai/reply.sse\")";
        String sharedFolder = "Path.of(\"" + ".." + "/shared/llm\")";
        String inside = "Path.of(\"src/test/resources/fixtures/llm/openai/reply.sse\") and Path.of(\"../routes/examples\")";

        assertThat(offences("Some.java", (inside + "\n" + climbing + "\n" + sharedFolder).getBytes(StandardCharsets.UTF_8)))
                .containsExactly("Some.java:2: " + climbing, "Some.java:3: " + sharedFolder);
    }

    /** Files under every module's {@code src/test}, except the notes that say where a fixture came from. */
    private static List<Path> testFiles() throws IOException {
        assertThat(ROOT.resolve("pom.xml")).as("the repository root").isRegularFile();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path testTree : modules.map(m -> m.resolve("src/test")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> walk = Files.walk(testTree)) {
                    walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().equals("SOURCES.md"))
                            .forEach(files::add);
                }
            }
        }
        return files;
    }

    private static List<String> offences(String name, byte[] content) {
        // ISO-8859-1 maps every byte, so binary fixtures cannot fail the decoding
        String[] lines = new String(content, StandardCharsets.ISO_8859_1).split("\n", -1);
        List<String> found = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (OUTSIDE.matcher(lines[i]).find()) {
                found.add(name + ":" + (i + 1) + ": " + lines[i].strip());
            }
        }
        return found;
    }
}
