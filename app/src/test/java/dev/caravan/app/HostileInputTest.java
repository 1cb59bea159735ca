package dev.caravan.app;

import static dev.caravan.app.CaravanCliTest.HELLO;
import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.caravan.app.CaravanCliTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Broken and hostile files get one line per problem from every command that reads them: the file, the limit and
 * how to raise it; exit code 2 and never a stack trace.
 */
class HostileInputTest {

    private static final String HEAD = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata: { name: hostile }
            spec:
              nodes:
            """;

    @TempDir
    Path dir;

    /** Each hostile file and the property its refusal names. */
    private Map<String, String> hostileFiles() throws IOException {
        StringBuilder bomb = new StringBuilder(HEAD).append("    - id: a\n      set:\n");
        bomb.append("        l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level < 9; level++) {
            bomb.append("        l").append(level).append(": &l").append(level).append(" [")
                    .append(String.join(", ", Collections.nCopies(10, "*l" + (level - 1)))).append("]\n");
        }
        StringBuilder many = new StringBuilder(HEAD);
        for (int i = 0; i < 10_001; i++) {
            many.append("    - id: n").append(i).append("\n      set: { v: 1 }\n");
        }
        write("bomb.caravan.yaml", bomb.toString());
        write("deep.caravan.yaml", HEAD + "    - id: a\n      set: { v: " + "[".repeat(3000) + "]".repeat(3000) + " }\n");
        write("big.caravan.yaml", HEAD + "    - id: a\n      set: { v: \"" + "x".repeat(5_000_000) + "\" }\n");
        write("many.caravan.yaml", many.toString());
        write("expression.caravan.yaml", HEAD + "    - id: a\n      set: { v: \"${{ " + "1 + ".repeat(3000)
                + "1 }}\" }\n");
        return Map.of("bomb.caravan.yaml", "caravan.limits.values", "deep.caravan.yaml", "caravan.limits.depth",
                "big.caravan.yaml", "caravan.limits.file-bytes", "many.caravan.yaml", "caravan.limits.nodes",
                "expression.caravan.yaml", "caravan.limits.expression-chars");
    }

    @Test
    void everyCommandRefusesAFileOverALimitInOneLineNamingTheLimit() throws IOException {
        for (Map.Entry<String, String> hostile : hostileFiles().entrySet()) {
            String file = dir.resolve(hostile.getKey()).toString();
            for (List<String> command : List.of(List.of("validate", file), List.of("compile", file),
                    List.of("run", file))) {
                Result r = run(command.toArray(String[]::new));
                assertThat(r.code()).as(command + ": " + r.err()).isEqualTo(2);
                assertThat(r.err().lines().toList()).as(command.toString()).singleElement().asString()
                        .startsWith(file + ":").contains("the limit for a workflow file")
                        .endsWith("raise it with the property " + hostile.getValue());
                assertThat(r.out()).as(command.toString()).isEmpty();
            }
        }
    }

    @Test
    void aLimitIsRaisedWithAProperty() throws IOException {
        hostileFiles();
        String many = dir.resolve("many.caravan.yaml").toString();

        assertThat(run("validate", "-p", "caravan.limits.nodes=20000", many).code()).isZero();
        Result bad = run("validate", "-p", "caravan.limits.nodes=lots", many);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("caravan: caravan.limits.nodes must be a whole number, found 'lots'\n");
    }

    @Test
    void brokenFilesGetAnErrorNotAStackTrace() throws IOException {
        Files.write(dir.resolve("binary.caravan.yaml"), new byte[] { (byte) 0xC3, 0x28, 0x00, (byte) 0xFF, 0x01 });
        write("empty.caravan.yaml", "");
        write("list.caravan.yaml", "- a\n- b\n");
        write("tabs.caravan.yaml", HEAD + "\t- id: a\n");
        write("unterminated.caravan.yaml", HEAD + "    - id: a\n      set: { v: \"open\n");
        write("duplicate.caravan.yaml", HEAD + "    - id: a\n      id: b\n      set: { v: 1 }\n");
        write("recursive.caravan.yaml", HEAD + "    - id: a\n      set: { v: &r [1, *r] }\n");
        for (String name : List.of("binary", "empty", "list", "tabs", "unterminated", "duplicate", "recursive")) {
            String file = dir.resolve(name + ".caravan.yaml").toString();
            for (String command : List.of("validate", "compile", "run")) {
                Result r = run(command, file);
                assertThat(r.code()).as(command + " " + name + ": " + r.err()).isEqualTo(2);
                assertThat(r.err()).as(command + " " + name).isNotBlank().doesNotContain("\tat ")
                        .doesNotContain("Exception");
            }
        }
    }

    @Test
    void anInputOverTheLimitIsRefusedNamingTheProperty() {
        String input = "{\"name\": \"" + "x".repeat(2_000_000) + "\"}";
        Result r = run("run", HELLO, "--input", input);
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("the input is more than 1048576 bytes of JSON")
                .contains("caravan.runs.max-value-bytes").doesNotContain("\tat ");
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }
}
