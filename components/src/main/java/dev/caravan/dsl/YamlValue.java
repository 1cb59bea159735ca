package dev.caravan.dsl;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import dev.caravan.expr.Expressions;

/**
 * One value of a workflow file as a {@link NodeKind} reads it: where it is, how messages name it ({@code gate.timeout
 * of node 'a'}), and typed reads that report a problem at its {@code file:line:column} and return null when the value
 * is not what was asked. A value may be absent (a key that is not there): reads of it return null and report nothing,
 * so optional keys need no checks. Templates and conditions are checked against what the value's place sees.
 */
public final class YamlValue {

    private static final Pattern URI_SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:.*", Pattern.DOTALL);

    /** The file, checks and node graph of one load, shared by its values. */
    record Reading(YamlFile file, ExpressionChecks checks, NodeGraph graph) {
    }

    /** A key of a mapping whose keys are names (tools), with the value under it. */
    record Entry(String name, YamlValue key, YamlValue value) {
    }

    private final Reading reading;
    private final Node node;
    private final String what;
    private final Scope scope;

    YamlValue(Reading reading, Node node, String what, Scope scope) {
        this.reading = reading;
        this.node = node;
        this.what = what;
        this.scope = scope;
    }

    /** The root of a file, or null (with a problem) when it is not YAML or goes past a limit. */
    static YamlValue root(Reading reading, Scope scope) {
        Node root = reading.file().compose();
        return root == null ? null : new YamlValue(reading, root, "the workflow file", scope);
    }

    Node node() {
        return node;
    }

    Scope scope() {
        return scope;
    }

    Reading reading() {
        return reading;
    }

    /** The same value, its expressions seeing {@code scope}. */
    YamlValue in(Scope scope) {
        return new YamlValue(reading, node, what, scope);
    }

    /** Whether the value is there. */
    public boolean isPresent() {
        return node != null;
    }

    /** How messages name the value. */
    public String what() {
        return what;
    }

    /** The same value, named {@code what} in messages. */
    public YamlValue named(String what) {
        return new YamlValue(reading, node, what, scope);
    }

    /** The same value as the nodes of a map or loop body see it: their outputs and variables are in scope. */
    public YamlValue within(NodeList body) {
        return in(body.scope());
    }

    public boolean isMapping() {
        return node instanceof MappingNode;
    }

    public boolean isList() {
        return node instanceof SequenceNode;
    }

    /** A string, number, boolean or null. */
    public boolean isScalar() {
        return node instanceof ScalarNode;
    }

    public boolean isString() {
        return YamlFile.isString(node);
    }

