package dev.caravan.dsl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.caravan.expr.Expressions;

/**
 * Loads {@code apiVersion: caravan.dev/v1, kind: Workflow} files into a {@link Workflow}, checking everything that can
 * be checked before a run starts: structure, types, durations, the node graph, every {@code ${{ }}} expression, node
 * references, tools and JSON Schemas. All problems of a file are reported at once, each naming
 * {@code file:line:column}, what was expected and what was found. Thread-safe.
 */
public final class WorkflowLoader {

    public static final String API_VERSION = "caravan.dev/v1";
    public static final String KIND = "Workflow";

    private final Expressions expressions;
    private final JsonSchemas metaSchemas = new JsonSchemas();

    public WorkflowLoader() {
        this(new Expressions());
    }

    /** Uses the engine's expression compiler (so compiled programs are shared). */
    public WorkflowLoader(Expressions expressions) {
        this.expressions = expressions;
    }

    /**
     * Loads a workflow file.
     *
     * @throws InvalidWorkflowException listing every problem of the file
     * @throws UncheckedIOException     when the file cannot be read
     */
    public Workflow load(Path file) {
        return load(file.toString(), read(file));
    }

    /**
     * Loads workflow content; {@code fileName} is used in positions and messages.
     *
     * @throws InvalidWorkflowException listing every problem of the content
     */
    public Workflow load(String fileName, String content) {
        WorkflowParser parser = new WorkflowParser(fileName, content, expressions, metaSchemas);
        Workflow workflow = parser.parse();
        if (!parser.problems().isEmpty()) {
            throw new InvalidWorkflowException(parser.problems());
        }
        return workflow;
    }

    /** Every problem of a workflow file, in file order; empty when it loads. */
    public List<Problem> validate(Path file) {
        return validate(file.toString(), read(file));
    }

    /** Every problem of workflow content, in file order; empty when it loads. */
    public List<Problem> validate(String fileName, String content) {
        WorkflowParser parser = new WorkflowParser(fileName, content, expressions, metaSchemas);
        parser.parse();
        return parser.problems();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read workflow file " + file + ": " + e.getMessage(), e);
        }
    }
}
