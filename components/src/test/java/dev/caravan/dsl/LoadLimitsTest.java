package dev.caravan.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile or broken files are refused with one line naming the limit and its property, never a hang or a crash. */
class LoadLimitsTest {

    private static final String HEAD = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata: { name: t }
            spec:
              nodes:
            """;

    private final WorkflowLoader loader = new WorkflowLoader();

    private static List<String> problems(WorkflowLoader loader, String content) {
        return loader.validate("t.yaml", content).stream().map(Problem::toString).toList();
    }

    /** Nine levels of ten aliases each: a billion values once expanded. */
    private static String billionLaughs() {
        StringBuilder yaml = new StringBuilder(HEAD).append("    - id: a\n      set:\n");
        yaml.append("        l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level < 9; level++) {
            yaml.append("        l").append(level).append(": &l").append(level).append(" [");
            for (int i = 0; i < 10; i++) {
                yaml.append(i == 0 ? "" : ", ").append("*l").append(level - 1);
            }
            yaml.append("]\n");
        }
        return yaml.toString();
    }

    @Test
    void refusesAnAliasBombWithoutExpandingIt() {
        assertThat(problems(loader, billionLaughs())).containsExactly("t.yaml:8:13: the file holds more than "
                + "1000000 values once its aliases are expanded, the limit for a workflow file; raise it with the "
                + "property caravan.limits.values");
    }

    @Test
    void refusesMoreAliasesThanTheLimit() {
        StringBuilder yaml = new StringBuilder(HEAD).append("    - id: a\n      set:\n        base: &b [1]\n");
        for (int i = 0; i < 101; i++) {
            yaml.append("        v").append(i).append(": *b\n");
        }
        assertThat(problems(loader, yaml.toString())).containsExactly("t.yaml:8:15: the file uses more than 100 "
                + "aliases of mappings and lists, the limit for a workflow file; raise it with the property "
                + "caravan.limits.aliases");
    }

    @Test
    void acceptsAFewAliasesOfSharedBlocks() {
        String yaml = HEAD + """
                    - id: a
                      retry: &retry { maxAttempts: 2 }
                      set: { v: 1 }
                    - id: b
                      retry: *retry
                      set: { v: 2 }
                """;
        assertThat(problems(loader, yaml)).isEmpty();
    }

    @Test
    void refusesARecursiveAlias() {
        String yaml = HEAD + "    - id: a\n      set:\n        v: &loop [1, *loop]\n";
        assertThat(problems(loader, yaml)).containsExactly("t.yaml:8:12: an alias refers to the mapping or list that "
                + "holds it, so its value never ends");
    }

    @Test
    void refusesNestingDeeperThanTheLimitInsteadOfOverflowingTheStack() {
        String yaml = HEAD + "    - id: a\n      set: { v: " + "[".repeat(3000) + "]".repeat(3000) + " }\n";
        assertThat(problems(loader, yaml)).containsExactly("t.yaml:7:76: mappings and lists nest more than 64 levels "
                + "deep here, the limit for a workflow file; raise it with the property caravan.limits.depth");
    }

    @Test
    void refusesNestingDeeperThanTheLimitInBlockStyle() {
        StringBuilder yaml = new StringBuilder(HEAD).append("    - id: a\n      set:\n");
        String indent = "        ";
        for (int i = 0; i < 100; i++) {
            yaml.append(indent).append("k:\n");
            indent += "  ";
        }
        yaml.append(indent).append("v\n");
        assertThat(problems(loader, yaml.toString())).singleElement().asString()
                .contains("nest more than 64 levels deep", "caravan.limits.depth");
    }

    @Test
    void refusesValuesNestedPastTheLimitThroughAliases() {
        // each anchored block stays within the depth limit; expanded into one another they go past it
        String nested = "{a: ".repeat(40) + "1" + "}".repeat(40);
        String yaml = HEAD + "    - id: a\n      set:\n        base: &deep " + nested + "\n        v: {b: "
                + "{c: ".repeat(30) + "*deep" + "}".repeat(30) + "}\n";
        assertThat(problems(loader, yaml)).singleElement().asString()
                .contains("values nest more than 64 levels deep here once aliases are expanded",
                        "caravan.limits.depth");
    }

    @Test
    void refusesAFileOverTheSizeLimitBeforeReadingIt(@TempDir Path dir) throws IOException {
        String yaml = HEAD + "    - id: a\n      set: { v: \"" + "x".repeat(5 * 1024 * 1024) + "\" }\n";
        Path file = dir.resolve("big.caravan.yaml");
        Files.writeString(file, yaml, StandardCharsets.UTF_8);

        String expected = "big.caravan.yaml:1:1: the file has more than 4194304 bytes, the limit for a workflow "
                + "file; raise it with the property caravan.limits.file-bytes";
        assertThat(loader.validate("big.caravan.yaml", file)).extracting(Problem::toString).containsExactly(expected);
        assertThat(loader.validate("big.caravan.yaml", yaml)).extracting(Problem::toString).containsExactly(expected);
        assertThatThrownBy(() -> loader.load("big.caravan.yaml", file)).isInstanceOf(InvalidWorkflowException.class)
                .hasMessageContaining("caravan.limits.file-bytes");
    }

    @Test
    void countsTheSizeLimitInBytesOfUtf8() {
        WorkflowLoader small = new WorkflowLoader(limits(Map.of("caravan.limits.file-bytes", "200")));
        String ascii = HEAD + "    - id: a\n      set: { v: \"" + "x".repeat(60) + "\" }\n";
        String accented = HEAD + "    - id: a\n      set: { v: \"" + "é".repeat(60) + "\" }\n";
        assertThat(ascii.length()).isEqualTo(accented.length());

        assertThat(problems(small, ascii)).isEmpty();
        assertThat(problems(small, accented)).singleElement().asString().contains("more than 200 bytes");
    }

    @Test
    void refusesMoreNodesThanTheLimitCountingThoseInsideMapsAndLoops() {
        WorkflowLoader few = new WorkflowLoader(limits(Map.of("caravan.limits.nodes", "3")));
        String yaml = HEAD + """
                    - id: a
                      set: { v: 1 }
                    - id: each
                      map:
                        items: [1, 2]
                        nodes:
                          - id: x
                            set: { v: 1 }
                          - id: y
                            set: { v: 2 }
                """;
        assertThat(problems(few, yaml)).containsExactly("t.yaml:14:13: the file has more than 3 nodes, the limit for "
                + "a workflow file; raise it with the property caravan.limits.nodes");
        assertThat(problems(new WorkflowLoader(limits(Map.of("caravan.limits.nodes", "4"))), yaml)).isEmpty();
    }

    @Test
    void refusesAnExpressionLongerThanTheLimitButNotALongPrompt() {
        WorkflowLoader shortOnes = new WorkflowLoader(limits(Map.of("caravan.limits.expression-chars", "20")));
        String longPrompt = HEAD + "    - id: a\n      set: { v: \"" + "words ".repeat(50)
                + "${{ input.name }}\" }\n";
        String longExpression = HEAD + "    - id: a\n      set: { v: \"${{ input.name + input.name + input.name }}\" }\n";

        assertThat(problems(shortOnes, longPrompt)).isEmpty();
        assertThat(problems(shortOnes, longExpression)).containsExactly("t.yaml:7:18: set of node 'a': an expression longer "
                + "than 20 characters, the limit for a workflow file; raise it with the property "
                + "caravan.limits.expression-chars");
    }

    @Test
    void refusesAFileThatIsNotUtf8(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("binary.caravan.yaml");
        Files.write(file, new byte[] { (byte) 0xC3, 0x28, 0x00, (byte) 0xFF });
        assertThat(loader.validate("binary.caravan.yaml", file)).extracting(Problem::toString).containsExactly(
                "binary.caravan.yaml:1:1: expected YAML text in UTF-8, found bytes that are not UTF-8 (a binary file?)");
    }

    @Test
    void limitsComeFromPropertiesAndNameTheOneThatIsWrong() {
        assertThat(LoadLimits.from(key -> Optional.empty())).isEqualTo(LoadLimits.DEFAULTS);
        assertThat(limits(Map.of("caravan.limits.nodes", "20_000")).nodes()).isEqualTo(20_000);
        assertThatThrownBy(() -> limits(Map.of("caravan.limits.depth", "deep")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("caravan.limits.depth must be a whole number, found 'deep'");
        assertThatThrownBy(() -> limits(Map.of("caravan.limits.depth", "5000")))
                .hasMessage("caravan.limits.depth must be at most 1000, found 5000");
        assertThatThrownBy(() -> limits(Map.of("caravan.limits.nodes", "0")))
                .hasMessage("caravan.limits.nodes must be at least 1, found 0");
    }

    @Test
    void loadsALongChainOfNodesEachReadingTheOneBefore() {
        StringBuilder yaml = new StringBuilder(HEAD).append("    - id: n0\n      set: { v: 1 }\n");
        for (int i = 1; i < 5000; i++) {
            yaml.append("    - id: n").append(i).append("\n      needs: [n").append(i - 1)
                    .append("]\n      set: { v: \"${{ nodes.n").append(i - 1).append(".output.v }}\" }\n");
        }
        Workflow wf = loader.load("t.yaml", yaml.toString());
        assertThat(wf.nodes()).hasSize(5000);
        // a node still reads only what it waits for
        assertThat(problems(loader, yaml + "    - id: last\n      needs: [n1]\n      set: { v: \"${{ nodes.n3.output.v }}\" }\n"))
                .singleElement().asString().contains("node 'n3' is not upstream of 'last'");
    }

    private static LoadLimits limits(Map<String, String> properties) {
        return LoadLimits.from(key -> Optional.ofNullable(properties.get(key)));
    }
}
