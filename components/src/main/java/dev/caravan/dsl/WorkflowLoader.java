package dev.caravan.dsl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;

import dev.caravan.expr.Expressions;
import dev.caravan.llm.provider.ChatModelFactory;

/**
 * Loads {@code apiVersion: caravan.dev/v1, kind: Workflow} files into a {@link Workflow}, checking everything that can
 * be checked before a run starts: structure, types, durations, the node graph, every {@code ${{ }}} expression, node
 * references, tools and JSON Schemas. All problems of a file are reported at once, each naming
 * {@code file:line:column}, what was expected and what was found. What a node of each kind holds is read by that
 * kind's {@link NodeKind}. Thread-safe.
 */
public final class WorkflowLoader {

    public static final String API_VERSION = "caravan.dev/v1";
    public static final String KIND = "Workflow";

    private final Expressions expressions;
    private final LoadLimits limits;
    private final JsonSchemas metaSchemas = new JsonSchemas();
    private final Supplier<Set<String>> modelProviders;
    private final Supplier<NodeKinds> kinds;

    /**
     * Model providers are the installed ones ({@link ChatModelFactory#installedProviders}), node kinds the installed
     * ones ({@link NodeKinds#installed}).
     */
    public WorkflowLoader() {
        this(new Expressions(), LoadLimits.DEFAULTS);
    }

    public WorkflowLoader(LoadLimits limits) {
        this(new Expressions(), limits);
    }

    /** Uses the engine's expression compiler (so compiled programs are shared). */
    public WorkflowLoader(Expressions expressions, LoadLimits limits) {
        this(expressions, limits, installedProviders());
    }

    /**
     * The providers installed for the thread's class loader, which may have gained jars (caravan run --dep): found
     * once per class loader, since finding them scans the class path.
     */
    private static Supplier<Set<String>> installedProviders() {
        Map<ClassLoader, Set<String>> found = Collections.synchronizedMap(new WeakHashMap<>());
        return () -> {
            ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
            return classLoader == null ? ChatModelFactory.installedProviders(null)
                    : found.computeIfAbsent(classLoader, ChatModelFactory::installedProviders);
        };
    }

    /**
     * Uses the engine's expression compiler, and {@code modelProviders} for the providers a model reference may name
     * (asked at each load: an engine's come from its Camel registry too).
     */
    public WorkflowLoader(Expressions expressions, LoadLimits limits, Supplier<Set<String>> modelProviders) {
        this(expressions, limits, modelProviders, NodeKinds.installedPerClassLoader());
    }

    /** As {@link #WorkflowLoader(Expressions, LoadLimits, Supplier)}, reading the node kinds {@code kinds} gives. */
    public WorkflowLoader(Expressions expressions, LoadLimits limits, Supplier<Set<String>> modelProviders,
            Supplier<NodeKinds> kinds) {
        this.expressions = expressions;
        this.limits = limits;
        this.modelProviders = modelProviders;
        this.kinds = kinds;
    }

    /**
     * Loads a workflow file.
     *
     * @throws InvalidWorkflowException listing every problem of the file
     * @throws UncheckedIOException     when the file cannot be read
     */
    public Workflow load(Path file) {
        return load(file.toString(), file);
    }

    /**
     * Loads a workflow file named {@code fileName} in positions and messages (a file over the size limit is refused
     * before it is read).
     *
     * @throws InvalidWorkflowException listing every problem of the file
     * @throws UncheckedIOException     when the file cannot be read
     */
    public Workflow load(String fileName, Path file) {
        Source source = read(fileName, file);
        if (!source.problems().isEmpty()) {
            throw new InvalidWorkflowException(source.problems());
        }
        return load(fileName, source.text());
    }

    /**
     * Loads workflow content; {@code fileName} is used in positions and messages.
     *
     * @throws InvalidWorkflowException listing every problem of the content
     */
    public Workflow load(String fileName, String content) {
        WorkflowParser parser = parser(fileName, content);
        Workflow workflow = parser.parse();
        if (!parser.problems().isEmpty()) {
            throw new InvalidWorkflowException(parser.problems());
        }
        return workflow;
    }

    /** Every problem of a workflow file, in file order; empty when it loads. */
    public List<Problem> validate(Path file) {
        return validate(file.toString(), file);
    }

    /**
     * Every problem of a workflow file named {@code fileName} in positions and messages, in file order; empty when
     * it loads.
     *
     * @throws UncheckedIOException when the file cannot be read
     */
    public List<Problem> validate(String fileName, Path file) {
        Source source = read(fileName, file);
        return source.problems().isEmpty() ? validate(fileName, source.text()) : source.problems();
    }

    /** Every problem of workflow content, in file order; empty when it loads. */
    public List<Problem> validate(String fileName, String content) {
        WorkflowParser parser = parser(fileName, content);
        parser.parse();
        return parser.problems();
    }

    private WorkflowParser parser(String fileName, String content) {
        return new WorkflowParser(fileName, content, expressions, metaSchemas, limits, kinds.get(), modelProviders);
    }

    /** The expressions this loader checks with: an engine given the same compiles each expression once. */
    public Expressions expressions() {
        return expressions;
    }

    /** A file's text, or why it is not a workflow file without parsing it. */
    private record Source(String text, List<Problem> problems) {
    }

    /** A file over the size limit is refused before it is read; one that is not UTF-8 as it is read. */
    private Source read(String fileName, Path file) {
        try {
            if (Files.size(file) > limits.fileBytes()) {
                return new Source(null, List.of(YamlFile.fileTooLarge(fileName, limits)));
            }
            return new Source(Files.readString(file, StandardCharsets.UTF_8), List.of());
        } catch (CharacterCodingException e) {
            return new Source(null, List.of(new Problem(new Position(fileName, 1, 1),
                    "expected YAML text in UTF-8, found bytes that are not UTF-8 (a binary file?)")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read workflow file " + file + ": " + e.getMessage(), e);
        }
    }
}
