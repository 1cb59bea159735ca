package dev.caravan.dsl;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * One workflow file read as YAML: its tree within the load limits, where each value is ({@code file:line:column}),
 * values as plain Java, and the problems found so far. Not thread-safe; one instance per load.
 */
final class YamlFile {

    private static final Pattern INT = Pattern.compile("[-+]?[0-9]+");

    private final String file;
    private final String content;
    private final LoadLimits limits;
    private final SourcePositions positions;
    private final List<Problem> problems = new ArrayList<>();

    YamlFile(String file, String content, LoadLimits limits) {
        this.file = file;
        this.content = content == null ? "" : content;
        this.limits = limits;
        this.positions = new SourcePositions(file, this.content);
    }

    String name() {
        return file;
    }

    String content() {
        return content;
    }

    LoadLimits limits() {
        return limits;
    }

    /** Every problem so far, in file order. */
    List<Problem> problems() {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt((Problem p) -> p.position().line())
                .thenComparingInt(p -> p.position().column()));
        return List.copyOf(sorted);
    }

    // ------------------------------------------------------------------ composing

    /** The file's YAML tree, or null (with a problem) when it is not YAML or goes past a limit. */
    Node compose() {
        long bytes = utf8Bytes(content, limits.fileBytes());
        if (bytes > limits.fileBytes()) {
            problems.add(fileTooLarge(file, limits));
            return null;
        }
        Node root;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(file).setSchema(new CoreSchema())
                    .setAllowRecursiveKeys(false)
                    // counted by this class: SnakeYAML's own refusal does not say where or how to raise the limit
                    .setMaxAliasesForCollections(Integer.MAX_VALUE)
                    .setCodePointLimit(Integer.MAX_VALUE)
                    // SnakeYAML Engine 2.10 fails with IndexOutOfBoundsException when a surrogate pair (an emoji)
                    // straddles the end of its read buffer: a buffer larger than the text is never refilled
                    .setBufferSize(content.length() + 1).build();
            root = new DepthLimitedComposer(settings, content, limits.depth()).getSingleNode().orElse(null);
        } catch (DepthLimitedComposer.TooDeepException e) {
            problems.add(new Problem(position(e.mark()), "mappings and lists nest more than " + limits.depth()
                    + " levels deep here, " + LoadLimits.refusal("depth")));
            return null;
        } catch (MarkedYamlEngineException e) {
            Optional<Mark> mark = e.getProblemMark().isPresent() ? e.getProblemMark() : e.getContextMark();
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            problems.add(new Problem(position(mark), "invalid YAML: " + e.getProblem() + context));
            return null;
        } catch (YamlEngineException e) {
            problems.add(new Problem(new Position(file, 1, 1), "invalid YAML: " + e.getMessage()));
            return null;
        }
        if (root == null) {
            problems.add(new Problem(new Position(file, 1, 1),
                    "expected a workflow (a mapping with apiVersion, kind, metadata and spec), found an empty file"));
            return null;
        }
        // an alias is written '*name': a file without '*' has none, and nothing to expand
        if (content.indexOf('*') >= 0 && !withinAliasLimits(root)) {
            return null;
        }
        return root;
    }

    static Problem fileTooLarge(String file, LoadLimits limits) {
        return new Problem(new Position(file, 1, 1), "the file has more than " + limits.fileBytes()
                + " bytes, " + LoadLimits.refusal("file-bytes"));
    }

    /**
     * The UTF-8 size of the text, exact up to {@code limit + 1}: a char is one to three bytes (a surrogate pair four),
     * so the text is counted only when its length alone does not decide.
     */
    private static long utf8Bytes(String text, int limit) {
        if (text.length() > limit) {
            return text.length();
        }
        if ((long) text.length() * 3 <= limit) {
            return text.length();
        }
        long bytes = 0;
        for (int i = 0; i < text.length() && bytes <= limit; i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

    /**
     * Refuses a tree with more aliases of mappings and lists, or more values once those are expanded, than the
     * limits: an alias is cheap to write and costly to expand (nine levels of ten aliases are a billion values).
     */
    private boolean withinAliasLimits(Node root) {
        AliasExpansion expansion = new AliasExpansion();
        long values = expansion.values(root);
        if (expansion.aliases() > limits.aliases()) {
            error(expansion.firstAlias(), "the file uses more than " + limits.aliases() + " aliases of mappings and "
                    + "lists, " + LoadLimits.refusal("aliases"));
            return false;
        }
        if (expansion.recursive() != null) {
            error(expansion.recursive(), "an alias refers to the mapping or list that holds it, so its value never "
                    + "ends");
            return false;
        }
        if (values > limits.values()) {
            error(expansion.firstAlias(), "the file holds more than " + limits.values() + " values once its aliases "
                    + "are expanded, " + LoadLimits.refusal("values"));
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ YAML → Java

    /** Plain Java as Jackson would produce it: LinkedHashMap, ArrayList, String, Integer/Long, Double, Boolean, null. */
    Object java(Node n, int depth) {
        if (depth > limits.depth()) {
            error(n, "values nest more than " + limits.depth() + " levels deep here once aliases are expanded, "
                    + LoadLimits.refusal("depth"));
            return null;
        }
        if (n instanceof ScalarNode s) {
            return scalar(s);
        }
        if (n instanceof SequenceNode seq) {
            List<Object> out = new ArrayList<>();
            for (Node item : seq.getValue()) {
                out.add(java(item, depth + 1));
            }
            return out;
        }
        if (n instanceof MappingNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            Map<String, Node> seen = new HashMap<>();
            for (NodeTuple t : m.getValue()) {
                String k = key(t.getKeyNode(), "a mapping", seen);
                if (k != null) {
                    out.put(k, java(t.getValueNode(), depth + 1));
                }
            }
            return out;
        }
        return null;
    }

    private Object scalar(ScalarNode s) {
        Tag tag = s.getTag();
        String v = s.getValue();
        if (tag.equals(Tag.NULL)) {
            return null;
        }
        if (tag.equals(Tag.BOOL)) {
            return Boolean.valueOf(v.toLowerCase(Locale.ROOT));
        }
        if (tag.equals(Tag.INT)) {
            BigInteger bi;
            if (INT.matcher(v).matches()) {
                bi = new BigInteger(v);
            } else if (v.startsWith("0o")) {
                bi = new BigInteger(v.substring(2), 8);
            } else if (v.startsWith("0x")) {
                bi = new BigInteger(v.substring(2), 16);
            } else {
                return v;
            }
            if (bi.bitLength() < 32) {
                return bi.intValue();
            }
            return bi.bitLength() < 64 ? (Object) bi.longValue() : (Object) bi;
        }
        if (tag.equals(Tag.FLOAT)) {
            String lower = v.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".inf")) {
                return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (lower.equals(".nan")) {
                return Double.NaN;
            }
            return Double.valueOf(v);
        }
        if (!tag.equals(Tag.STR)) {
            error(s, "expected a plain YAML value, found the tag " + tag.getValue());
        }
        return v;
    }

    /** A mapping key as a string, or null (with a problem) when it is not one or was seen before in {@code where}. */
    String key(Node k, String where, Map<String, Node> seen) {
        if (!(k instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            error(k, "expected a key in " + where + " to be a string, found " + describe(k));
            return null;
        }
        String key = s.getValue();
        Node first = seen.putIfAbsent(key, k);
        if (first != null) {
            error(k, "duplicate key '" + key + "' in " + where + ": also defined at " + position(first));
            return null;
        }
        return key;
    }

    /** The value of the first entry of a mapping whose key is {@code key}, unchecked; null when there is none. */
    static Node valueOf(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }

    static boolean isString(Node n) {
        return n instanceof ScalarNode s && s.getTag().equals(Tag.STR);
    }

    static String describe(Node n) {
        if (n == null) {
            return "nothing";
        }
        if (n instanceof MappingNode) {
            return "a mapping";
        }
        if (n instanceof SequenceNode) {
            return "a list";
        }
        ScalarNode s = (ScalarNode) n;
        Tag tag = s.getTag();
        String v = s.getValue();
        if (tag.equals(Tag.NULL)) {
            return v.isEmpty() || v.equals("~") ? "nothing" : "null";
        }
        if (tag.equals(Tag.BOOL)) {
            return "the boolean " + v;
        }
        if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT)) {
            return "the number " + v;
        }
        String shown = v.length() > 60 ? v.substring(0, 57) + "..." : v;
        return "the string '" + shown.replace("\n", "\\n") + "'";
    }

    // ------------------------------------------------------------------ positions and problems

    /** A problem where {@code n} starts (the start of the file when there is no value). */
    void error(Node n, String message) {
        problems.add(new Problem(n == null ? new Position(file, 1, 1) : position(n), message));
    }

    void problem(Position position, String message) {
        problems.add(new Problem(position, message));
    }

    Position position(Node n) {
        return positions.of(n.getStartMark());
    }

    private Position position(Optional<Mark> mark) {
        return positions.of(mark);
    }

    /** The position of character {@code offset} of a scalar's value (see {@link SourcePositions#at}). */
    Position at(ScalarNode s, int offset) {
        return positions.at(s, offset);
    }
}
