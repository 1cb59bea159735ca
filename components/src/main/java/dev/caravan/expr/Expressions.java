package dev.caravan.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelSource;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.cel.runtime.CelUnknownSet;
import dev.cel.runtime.CelVariableResolver;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles and evaluates {@code ${{ ... }}} CEL templates. One instance per engine; thread-safe; compiled programs are
 * cached by expression text and scope.
 *
 * <p>
 * Expressions are sandboxed: every variable is {@code dyn}, no Java types or functions are registered, so an
 * expression can only read the variables it is given and call CEL's standard functions, macros and the string
 * extensions. Evaluation is deterministic (no clock, no environment).
 */
public final class Expressions {

    public static final String INPUT = "input";
    public static final String NODES = "nodes";
    public static final String RUN = "run";
    public static final String ITEM = "item";
    public static final String INDEX = "index";
    public static final String ITERATION = "iteration";
    /** The run's lane: {@code lane.id} and {@code lane.memory} (empty for a run outside a lane). */
    public static final String LANE = "lane";

    /** Variables of top-level nodes and of {@code spec.output}. */
    public static final Set<String> TOP_LEVEL = Set.of(INPUT, NODES, RUN, LANE);

    static final String OPEN = "${{";
    static final String CLOSE = "}}";

    private static final int MAX_CACHED = 20_000;
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern UNDECLARED = Pattern.compile("undeclared reference to '([^']*)'.*", Pattern.DOTALL);
    private static final Pattern EVAL_AT = Pattern.compile("^evaluation error at <input>:(\\d+): ?");

    private final CelOptions options = CelOptions.current()
            .enableHeterogeneousNumericComparisons(true)
            .comprehensionMaxIterations(10_000)
            .maxExpressionCodePointSize(10_000)
            .build();
    private final CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(options)
            .addLibraries(CelExtensions.strings(), CelExtensions.math(), CelExtensions.lists())
            .build();
    private final Map<Set<String>, CelCompiler> compilers = new ConcurrentHashMap<>();
    /** Compiled programs by expression text, each with the variables it reads (see {@link #compileExpression}). */
    private final Map<String, Compiled> programs = new ConcurrentHashMap<>();
    /** How many programs were compiled, for tests. */
    private final LongAdder compilations = new LongAdder();

    /** True when the string holds at least one {@code ${{}}. */
    public static boolean containsExpression(String text) {
        return text != null && text.contains(OPEN);
    }

    /**
     * True when the text is exactly one {@code ${{ }}} (blanks around it aside): it evaluates to the expression's typed
     * value rather than to text.
     */
    public static boolean isSingleExpression(String text) {
        if (text == null) {
            return false;
        }
        String t = text.strip();
        if (!t.startsWith(OPEN)) {
            return false;
        }
        int close = findClose(t, OPEN.length());
        return close >= 0 && close + CLOSE.length() == t.length();
    }

    /**
     * Compiles a template value: a string with zero or more {@code ${{ expr }}}, or a List/Map tree whose strings may
     * hold them; numbers, booleans and null are constants.
     *
     * @param raw       the template value
     * @param variables the variables in scope (all typed {@code dyn})
     * @throws ExpressionException on a syntax error, an unknown identifier or function, or a type error; its offset is
     *                             in the string holding the expression
     */
    public Template compile(Object raw, Set<String> variables) {
        Set<String> scope = Set.copyOf(variables);
        for (String v : scope) {
            if (!IDENT.matcher(v).matches()) {
                throw new IllegalArgumentException("not a variable name: '" + v + "'");
            }
        }
        return compileValue(raw, scope);
    }

