package dev.caravan.app;

import dev.caravan.app.CaravanCliTest.Result;
import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKind;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** A node kind shipped in a jar given with --dep is a kind the CLI knows, as the engine running the file would. */
class DependencyKindsTest {
    /** {@code shout: { text: ... }}: listed only in the jar this test writes, so known only through --dep. */
    public static final class ShoutKind extends NodeKindSupport {
        public ShoutKind() {
            super("shout", "caravan-shout", List.of("text"));
        }

        @Override
        public NodeSpec parse(KindInput input) {
            Fields f = input.fields();
            return f == null ? null : new ShoutSpec(f.required("text").stringTemplate());
        }
    }

    record ShoutSpec(String text) implements NodeSpec {
        @Override
        public String kind() {
            return "shout";
        }
    }

    @Test
    void aKindFromADependencyJarIsKnownToValidate(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("loud.caravan.yaml");
        Files.writeString(file, """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: loud
                spec:
                  nodes:
                    - id: a
                      shout: { text: "hello" }
                """);
        Result without = run("validate", file.toString());
        assertThat(without.code()).isEqualTo(2);
        assertThat(without.err()).contains("shout");

        Path jar = dir.resolve("shout-kind.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            // the service entry only: the class itself is on the test class path already
            j.putNextEntry(new JarEntry("META-INF/services/" + NodeKind.class.getName()));
            j.write((ShoutKind.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
        Result with = run("validate", file.toString(), "--dep", jar.toString());
        assertThat(with.err()).doesNotContain("unknown").doesNotContain("expected one of");
        assertThat(with.code()).as(with.err()).isZero();
    }
}