    /** A whole or decimal number. */
    public boolean isNumber() {
        return node instanceof ScalarNode s && (s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT));
    }

    /** A scalar's text as written (a number's digits too); null for anything else. */
    public String text() {
        return node instanceof ScalarNode s ? s.getValue() : null;
    }

    /** The value as messages show what was found: {@code a mapping}, {@code the string 'x'}, {@code nothing}. */
    public String describe() {
        return YamlFile.describe(node);
    }

    /** Where the value starts (the start of the file for an absent one). */
    public Position position() {
        return node == null ? new Position(reading.file().name(), 1, 1) : reading.file().position(node);
    }

    /** Reports a problem where the value starts. */
    public void error(String message) {
        reading.file().error(node, message);
    }

    /** The items of a list, each named as the list; empty for anything else. */
    public List<YamlValue> items() {
        if (!(node instanceof SequenceNode seq)) {
            return List.of();
        }
        List<YamlValue> items = new ArrayList<>(seq.getValue().size());
        for (Node item : seq.getValue()) {
            items.add(new YamlValue(reading, item, what, scope));
        }
        return items;
    }

    /**
     * The keys of a mapping, checked against the allowed ones (each other key is reported); null, with a problem,
     * when the value is not a mapping, and null without one when it is absent.
     */
    public Fields fields(List<String> allowed) {
        if (node == null) {
            return null;
        }
        if (!(node instanceof MappingNode m)) {
            error("expected " + what + " to be a mapping with keys " + String.join(", ", allowed) + ", found "
                    + describe());
            return null;
        }
        return new Fields(this, m, allowed);
    }

    /** The entries of a mapping whose keys are names, each key checked to be a string and not repeated. */
    List<Entry> entries(String where) {
        List<Entry> out = new ArrayList<>();
        Map<String, Node> seen = new HashMap<>();
        for (NodeTuple t : ((MappingNode) node).getValue()) {
            String name = reading.file().key(t.getKeyNode(), where, seen);
            if (name != null) {
                out.add(new Entry(name, new YamlValue(reading, t.getKeyNode(), what, scope),
                        new YamlValue(reading, t.getValueNode(), what, scope)));
            }
        }
        return out;
    }

    /** The value under {@code key} of a mapping, its keys unchecked; absent when there is none. */
    YamlValue peek(String key) {
        Node found = node instanceof MappingNode m ? YamlFile.valueOf(m, key) : null;
        return new YamlValue(reading, found, what, scope);
    }

    /** The values under every {@code key} of a mapping, repeated keys included, unchecked. */
    List<YamlValue> peekAll(String key) {
        List<YamlValue> out = new ArrayList<>();
        if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    out.add(new YamlValue(reading, t.getValueNode(), what, scope));
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ scalars

    public String string() {
        if (node == null) {
            return null;
        }
        if (isString()) {
            return text();
        }
        error("expected " + what + " to be a string, found " + describe());
        return null;
    }

    /** A string or a list of strings, as a list. */
    public List<String> stringOrList() {
        if (node == null) {
            return null;
        }
        if (node instanceof ScalarNode) {
            String s = string();
            return s == null ? null : List.of(s);
        }
        if (node instanceof SequenceNode) {
            List<String> out = new ArrayList<>();
            for (YamlValue item : items()) {
                String s = item.named(what + " entry").string();
                if (s != null) {
                    out.add(s);
                }
            }
            return List.copyOf(out);
        }
        error("expected " + what + " to be a string or a list of strings, found " + describe());
        return null;
    }

    public String oneOf(List<String> allowed) {
        if (node == null) {
            return null;
        }
        if (isString() && allowed.contains(text())) {
            return text();
        }
        error("expected " + what + " to be one of " + String.join(", ", allowed) + ", found " + describe());
        return null;
    }

    /** A whole number of at least {@code min}. */
    public Long wholeNumber(long min) {
        if (node == null) {
            return null;
        }
        if (node instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            Object v = java();
            if (v instanceof Number num && !(v instanceof BigInteger)) {
                long l = num.longValue();
                if (l >= min) {
                    return l;
                }
                error("expected " + what + " to be at least " + min + ", found " + l);
                return null;
            }
        }
        error("expected " + what + " to be a whole number" + (min > 0 ? " of at least " + min : " of at least 0")
                + ", found " + describe());
        return null;
    }

    /** A whole number of at least {@code min} as an int; a larger one than an int holds is read as the largest. */
    public Integer wholeInt(long min) {
        Long value = wholeNumber(min);
        return value == null ? null : Math.toIntExact(Math.min(value, Integer.MAX_VALUE));
    }

    /** A number between {@code min} and {@code max}. */
    public Double number(double min, double max) {
        if (node == null) {
            return null;
        }
        if (isNumber()) {
            double d = ((Number) java()).doubleValue();
            if (d >= min && d <= max) {
                return d;
            }
            error("expected " + what + " between " + format(min) + " and " + format(max) + ", found " + text());
            return null;
        }
        error("expected " + what + " to be a number, found " + describe());
        return null;
    }

    private static String format(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** A duration as {@link Durations} reads it; {@code positive}: longer than zero. */
    public Duration duration(boolean positive) {
        if (node == null) {
            return null;
        }
        if (!isString()) {
            error("expected " + what + " to be " + Durations.EXPECTED + ", found " + describe());
            return null;
        }
        try {
            Duration d = Durations.parse(text());
            if (positive && d.isZero()) {
                error("expected " + what + " to be longer than zero, found '" + text() + "'");
                return null;
            }
            return d;
        } catch (IllegalArgumentException e) {
            error("expected " + what + " to be " + Durations.EXPECTED + ", found " + describe());
            return null;
        }
    }

    /** Plain Java as Jackson would produce it (maps, lists, strings, numbers, booleans, null). */
    public Object java() {
        return reading.file().java(node, 0);
    }

    // ------------------------------------------------------------------ templates and references

    /** A value whose strings may hold {@code ${{ }}} expressions, as plain Java; each expression is checked. */
    public Object template() {
        return reading.checks().template(node, what, scope);
    }

    /** A mapping whose values are templates; null for anything else. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> templateMapping() {
        return template() instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    /** A string that may hold {@code ${{ }}} expressions. */
    public String stringTemplate() {
        return reading.checks().stringTemplate(this);
    }

    /** A condition: exactly one {@code ${{ }}} expression, or a boolean. */
    public String condition() {
        return reading.checks().condition(this);
    }

    /** A JSON Schema, checked against its meta-schema. */
    public Map<String, Object> jsonSchema() {
        return reading.checks().jsonSchema(this);
    }

    /** Checks that a model reference (or a list of them) names a provider that is there. */
    public void modelReferences() {
        reading.checks().modelReferences(node, what);
    }

    /**
     * Checks that a fixed endpoint URI read from this value starts with a scheme, or Camel finds no component for it
     * when the endpoint starts; whether that component is on the class path is the run's to say.
     */
    public void endpointScheme(String uri, String example) {
        if (uri == null || uri.isBlank() || Expressions.containsExpression(uri) || URI_SCHEME.matcher(uri.strip())
                .matches()) {
            return;
        }
        error("expected " + what + " to be a Camel endpoint URI scheme:path such as " + example + ", found "
                + describe() + " (no scheme)");
    }

    /**
     * The nodes of a map or loop body: they see the variables around them and {@code variables}, and the nodes of
     * their own list only. Read {@link #within} the list, a value sees those nodes' outputs.
     */
    public NodeList nodeList(Set<String> variables) {
        return reading.graph().body(this, variables);
    }

    /** {@code agent of node 'a'} and {@code prompt} give {@code agent.prompt of node 'a'}. */
    static String sub(String what, String field) {
        int i = what.indexOf(" of ");
        return i < 0 ? what + "." + field : what.substring(0, i) + "." + field + what.substring(i);
    }
}
