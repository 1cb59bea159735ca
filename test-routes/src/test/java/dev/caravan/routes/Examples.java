package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The example workflows of routes/examples, with the inputs they are run with in these tests. */
final class Examples {

    static final Path FOLDER = Path.of("../routes/examples");

    static final ObjectMapper JSON = new ObjectMapper();

    /** Example name to its input. Every {@code *.caravan.yaml} of the folder must have one. */
    static final Map<String, Map<String, Object>> INPUTS = Map.of(
            "hello", Map.of("name", "Ada"),
            "diamond", Map.of("ticket", "t"),
            "gate", Map.of("to", "bob"),
            "map", Map.of("docs", List.of("a", "b", "c", "d", "e")),
            "loop", Map.of("topic", "x"),
            "tools", Map.of("question", "refunds?"),
            "subflow", Map.of("ticket", "urgent: help"),
            "summarize-ticket", Map.of("ticket", "x"));

    private Examples() {
    }

    /** Names of all {@code *.caravan.yaml} files of the examples folder, sorted. */
    static List<String> names() {
        try (Stream<Path> files = Files.list(FOLDER)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".caravan.yaml"))
                    .map(n -> n.substring(0, n.length() - ".caravan.yaml".length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path file(String name) {
        return FOLDER.resolve(name + ".caravan.yaml");
    }

    static Map<String, Object> input(String name) {
        Map<String, Object> input = INPUTS.get(name);
        if (input == null) {
            throw new AssertionError("No test input for example " + name + ": add one to Examples.INPUTS");
        }
        return input;
    }

    /** A JSON tree of a value, so that Integer and Long (and map implementations) compare equal. */
    static JsonNode tree(Object value) {
        try {
            // through text: IntNode(1) and LongNode(1) are not equal, their JSON is
            return JSON.readTree(JSON.writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