    private Template compileValue(Object raw, Set<String> scope) {
        if (raw == null || raw instanceof Number || raw instanceof Boolean) {
            return new ConstantTemplate(Values.plain(raw));
        }
        if (raw instanceof String s) {
            return compileString(s, scope);
        }
        if (raw instanceof Map<?, ?> map) {
            Map<String, Template> entries = new LinkedHashMap<>();
            boolean constant = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Template t = compileValue(e.getValue(), scope);
                constant &= t.isConstant();
                entries.put(String.valueOf(e.getKey()), t);
            }
            return constant ? new ConstantTemplate(Values.plain(raw)) : new MapTemplate(entries);
        }
        if (raw instanceof List<?> list) {
            List<Template> items = new ArrayList<>(list.size());
            boolean constant = true;
            for (Object o : list) {
                Template t = compileValue(o, scope);
                constant &= t.isConstant();
                items.add(t);
            }
            return constant ? new ConstantTemplate(Values.plain(raw)) : new ListTemplate(items);
        }
        throw new ExpressionException("expected a string, number, boolean, null, list or map as template, found a "
                + raw.getClass().getSimpleName(), 0);
    }

    private Template compileString(String text, Set<String> scope) {
        if (!text.contains(OPEN)) {
            return new ConstantTemplate(text);
        }
        List<String> literals = new ArrayList<>();
        List<Expr> exprs = new ArrayList<>();
        int i = 0;
        while (true) {
            int open = text.indexOf(OPEN, i);
            if (open < 0) {
                literals.add(text.substring(i));
                break;
            }
            literals.add(text.substring(i, open));
            int bodyStart = open + OPEN.length();
            int close = findClose(text, bodyStart);
            if (close < 0) {
                throw new ExpressionException("expected '}}' to close the expression opened by '${{' here, found the "
                        + "end of the text: " + quote(text), open);
            }
            String body = text.substring(bodyStart, close);
            if (body.isBlank()) {
                throw new ExpressionException("expected an expression inside '${{ }}', found nothing", open);
            }
            Compiled compiled = compileExpression(body, bodyStart, scope);
            exprs.add(new Expr(body.strip(), open, bodyStart, compiled));
            i = close + CLOSE.length();
        }
        boolean single = exprs.size() == 1 && literals.get(0).isBlank() && literals.get(1).isBlank();
        return new StringTemplate(text, literals, exprs, single);
    }

    /** Index of the {@code }}} closing the expression whose body starts at {@code from}, or -1. */
    static int findClose(String s, int from) {
        int depth = 0;
        int n = s.length();
        for (int j = from; j < n; j++) {
            char c = s.charAt(j);
            if (c == '\'' || c == '"') {
                boolean triple = j + 2 < n && s.charAt(j + 1) == c && s.charAt(j + 2) == c;
                boolean raw = j > from && (s.charAt(j - 1) == 'r' || s.charAt(j - 1) == 'R');
                int k = j + (triple ? 3 : 1);
                boolean closed = false;
                while (k < n) {
                    char d = s.charAt(k);
                    if (d == '\\' && !raw) {
                        k += 2;
                        continue;
                    }
                    if (d == c && (!triple || (k + 2 < n && s.charAt(k + 1) == c && s.charAt(k + 2) == c))) {
                        k += triple ? 3 : 1;
                        closed = true;
                        break;
                    }
                    if ((d == '\n') && !triple) {
                        break;
                    }
                    k++;
                }
                if (!closed) {
                    return -1;
                }
                j = k - 1;
            } else if (c == '{') {
                depth++;
            } else if (c == '}') {
                if (depth == 0 && j + 1 < n && s.charAt(j + 1) == '}') {
                    return j;
                }
                if (depth > 0) {
                    depth--;
                }
            }
        }
        return -1;
    }

    /**
     * A program for the expression in a scope. One compiled in another scope serves when this scope declares every
     * variable it reads: every variable is {@code dyn}, so more declarations change nothing else, and a name it binds
     * itself (a macro's) shadows a declared one. So the loader's check of a node's expression, in the node's scope,
     * and its endpoint's compilation, with every variable, compile it once.
     */
    private Compiled compileExpression(String body, int bodyStart, Set<String> scope) {
        Compiled cached = programs.get(body);
        if (cached != null && scope.containsAll(cached.variables())) {
            return cached;
        }
        CelCompiler compiler = compilers.computeIfAbsent(scope, this::newCompiler);
        CelValidationResult result = compiler.compile(body);
        if (result.hasError()) {
            CelIssue issue = result.getErrors().stream()
                    .min((a, b) -> a.getSourceLocation().compareTo(b.getSourceLocation()))
                    .orElseThrow();
            throw compileError(body, bodyStart, scope, issue, result.getSource());
        }
        try {
            CelAbstractSyntaxTree ast = result.getAst();
            Compiled compiled = new Compiled(runtime.createProgram(ast), referencesOf(ast, body),
                    identifiersOf(ast, scope));
            compilations.increment();
            if (programs.size() >= MAX_CACHED) {
                programs.clear();
            }
            programs.put(body, compiled);
            return compiled;
        } catch (CelValidationException | CelEvaluationException e) {
            throw new ExpressionException("cannot compile expression " + quote(body.strip()) + ": " + e.getMessage(),
                    bodyStart, e);
        }
    }

    private CelCompiler newCompiler(Set<String> scope) {
        CelCompilerBuilder builder = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(options)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addLibraries(CelExtensions.strings(), CelExtensions.math(), CelExtensions.lists());
        for (String v : scope) {
            builder.addVar(v, SimpleType.DYN);
        }
        return builder.build();
    }

    private static ExpressionException compileError(String body, int bodyStart, Set<String> scope, CelIssue issue,
            CelSource source) {
        int cp = source.getLocationOffset(issue.getSourceLocation()).orElse(0);
        int offset = charOffset(body, cp);
        String message = issue.getMessage();
        String shown = quote(body.strip());
        Matcher undeclared = UNDECLARED.matcher(message);
        if (undeclared.matches()) {
            String name = undeclared.group(1);
            int at = offset;
            if (at < body.length() && body.charAt(at) == '(') {
                // CEL points a call at its parenthesis; point at the function name instead
                int start = at;
                while (start > 0 && (Character.isLetterOrDigit(body.charAt(start - 1)) || body.charAt(start - 1) == '_')) {
                    start--;
                }
                return new ExpressionException("unknown function '" + name + "' in expression " + shown
                        + "; only CEL standard functions, macros and string functions are available", bodyStart + start);
            }
            return new ExpressionException("unknown identifier '" + name + "' in expression " + shown
                    + "; expected one of: " + String.join(", ", new TreeSet<>(scope)), bodyStart + at);
        }
        if (message.startsWith("found no matching overload")) {
            return new ExpressionException("type error in expression " + shown + ": " + message, bodyStart + offset);
        }
        return new ExpressionException("syntax error in expression " + shown + ": " + message, bodyStart + offset);
    }

    private static int charOffset(String text, int codePoints) {
        try {
            return text.offsetByCodePoints(0, Math.min(codePoints, text.codePointCount(0, text.length())));
        } catch (IndexOutOfBoundsException e) {
            return 0;
        }
    }

    private static List<Template.Reference> referencesOf(CelAbstractSyntaxTree ast, String body) {
        Map<Long, Integer> positions = ast.getSource().getPositionsMap();
        List<Template.Reference> refs = new ArrayList<>();
        CelNavigableAst.fromAst(ast).getRoot().allNodes().forEach(nav -> {
            CelExpr e = nav.expr();
            CelExpr operand = null;
            String id = null;
            if (e.getKind() == CelExpr.ExprKind.Kind.SELECT) {
                operand = e.select().operand();
                id = e.select().field();
            } else if (e.getKind() == CelExpr.ExprKind.Kind.CALL && e.call().function().equals("_[_]")
                    && e.call().args().size() == 2) {
                operand = e.call().args().get(0);
                CelExpr key = e.call().args().get(1);
                if (key.getKind() == CelExpr.ExprKind.Kind.CONSTANT
                        && key.constant().getKind() == CelConstant.Kind.STRING_VALUE) {
                    id = key.constant().stringValue();
                }
            }
            if (operand != null && id != null && operand.getKind() == CelExpr.ExprKind.Kind.IDENT
                    && operand.ident().name().equals(NODES)) {
                refs.add(new Template.Reference(id, charOffset(body, positions.getOrDefault(operand.id(), 0))));
            }
        });
        refs.sort((a, b) -> Integer.compare(a.offset(), b.offset()));
        return List.copyOf(refs);
    }

    private static Set<String> identifiersOf(CelAbstractSyntaxTree ast, Set<String> scope) {
        Set<String> names = new LinkedHashSet<>();
        CelNavigableAst.fromAst(ast).getRoot().allNodes().forEach(nav -> {
            if (nav.expr().getKind() == CelExpr.ExprKind.Kind.IDENT && scope.contains(nav.expr().ident().name())) {
                names.add(nav.expr().ident().name());
            }
        });
        return Set.copyOf(names);
    }

    /** How many programs this instance compiled. */
    long compilations() {
        return compilations.sum();
    }

    static String quote(String text) {
        String t = text.length() > 120 ? text.substring(0, 117) + "..." : text;
        return "`" + t.replace("\n", "\\n") + "`";
    }

    // ---- compiled forms ----

    private record Compiled(CelRuntime.Program program, List<Template.Reference> references, Set<String> variables) {
    }

    private record Expr(String text, int openOffset, int bodyStart, Compiled compiled) {

        Object evaluate(Map<String, Object> celVars) {
            for (String v : compiled.variables()) {
                if (!celVars.containsKey(v)) {
                    throw new ExpressionException("cannot evaluate " + quote(text) + ": no value for variable '" + v
                            + "' here", openOffset);
                }
            }
            Object result;
            try {
                // a resolver over the map: evaluating with the map itself copies it first
                result = compiled.program().eval((CelVariableResolver)
                        name -> Optional.ofNullable(celVars.get(name)));
            } catch (CelEvaluationException e) {
                String message = String.valueOf(e.getMessage());
                int offset = openOffset;
                Matcher m = EVAL_AT.matcher(message);
                if (m.find()) {
                    offset = bodyStart + Integer.parseInt(m.group(1));
                    message = message.substring(m.end());
                }
                throw new ExpressionException("cannot evaluate " + quote(text) + ": " + message, offset, e);
            }
            if (result instanceof CelUnknownSet) {
                throw new ExpressionException("cannot evaluate " + quote(text) + ": it reads a value that was not "
                        + "provided", openOffset);
            }
            return Values.fromCel(result);
        }
    }

    private abstract static class CompiledTemplate implements Template {

        private Set<String> used;

        @Override
        public final Object evaluate(Map<String, Object> vars) {
            if (used == null) {
                Set<String> names = new HashSet<>();
                collectVariables(names);
                used = Set.copyOf(names);
            }
            // only what the template reads is converted: a run's whole state is not copied per expression
            Map<String, Object> celVars = new HashMap<>();
            if (vars != null) {
                for (String name : used) {
                    if (vars.containsKey(name)) {
                        Object value = vars.get(name);
                        // a value that costs a lookup (lane memory) is fetched only by expressions that read it
                        if (value instanceof Supplier<?> lazy) {
                            value = lazy.get();
                        }
                        celVars.put(name, Values.toCel(value));
                    }
                }
            }
            return evaluateCel(celVars);
        }

        abstract Object evaluateCel(Map<String, Object> celVars);

        /** Adds the names of the variables this template's expressions read. */
        abstract void collectVariables(Set<String> names);

        @Override
        public boolean isConstant() {
            return false;
        }

        @Override
        public List<String> references() {
            Set<String> ids = new LinkedHashSet<>();
            referenceSites().forEach(r -> ids.add(r.nodeId()));
            return List.copyOf(ids);
        }
    }

    private static final class ConstantTemplate extends CompiledTemplate {
        private final Object value;

        ConstantTemplate(Object value) {
            this.value = value;
        }

        @Override
        Object evaluateCel(Map<String, Object> celVars) {
            return value instanceof Map || value instanceof List ? Values.plain(value) : value;
        }

        @Override
        public boolean isConstant() {
            return true;
        }

        @Override
        void collectVariables(Set<String> names) {
        }

        @Override
        public List<Reference> referenceSites() {
            return List.of();
        }

        @Override
        public String toString() {
            return Values.render(value);
        }
    }

    private static final class StringTemplate extends CompiledTemplate {
        private final String text;
        private final List<String> literals;
        private final List<Expr> exprs;
        private final boolean single;
        private final List<Reference> sites;

        StringTemplate(String text, List<String> literals, List<Expr> exprs, boolean single) {
            this.text = text;
            this.literals = List.copyOf(literals);
            this.exprs = List.copyOf(exprs);
            this.single = single;
            List<Reference> all = new ArrayList<>();
            for (Expr e : exprs) {
                for (Reference r : e.compiled().references()) {
                    all.add(new Reference(r.nodeId(), e.bodyStart() + r.offset()));
                }
            }
            this.sites = List.copyOf(all);
        }

        @Override
        void collectVariables(Set<String> names) {
            exprs.forEach(e -> names.addAll(e.compiled().variables()));
        }

        @Override
        Object evaluateCel(Map<String, Object> celVars) {
            if (single) {
                return exprs.get(0).evaluate(celVars);
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < exprs.size(); i++) {
                sb.append(literals.get(i)).append(Values.render(exprs.get(i).evaluate(celVars)));
            }
            return sb.append(literals.get(exprs.size())).toString();
        }

        @Override
        public List<Reference> referenceSites() {
            return sites;
        }

        @Override
        public String toString() {
            return quote(text);
        }
    }

    private static final class MapTemplate extends CompiledTemplate {
        private final Map<String, Template> entries;

        MapTemplate(Map<String, Template> entries) {
            this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        @Override
        void collectVariables(Set<String> names) {
            entries.values().forEach(t -> ((CompiledTemplate) t).collectVariables(names));
        }

        @Override
        Object evaluateCel(Map<String, Object> celVars) {
            Map<String, Object> out = new LinkedHashMap<>();
            entries.forEach((k, t) -> out.put(k, ((CompiledTemplate) t).evaluateCel(celVars)));
            return out;
        }

        @Override
        public List<Reference> referenceSites() {
            List<Reference> all = new ArrayList<>();
            entries.values().forEach(t -> all.addAll(t.referenceSites()));
            return all;
        }

        @Override
        public String toString() {
            return "a map template " + entries.keySet();
        }
    }

    private static final class ListTemplate extends CompiledTemplate {
        private final List<Template> items;

        ListTemplate(List<Template> items) {
            this.items = List.copyOf(items);
        }

        @Override
        void collectVariables(Set<String> names) {
            items.forEach(t -> ((CompiledTemplate) t).collectVariables(names));
        }

        @Override
        Object evaluateCel(Map<String, Object> celVars) {
            List<Object> out = new ArrayList<>(items.size());
            items.forEach(t -> out.add(((CompiledTemplate) t).evaluateCel(celVars)));
            return out;
        }

        @Override
        public List<Reference> referenceSites() {
            List<Reference> all = new ArrayList<>();
            items.forEach(t -> all.addAll(t.referenceSites()));
            return all;
        }

        @Override
        public String toString() {
            return "a list template of " + items.size() + " items";
        }
    }
}
