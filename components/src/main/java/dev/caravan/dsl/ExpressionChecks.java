package dev.caravan.dsl;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

import dev.caravan.expr.ExpressionException;
import dev.caravan.expr.Expressions;
import dev.caravan.expr.Template;
import dev.caravan.llm.ModelReference;

/**
 * Checks what the values of a file refer to: every {@code ${{ }}} expression compiles and reads only the nodes and
 * variables its place sees, conditions are one expression, JSON Schemas hold to their meta-schema and model references
 * name a provider that is there. Not thread-safe; one instance per load.
 */
final class ExpressionChecks {

    private final YamlFile file;
    private final Expressions expressions;
    private final JsonSchemas metaSchemas;
    /** The providers a model reference may name (null: only the form of references is checked); asked once. */
    private final Supplier<Set<String>> modelProviders;
    private Set<String> knownProviders;
    private boolean providersAsked;

    ExpressionChecks(YamlFile file, Expressions expressions, JsonSchemas metaSchemas,
            Supplier<Set<String>> modelProviders) {
        this.file = file;
        this.expressions = expressions;
        this.metaSchemas = metaSchemas;
        this.modelProviders = modelProviders;
    }

    // ------------------------------------------------------------------ templates and expressions

    /** A template value: converted to plain Java, every string holding ${{ }} compiled and checked. */
    Object template(Node n, String what, Scope scope) {
        checkExpressions(n, what, scope, 0);
        return file.java(n, 0);
    }

    private void checkExpressions(Node n, String what, Scope scope, int depth) {
        if (depth > file.limits().depth()) {
            return;
        }
        if (n instanceof ScalarNode s) {
            if (YamlFile.isString(s) && Expressions.containsExpression(s.getValue())) {
                expression(s, what, scope);
            }
        } else if (n instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                checkExpressions(t.getValueNode(), what, scope, depth + 1);
            }
        } else if (n instanceof SequenceNode seq) {
            for (Node item : seq.getValue()) {
                checkExpressions(item, what, scope, depth + 1);
            }
        }
    }

    /** A string value that may hold ${{ }} expressions. */
    String stringTemplate(YamlValue v) {
        String s = v.string();
        if (s != null && Expressions.containsExpression(s)) {
            expression((ScalarNode) v.node(), v.what(), v.scope());
        }
        return s;
    }

    /** A condition: exactly one ${{ }} expression (or a boolean literal). */
    String condition(YamlValue v) {
        Node n = v.node();
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            return "${{ " + s.getValue().toLowerCase(Locale.ROOT) + " }}";
        }
        String s = v.string();
        if (s == null) {
            return null;
        }
        String t = s.strip();
        if (!t.startsWith("${{") || !t.endsWith("}}") || t.indexOf("${{", 3) >= 0) {
            v.error("expected " + v.what() + " to be a condition written as ${{ <expression> }}, found "
                    + v.describe());
            return null;
        }
        expression((ScalarNode) n, v.what(), v.scope());
        return s;
    }

    private void expression(ScalarNode s, String what, Scope scope) {
        String text = s.getValue();
        int tooLong = longExpression(text);
        if (tooLong >= 0) {
            file.problem(file.at(s, tooLong), what + ": an expression longer than "
                    + file.limits().expressionChars() + " characters, " + LoadLimits.refusal("expression-chars"));
            return;
        }
        Template t;
        try {
            t = expressions.compile(text, scope.variables());
        } catch (ExpressionException e) {
            file.problem(file.at(s, e.offset()), what + ": " + e.getMessage());
            return;
        }
        for (Template.Reference r : t.referenceSites()) {
            if (!scope.visible().contains(r.nodeId())) {
                file.problem(file.at(s, r.offset()), what + ": " + invisible(r.nodeId(), scope));
            }
        }
    }

    /** Why an expression may not read a node's output here. */
    private static String invisible(String id, Scope scope) {
        String visible = listOrNone(scope.visible().all(), null);
        if (id.equals(scope.self())) {
            return "a node cannot read its own output; expected one of the other nodes: " + visible + ", found nodes."
                   + id;
        }
        if (scope.siblings().contains(id)) {
            return "node '" + id + "' is not upstream of '" + scope.self() + "': add it to needs (directly or through "
                   + "a node it needs) so its output exists when this runs; expected one of: " + visible;
        }
        if (scope.outer().contains(id)) {
            return "node '" + id + "' is not visible here: map and loop sub-nodes see only the nodes of their own "
                   + "list; expected one of: " + visible + " (pass outer values in through input or the map items)";
        }
        return "unknown node '" + id + "' in nodes." + id + "; expected one of: " + visible;
    }

    /** Where the first ${{ }} longer than the limit starts in the text, or -1. */
    private int longExpression(String text) {
        int limit = file.limits().expressionChars();
        if (text.length() <= limit) {
            return -1;
        }
        int open = text.indexOf("${{");
        while (open >= 0) {
            int close = text.indexOf("}}", open + 3);
            int end = close < 0 ? text.length() : close;
            if (end - open - 3 > limit) {
                return open;
            }
            open = close < 0 ? -1 : text.indexOf("${{", close + 2);
        }
        return -1;
    }

    // ------------------------------------------------------------------ JSON Schema

    @SuppressWarnings("unchecked")
    Map<String, Object> jsonSchema(YamlValue v) {
        Node n = v.node();
        String what = v.what();
        if (n == null) {
            return null;
        }
        if (!(n instanceof MappingNode m)) {
            v.error("expected " + what + " to be a JSON Schema (a mapping such as {type: object}), found "
                    + v.describe());
            return null;
        }
        Map<String, Object> schema = (Map<String, Object>) file.java(n, 0);
        Object declared = schema.get("$schema");
        String dialect = JsonSchemas.dialect(declared instanceof String d ? d : null);
        if (dialect == null || (declared != null && !(declared instanceof String))) {
            Node at = YamlFile.valueOf(m, "$schema");
            file.error(at, "expected " + YamlValue.sub(what, "$schema") + " to be one of "
                    + String.join(", ", JsonSchemas.dialects()) + ", found " + YamlFile.describe(at));
            return schema;
        }
        try {
            for (JsonSchemas.Violation violation : metaSchemas.check(schema, dialect)) {
                file.error(at(n, violation.path()), "invalid JSON Schema in " + what + ": " + violation.message());
            }
        } catch (RuntimeException e) {
            v.error("invalid JSON Schema in " + what + ": " + e.getMessage());
        }
        return schema;
    }

    /** The value at a path of property names and indexes, or the deepest one of the path there is. */
    private static Node at(Node schema, List<Object> path) {
        Node at = schema;
        for (Object p : path) {
            Node next = null;
            if (at instanceof MappingNode m && p instanceof String k) {
                next = YamlFile.valueOf(m, k);
            } else if (at instanceof SequenceNode seq && p instanceof Integer i && i < seq.getValue().size()) {
                next = seq.getValue().get(i);
            }
            if (next == null) {
                break;
            }
            at = next;
        }
        return at;
    }

    // ------------------------------------------------------------------ model references

    /**
     * A model reference (or a list of them) as the caravan-llm component reads it when the node's endpoint starts:
     * provider:model or a provider alone, naming a provider that is there.
     */
    void modelReferences(Node n, String what) {
        if (n instanceof SequenceNode seq) {
            seq.getValue().forEach(item -> modelReferences(item, what));
            return;
        }
        if (!YamlFile.isString(n)) {
            return; // the wrong type is reported where the value is read
        }
        String ref = ((ScalarNode) n).getValue();
        ModelReference parsed;
        try {
            parsed = ModelReference.parse(ref);
        } catch (IllegalArgumentException e) {
            file.error(n, "expected " + what + " to be a model reference provider:model (such as openai:gpt-4o-mini) "
                    + "or scripted, found " + YamlFile.describe(n));
            return;
        }
        Set<String> known = knownProviders();
        if (known != null && !known.contains(parsed.provider())) {
            file.error(n, "unknown model provider '" + parsed.provider() + "' in " + what + "; expected one of: "
                    + String.join(", ", new TreeSet<>(known)));
        }
    }

    /** Finding the providers may scan the class path: it is done only when a reference is met. */
    private Set<String> knownProviders() {
        if (!providersAsked) {
            Set<String> known = modelProviders.get();
            knownProviders = known == null ? null : Set.copyOf(known);
            providersAsked = true;
        }
        return knownProviders;
    }

    /** Ids for a message: all but {@code exclude}, or {@code (none)}. */
    static String listOrNone(Set<String> ids, String exclude) {
        List<String> l = ids.stream().filter(i -> !i.equals(exclude)).toList();
        return l.isEmpty() ? "(none)" : String.join(", ", l);
    }
}
