package dev.caravan.dsl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import dev.caravan.expr.ExpressionException;
import dev.caravan.expr.Expressions;
import dev.caravan.expr.Template;
import dev.caravan.llm.ModelReference;
import dev.caravan.llm.provider.ScriptedChatModel;

/**
 * One pass over one workflow file: walks the YAML node tree (with marks), builds the model and collects every problem.
 * Not thread-safe; one instance per load.
 */
final class WorkflowParser {

    static final List<String> KINDS = List.of("agent", "call", "set", "remember", "gate", "map", "loop", "workflow",
            "wait", "emit", "fail");

    private static final List<String> TOP_KEYS = List.of("apiVersion", "kind", "metadata", "spec");
    private static final List<String> METADATA_KEYS = List.of("name", "description");
    private static final List<String> SPEC_KEYS = List.of("input", "budget", "defaults", "nodes", "tools", "output");
    private static final List<String> BUDGET_KEYS = List.of("usd", "tokens");
    private static final List<String> DEFAULTS_KEYS = List.of("model", "fallback", "retry", "timeout");
    private static final List<String> RETRY_KEYS = List.of("maxAttempts", "backoff", "initialDelay", "maxDelay");
    private static final List<String> TOOL_KEYS = List.of("description", "parameters", "uri");
    private static final List<String> NODE_KEYS;
    private static final List<String> AGENT_KEYS = List.of("model", "fallback", "system", "prompt", "output", "tools",
            "maxTokens", "temperature", "maxToolRounds", "scripted");
    private static final List<String> SCRIPTED_KEYS = List.of("replies", "latencyMs");
    private static final List<String> REPLY_KEYS = List.of("text", "json", "toolCalls", "error");
    private static final List<String> TOOL_CALL_KEYS = List.of("name", "arguments");
    private static final List<String> REPLY_ERROR_KEYS = List.of("type", "message");
    private static final List<String> CALL_KEYS = List.of("uri", "body", "headers");
    private static final List<String> GATE_KEYS = List.of("message", "timeout", "onTimeout");
    private static final List<String> GATE_ON_TIMEOUT = List.of("approve", "reject", "fail");
    private static final List<String> MAP_KEYS = List.of("items", "concurrency", "nodes", "output");
    private static final List<String> LOOP_KEYS = List.of("max", "until", "nodes", "output");
    private static final List<String> WORKFLOW_KEYS = List.of("name", "input");
    private static final List<String> WAIT_KEYS = List.of("duration", "until");
    private static final List<String> EMIT_KEYS = List.of("type", "data");
    private static final List<String> FAIL_KEYS = List.of("message", "code");
    private static final List<String> ON_ERROR = List.of("fail", "continue");
    private static final List<String> BACKOFFS = List.of("fixed", "exponential");

    static {
        List<String> keys = new ArrayList<>(List.of("id", "needs", "when", "retry", "timeout", "onError"));
        keys.addAll(KINDS);
        NODE_KEYS = List.copyOf(keys);
    }

    /** Retry settings a {@code retry} block starts from when {@code spec.defaults.retry} is absent. */
    static final RetryPolicy BASE_RETRY = new RetryPolicy(3, "exponential", Duration.ofSeconds(1),
            Duration.ofSeconds(60));
    static final int DEFAULT_CONCURRENCY = 4;
    static final String DEFAULT_ON_TIMEOUT = "reject";

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]{0,62}");
    private static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern ERROR_CODE = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
    private static final Pattern INT = Pattern.compile("[-+]?[0-9]+");

    private final String file;
    private final String content;
    private final Expressions expressions;
    private final List<Problem> problems = new ArrayList<>();
    private final int[] lineStarts;

    private Map<String, Workflow.ToolDef> tools = Map.of();
    private Workflow.Defaults defaults = Workflow.Defaults.NONE;
    private boolean defaultsRetrySet;

    private final JsonSchemas metaSchemas;
    private final LoadLimits limits;
    /** Nodes read so far, in every list of the file. */
    private int nodeCount;

    WorkflowParser(String file, String content, Expressions expressions, JsonSchemas metaSchemas, LoadLimits limits) {
        this.metaSchemas = metaSchemas;
        this.limits = limits;
        this.file = file;
        this.content = content == null ? "" : content;
        this.expressions = expressions;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < this.content.length(); i++) {
            char c = this.content.charAt(i);
            if (c == '\n' || (c == '\r' && (i + 1 >= this.content.length() || this.content.charAt(i + 1) != '\n'))) {
                starts.add(i + 1);
            }
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    List<Problem> problems() {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt((Problem p) -> p.position().line())
                .thenComparingInt(p -> p.position().column()));
        return List.copyOf(sorted);
    }

    // ------------------------------------------------------------------ document

    Workflow parse() {
        org.snakeyaml.engine.v2.nodes.Node root = compose();
        if (root == null) {
            return null;
        }
        try {
            return workflow(root);
        } catch (LimitReached e) {
            return null;
        }
    }

    /** Ends a parse that went past a limit, the limit's problem recorded: the rest of the file is not read. */
    private static final class LimitReached extends RuntimeException {
        LimitReached() {
            super(null, null, false, false);
        }
    }

    private LimitReached limitReached(org.snakeyaml.engine.v2.nodes.Node at, String message) {
        error(at, message);
        return new LimitReached();
    }

    private Workflow workflow(org.snakeyaml.engine.v2.nodes.Node root) {
        Fields top = fields(root, "the workflow file", TOP_KEYS);
        if (top == null) {
            return null;
        }
        expectConstant(top, "apiVersion", WorkflowLoader.API_VERSION);
        expectConstant(top, "kind", WorkflowLoader.KIND);

        String name = null;
        String description = null;
        Fields metadata = fields(top.required("metadata"), "metadata", METADATA_KEYS);
        if (metadata != null) {
            org.snakeyaml.engine.v2.nodes.Node n = metadata.required("name");
            name = n == null ? null : string(n, "metadata.name");
            if (name != null && !DNS_LABEL.matcher(name).matches()) {
                error(n, "expected metadata.name to be a DNS label (lowercase letters, digits and '-', starting and "
                        + "ending with a letter or digit, at most 63 characters), found '" + name + "'");
            }
            description = string(metadata.get("description"), "metadata.description");
        }

        Fields spec = fields(top.required("spec"), "spec", SPEC_KEYS);
        Map<String, Object> inputSchema = null;
        Workflow.Budget budget = null;
        List<Node> nodes = List.of();
        Object output = null;
        if (spec != null) {
            inputSchema = jsonSchema(spec.get("input"), "spec.input");
            budget = budget(spec.get("budget"));
            defaults(spec.get("defaults"));
            tools(spec.get("tools"));
            org.snakeyaml.engine.v2.nodes.Node nodesNode = spec.required("nodes");
            NodeList list = nodes(nodesNode, "spec.nodes", Expressions.TOP_LEVEL, Set.of());
            nodes = list.nodes;
            if (spec.get("output") != null) {
                output = template(spec.get("output"), "spec.output",
                        new Scope(Expressions.TOP_LEVEL, new AllOf(list.ids), null, Set.of(), list.ids));
            }
        }
        return new Workflow(name, description, inputSchema, budget, defaults, nodes, tools, output,
                new Position(file, 1, 1), sha256(content));
    }

    /** The file's YAML tree, or null (with a problem) when it is not YAML or goes past a limit. */
    private org.snakeyaml.engine.v2.nodes.Node compose() {
        long bytes = utf8Bytes(content, limits.fileBytes());
        if (bytes > limits.fileBytes()) {
            problems.add(fileTooLarge(file, limits));
            return null;
        }
        org.snakeyaml.engine.v2.nodes.Node root;
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
    private boolean withinAliasLimits(org.snakeyaml.engine.v2.nodes.Node root) {
        Expansion expansion = new Expansion();
        long values = expansion.values(root);
        if (expansion.aliases > limits.aliases()) {
            error(expansion.firstAlias, "the file uses more than " + limits.aliases() + " aliases of mappings and "
                    + "lists, " + LoadLimits.refusal("aliases"));
            return false;
        }
        if (expansion.recursive != null) {
            error(expansion.recursive, "an alias refers to the mapping or list that holds it, so its value never ends");
            return false;
        }
        if (values > limits.values()) {
            error(expansion.firstAlias, "the file holds more than " + limits.values() + " values once its aliases are "
                    + "expanded, " + LoadLimits.refusal("values"));
            return false;
        }
        return true;
    }

    /**
     * Counts a tree's values with its aliases expanded, and its aliases (a node met again is one). Each distinct node
     * is counted once, so counting costs the size of the file, not of the expansion; counts saturate at
     * {@code Long.MAX_VALUE}.
     */
    private static final class Expansion {
        /** Marks a node whose count is under way: meeting it again means an alias inside the node it names. */
        private static final long COUNTING = -1;
        private final IdentityHashMap<org.snakeyaml.engine.v2.nodes.Node, Long> counted = new IdentityHashMap<>();
        long aliases;
        org.snakeyaml.engine.v2.nodes.Node firstAlias;
        org.snakeyaml.engine.v2.nodes.Node recursive;

        long values(org.snakeyaml.engine.v2.nodes.Node n) {
            if (n instanceof ScalarNode) {
                return 1;
            }
            Long known = counted.get(n);
            if (known != null) {
                aliases++;
                if (firstAlias == null) {
                    firstAlias = n;
                }
                if (known == COUNTING) {
                    if (recursive == null) {
                        recursive = n;
                    }
                    return Long.MAX_VALUE;
                }
                return known;
            }
            counted.put(n, COUNTING);
            long total = 1;
            if (n instanceof MappingNode m) {
                for (NodeTuple t : m.getValue()) {
                    total = saturatedAdd(saturatedAdd(total, values(t.getKeyNode())), values(t.getValueNode()));
                }
            } else if (n instanceof SequenceNode seq) {
                for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) {
                    total = saturatedAdd(total, values(item));
                }
            }
            counted.put(n, total);
            return total;
        }

        private static long saturatedAdd(long a, long b) {
            long sum = a + b;
            return sum < 0 ? Long.MAX_VALUE : sum;
        }
    }

    private void expectConstant(Fields top, String key, String expected) {
        org.snakeyaml.engine.v2.nodes.Node n = top.required(key);
        if (n == null) {
            return;
        }
        if (!(n instanceof ScalarNode s) || !expected.equals(s.getValue())) {
            error(n, "expected " + key + " '" + expected + "', found " + describe(n));
        }
    }

    // ------------------------------------------------------------------ spec sections

    private Workflow.Budget budget(org.snakeyaml.engine.v2.nodes.Node n) {
        Fields f = fields(n, "spec.budget", BUDGET_KEYS);
        if (f == null) {
            return null;
        }
        Long usdMicros = null;
        org.snakeyaml.engine.v2.nodes.Node usd = f.get("usd");
        if (usd != null) {
            BigDecimal amount = null;
            if (usd instanceof ScalarNode s && (s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT)
                    || s.getTag().equals(Tag.STR))) {
                try {
                    amount = new BigDecimal(s.getValue().strip().replace("_", ""));
                } catch (NumberFormatException e) {
                    amount = null;
                }
            }
            if (amount == null) {
                error(usd, "expected spec.budget.usd to be an amount in US dollars such as 0.25, found " + describe(usd));
            } else if (amount.signum() < 0) {
                error(usd, "expected spec.budget.usd to be zero or more, found " + amount.toPlainString());
            } else {
                BigDecimal micros = amount.movePointRight(6);
                if (micros.stripTrailingZeros().scale() > 0) {
                    error(usd, "expected spec.budget.usd with at most 6 decimal places (budgets are kept in "
                            + "micro-dollars), found " + amount.toPlainString());
                } else if (micros.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                    error(usd, "expected spec.budget.usd below 9,000,000,000,000, found " + amount.toPlainString());
                } else {
                    usdMicros = micros.longValueExact();
                }
            }
        }
        Long tokens = longValue(f.get("tokens"), "spec.budget.tokens", 1);
        return new Workflow.Budget(usdMicros, tokens);
    }

    private void defaults(org.snakeyaml.engine.v2.nodes.Node n) {
        Fields f = fields(n, "spec.defaults", DEFAULTS_KEYS);
        if (f == null) {
            return;
        }
        String model = string(f.get("model"), "spec.defaults.model");
        List<String> fallback = stringOrList(f.get("fallback"), "spec.defaults.fallback");
        modelReferences(f.get("model"), "spec.defaults.model");
        modelReferences(f.get("fallback"), "spec.defaults.fallback");
        RetryPolicy retry = RetryPolicy.NONE;
        if (f.get("retry") != null) {
            RetryPolicy r = retry(f.get("retry"), "spec.defaults.retry", BASE_RETRY);
            if (r != null) {
                retry = r;
                defaultsRetrySet = true;
            }
        }
        Duration timeout = duration(f.get("timeout"), "spec.defaults.timeout", true);
        defaults = new Workflow.Defaults(model, fallback == null ? List.of() : fallback, retry, timeout);
    }

    private RetryPolicy retry(org.snakeyaml.engine.v2.nodes.Node n, String what, RetryPolicy base) {
        Fields f = fields(n, what, RETRY_KEYS);
        if (f == null) {
            return null;
        }
        Long attempts = longValue(f.get("maxAttempts"), sub(what, "maxAttempts"), 1);
        String backoff = oneOf(f.get("backoff"), sub(what, "backoff"), BACKOFFS);
        Duration initial = duration(f.get("initialDelay"), sub(what, "initialDelay"), false);
        Duration max = duration(f.get("maxDelay"), sub(what, "maxDelay"), false);
        if (initial != null && max != null && max.compareTo(initial) < 0) {
            error(f.get("maxDelay"), "expected " + sub(what, "maxDelay") + " to be at least initialDelay ("
                    + Durations.format(initial) + "), found " + Durations.format(max));
        }
        Duration initialDelay = initial != null ? initial : base.initialDelay();
        Duration maxDelay = max != null ? max : base.maxDelay();
        if (maxDelay.compareTo(initialDelay) < 0) {
            maxDelay = initialDelay;
        }
        return new RetryPolicy(attempts != null ? Math.toIntExact(Math.min(attempts, Integer.MAX_VALUE))
                : base.maxAttempts(), backoff != null ? backoff : base.backoff(), initialDelay, maxDelay);
    }

    private void tools(org.snakeyaml.engine.v2.nodes.Node n) {
        if (n == null) {
            return;
        }
        if (!(n instanceof MappingNode m)) {
            error(n, "expected spec.tools to be a mapping of tool name to {description, parameters, uri}, found "
                    + describe(n));
            return;
        }
        Map<String, Workflow.ToolDef> out = new LinkedHashMap<>();
        Map<String, org.snakeyaml.engine.v2.nodes.Node> seen = new HashMap<>();
        for (NodeTuple t : m.getValue()) {
            String name = key(t.getKeyNode(), "spec.tools", seen);
            if (name == null) {
                continue;
            }
            if (!TOOL_NAME.matcher(name).matches()) {
                error(t.getKeyNode(), "expected a tool name of letters, digits, '_' and '-' (at most 64 characters, "
                        + "as LLM providers require), found '" + name + "'");
            }
            String what = "tool '" + name + "'";
            Fields f = fields(t.getValueNode(), what, TOOL_KEYS);
            if (f == null) {
                continue;
            }
            String description = string(f.required("description"), sub(what, "description"));
            Map<String, Object> parameters = jsonSchema(f.get("parameters"), sub(what, "parameters"));
            String uri = string(f.required("uri"), sub(what, "uri"));
            if (uri != null && uri.isBlank()) {
                error(f.get("uri"), "expected " + sub(what, "uri") + " to be a Camel endpoint URI such as direct:kb-search, "
                        + "found an empty string");
            } else {
                endpointScheme(f.get("uri"), uri, sub(what, "uri"), "direct:kb-search");
            }
            out.put(name, new Workflow.ToolDef(name, description,
                    parameters != null ? parameters : Map.of("type", "object"), uri, position(t.getKeyNode())));
        }
        tools = Collections.unmodifiableMap(out);
    }

    // ------------------------------------------------------------------ nodes

    /** Variables and node ids expressions see. */
    private record Scope(Set<String> variables, Visible visible, String self, Set<String> outer,
            Set<String> siblings) {
    }

    /** The nodes whose output an expression may read. */
    private sealed interface Visible {
        boolean contains(String id);

        Set<String> all();
    }

    private record AllOf(Set<String> ids) implements Visible {
        @Override
        public boolean contains(String id) {
            return ids.contains(id);
        }

        @Override
        public Set<String> all() {
            return ids;
        }
    }

    /**
     * The nodes a node waits for, directly or through others, searched per reference: the set itself, made for every
     * node, would cost time quadratic in the length of a chain.
     */
    private record Upstream(String self, Map<String, List<String>> needs, Set<String> ids) implements Visible {
        @Override
        public boolean contains(String id) {
            return !id.equals(self) && ids.contains(id) && walkUpstream(self, needs, new HashSet<>(), id::equals);
        }

        @Override
        public Set<String> all() {
            Set<String> all = new LinkedHashSet<>();
            walkUpstream(self, needs, all, n -> false);
            all.remove(self);
            all.retainAll(ids);
            return all;
        }
    }

    private record NodeList(List<Node> nodes, Set<String> ids) {
    }

    private NodeList nodes(org.snakeyaml.engine.v2.nodes.Node n, String what, Set<String> variables,
            Set<String> outerIds) {
        if (n == null) {
            return new NodeList(List.of(), Set.of());
        }
        if (!(n instanceof SequenceNode seq)) {
            error(n, "expected " + what + " to be a list of nodes, found " + describe(n));
            return new NodeList(List.of(), Set.of());
        }
        if (seq.getValue().isEmpty()) {
            error(n, "expected " + what + " to hold at least one node, found an empty list");
            return new NodeList(List.of(), Set.of());
        }
        if (seq.getValue().size() > limits.nodes() - nodeCount) {
            throw limitReached(seq.getValue().get(limits.nodes() - nodeCount), "the file has more than "
                    + limits.nodes() + " nodes, " + LoadLimits.refusal("nodes"));
        }
        nodeCount += seq.getValue().size();
        // first pass: ids, so needs and expressions can refer to any node of the list
        Map<String, org.snakeyaml.engine.v2.nodes.Node> idNodes = new LinkedHashMap<>();
        List<String> idOf = new ArrayList<>();
        List<String> labelOf = new ArrayList<>();
        for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) {
            String id = null;
            if (item instanceof MappingNode m) {
                org.snakeyaml.engine.v2.nodes.Node idNode = valueOf(m, "id");
                if (idNode == null) {
                    error(item, "expected every node in " + what + " to have an 'id', found a node without one");
                } else {
                    id = string(idNode, "node id");
                    if (id != null && !NODE_ID.matcher(id).matches()) {
                        error(idNode, "expected a node id of letters, digits, '_' and '-' starting with a letter "
                                + "or '_' (at most 63 characters), found '" + id + "'");
                    } else if (id != null && idNodes.containsKey(id)) {
                        error(idNode, "duplicate node id '" + id + "': also defined at " + position(idNodes.get(id)));
                        labelOf.add(id);
                        idOf.add(null);
                        continue;
                    } else if (id != null) {
                        idNodes.put(id, idNode);
                    }
                }
            } else {
                error(item, "expected a node (a mapping with 'id' and one of " + String.join(", ", KINDS)
                        + "), found " + describe(item));
            }
            idOf.add(id);
            labelOf.add(id);
        }
        Set<String> ids = Collections.unmodifiableSet(new LinkedHashSet<>(idNodes.keySet()));
        Set<String> outer = new HashSet<>(outerIds);
        List<Node> out = new ArrayList<>();
        Map<String, List<NeedRef>> needsOf = new LinkedHashMap<>();
        Map<String, List<String>> declaredNeeds = declaredNeeds(seq, idOf);
        for (int i = 0; i < seq.getValue().size(); i++) {
            org.snakeyaml.engine.v2.nodes.Node item = seq.getValue().get(i);
            if (!(item instanceof MappingNode)) {
                continue;
            }
            String id = idOf.get(i);
            // a node reads only what it waits for: the nodes it needs, directly or through others
            Visible visible = id == null ? new AllOf(Set.of()) : new Upstream(id, declaredNeeds, ids);
            Scope scope = new Scope(variables, visible, id, outer, ids);
            List<NeedRef> needRefs = new ArrayList<>();
            Node node = node((MappingNode) item, id, labelOf.get(i), scope, ids, needRefs);
            if (node != null) {
                out.add(node);
            }
            if (id != null) {
                needsOf.put(id, needRefs);
            }
        }
        cycles(needsOf, idNodes);
        return new NodeList(List.copyOf(out), ids);
    }

    private record NeedRef(String id, org.snakeyaml.engine.v2.nodes.Node node) {
    }

    /** The ids each node of a list names under {@code needs}, read ahead so scopes can be computed. */
    private static Map<String, List<String>> declaredNeeds(SequenceNode seq, List<String> idOf) {
        Map<String, List<String>> out = new HashMap<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            if (!(seq.getValue().get(i) instanceof MappingNode m) || idOf.get(i) == null) {
                continue;
            }
            List<String> needs = new ArrayList<>();
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("needs")) {
                    if (t.getValueNode() instanceof SequenceNode list) {
                        list.getValue().forEach(n -> {
                            if (n instanceof ScalarNode v) {
                                needs.add(v.getValue());
                            }
                        });
                    } else if (t.getValueNode() instanceof ScalarNode v) {
                        needs.add(v.getValue());
                    }
                }
            }
            out.put(idOf.get(i), needs);
        }
        return out;
    }

    /**
     * Walks the nodes {@code id} waits for, directly or transitively, adding each to {@code seen} (a cycle, reported
     * elsewhere, is walked once), until {@code found} accepts one; whether it did.
     */
    private static boolean walkUpstream(String id, Map<String, List<String>> needs, Set<String> seen,
            Predicate<String> found) {
        Deque<String> toVisit = new ArrayDeque<>(needs.getOrDefault(id, List.of()));
        while (!toVisit.isEmpty()) {
            String n = toVisit.pop();
            if (found.test(n)) {
                return true;
            }
            if (seen.add(n)) {
                toVisit.addAll(needs.getOrDefault(n, List.of()));
            }
        }
        return false;
    }

    private Node node(MappingNode m, String id, String labelId, Scope scope, Set<String> ids,
            List<NeedRef> needRefs) {
        String label = labelId == null ? "node" : "node '" + labelId + "'";
        Fields f = fields(m, label, NODE_KEYS);
        if (f == null) {
            return null;
        }
        // needs
        List<String> needs = new ArrayList<>();
        org.snakeyaml.engine.v2.nodes.Node needsNode = f.get("needs");
        if (needsNode != null) {
            List<org.snakeyaml.engine.v2.nodes.Node> entries = needsNode instanceof SequenceNode s ? s.getValue()
                    : List.of(needsNode);
            if (!(needsNode instanceof SequenceNode) && !(needsNode instanceof ScalarNode)) {
                error(needsNode, "expected needs of " + label + " to be a list of node ids, found "
                        + describe(needsNode));
                entries = List.of();
            }
            for (org.snakeyaml.engine.v2.nodes.Node e : entries) {
                String need = string(e, "needs of " + label);
                if (need == null) {
                    continue;
                }
                if (!ids.contains(need)) {
                    error(e, "needs of " + label + " names unknown node '" + need + "'; expected one of: "
                            + listOrNone(ids, id));
                } else if (needs.contains(need)) {
                    error(e, "needs of " + label + " names '" + need + "' twice");
                } else {
                    needs.add(need);
                    needRefs.add(new NeedRef(need, e));
                }
            }
        }
        // when
        String when = condition(f.get("when"), "when of " + label, scope);
        RetryPolicy retry = f.get("retry") == null ? null
                : retry(f.get("retry"), "retry of " + label, defaultsRetrySet ? defaults.retry() : BASE_RETRY);
        Duration timeout = duration(f.get("timeout"), "timeout of " + label, true);
        boolean continueOnError = "continue".equals(oneOf(f.get("onError"), "onError of " + label, ON_ERROR));

        // kind
        List<NodeTuple> kinds = new ArrayList<>();
        for (String k : KINDS) {
            if (f.has(k)) {
                kinds.add(f.tuple(k));
            }
        }
        if (kinds.isEmpty()) {
            error(m, "expected " + label + " to have exactly one kind key (" + String.join(", ", KINDS)
                    + "), found none");
            return null;
        }
        if (kinds.size() > 1) {
            List<String> names = kinds.stream().map(t -> ((ScalarNode) t.getKeyNode()).getValue()).toList();
            error(kinds.get(1).getKeyNode(), "expected " + label + " to have exactly one kind key ("
                    + String.join(", ", KINDS) + "), found " + kinds.size() + ": " + String.join(", ", names));
            return null;
        }
        String kind = ((ScalarNode) kinds.get(0).getKeyNode()).getValue();
        org.snakeyaml.engine.v2.nodes.Node body = kinds.get(0).getValueNode();
        String what = kind + " of " + label;
        NodeSpec spec = switch (kind) {
            case "agent" -> agent(body, what, scope);
            case "call" -> call(body, what, scope);
            case "set" -> compute(body, what, scope);
            case "remember" -> {
                NodeSpec.Compute values = compute(body, what, scope);
                yield values == null ? null : new NodeSpec.Remember(values.values());
            }
            case "gate" -> gate(body, what, scope);
            case "map" -> forEach(body, what, scope, id);
            case "loop" -> loop(body, what, scope, id);
            case "workflow" -> subWorkflow(body, what, scope);
            case "wait" -> await(body, what, scope);
            case "fail" -> fail(body, what, scope);
            default -> emit(body, what, scope);
        };
        if (continueOnError && spec instanceof NodeSpec.Fail) {
            error(f.get("onError"), "expected onError of " + label + " to be fail (a fail node is there to fail the "
                    + "run, or the map or loop around it), found continue");
        }
        if (spec == null || id == null) {
            return null;
        }
        return new Node(id, List.copyOf(needs), when, spec, retry, timeout, position(m), continueOnError);
    }

    /** The providers a model reference may name (null: only the form of references is checked); asked once. */
    private Supplier<Set<String>> modelProviders = () -> null;
    private Set<String> knownProviders;
    private boolean providersAsked;

    /** Finding the providers may scan the class path: it is done only when a reference is met. */
    WorkflowParser modelProviders(Supplier<Set<String>> providers) {
        this.modelProviders = providers;
        return this;
    }

    private Set<String> knownProviders() {
        if (!providersAsked) {
            Set<String> known = modelProviders.get();
            knownProviders = known == null ? null : Set.copyOf(known);
            providersAsked = true;
        }
        return knownProviders;
    }

    /**
     * A model reference (or a list of them) as the caravan-llm component reads it when the node's endpoint starts:
     * provider:model or a provider alone, naming a provider that is there.
     */
    private void modelReferences(org.snakeyaml.engine.v2.nodes.Node n, String what) {
        if (n instanceof SequenceNode seq) {
            seq.getValue().forEach(item -> modelReferences(item, what));
            return;
        }
        if (!isString(n)) {
            return; // the wrong type is reported where the value is read
        }
        String ref = ((ScalarNode) n).getValue();
        ModelReference parsed;
        try {
            parsed = ModelReference.parse(ref);
        } catch (IllegalArgumentException e) {
            error(n, "expected " + what + " to be a model reference provider:model (such as openai:gpt-4o-mini) or "
                    + "scripted, found " + describe(n));
            return;
        }
        Set<String> known = knownProviders();
        if (known != null && !known.contains(parsed.provider())) {
            error(n, "unknown model provider '" + parsed.provider() + "' in " + what + "; expected one of: "
                    + String.join(", ", new TreeSet<>(known)));
        }
    }

    private NodeSpec.Agent agent(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, AGENT_KEYS);
        if (f == null) {
            return null;
        }
        String model = string(f.get("model"), sub(what, "model"));
        List<String> fallback = stringOrList(f.get("fallback"), sub(what, "fallback"));
        modelReferences(f.get("model"), sub(what, "model"));
        modelReferences(f.get("fallback"), sub(what, "fallback"));
        String system = stringTemplate(f.get("system"), sub(what, "system"), scope);
        String prompt = stringTemplate(f.required("prompt"), sub(what, "prompt"), scope);
        Map<String, Object> output = jsonSchema(f.get("output"), sub(what, "output"));
        List<String> toolNames = List.of();
        org.snakeyaml.engine.v2.nodes.Node toolsNode = f.get("tools");
        if (toolsNode != null) {
            if (!(toolsNode instanceof SequenceNode seq)) {
                error(toolsNode, "expected " + sub(what, "tools") + " to be a list of tool names, found " + describe(toolsNode));
            } else {
                List<String> names = new ArrayList<>();
                for (org.snakeyaml.engine.v2.nodes.Node t : seq.getValue()) {
                    String name = string(t, sub(what, "tools"));
                    if (name == null) {
                        continue;
                    }
                    if (!tools.containsKey(name)) {
                        error(t, "unknown tool '" + name + "' in " + sub(what, "tools") + "; expected one of the tools in "
                                + "spec.tools: " + listOrNone(tools.keySet(), null));
                    }
                    names.add(name);
                }
                toolNames = List.copyOf(names);
            }
        }
        Long maxTokens = longValue(f.get("maxTokens"), sub(what, "maxTokens"), 1);
        Double temperature = number(f.get("temperature"), sub(what, "temperature"), 0, 2);
        Long maxToolRounds = longValue(f.get("maxToolRounds"), sub(what, "maxToolRounds"), 0);
        NodeSpec.Scripted scripted = scripted(f.get("scripted"), sub(what, "scripted"));
        if (model == null && scripted != null) {
            model = "scripted";
        }
        if (model == null) {
            model = defaults.model();
        }
        if (model == null && f.get("model") == null) {
            error(n, "expected " + what + " to name a model: set model here or spec.defaults.model, found neither");
        }
        if (fallback == null) {
            fallback = defaults.fallback();
        }
        return new NodeSpec.Agent(model, fallback, system, prompt, output, toolNames,
                maxTokens == null ? null : Math.toIntExact(Math.min(maxTokens, Integer.MAX_VALUE)), temperature,
                maxToolRounds == null ? null : Math.toIntExact(Math.min(maxToolRounds, Integer.MAX_VALUE)), scripted);
    }

    private NodeSpec.Scripted scripted(org.snakeyaml.engine.v2.nodes.Node n, String what) {
        Fields f = fields(n, what, SCRIPTED_KEYS);
        if (f == null) {
            return null;
        }
        List<Object> replies = new ArrayList<>();
        org.snakeyaml.engine.v2.nodes.Node r = f.get("replies");
        if (r != null) {
            if (!(r instanceof SequenceNode seq)) {
                error(r, "expected " + sub(what, "replies") + " to be a list of replies, found " + describe(r));
            } else {
                for (org.snakeyaml.engine.v2.nodes.Node reply : seq.getValue()) {
                    if (reply instanceof MappingNode) {
                        Fields rf = fields(reply, what + " reply", REPLY_KEYS);
                        if (rf != null) {
                            if (rf.get("text") != null) {
                                string(rf.get("text"), what + " reply text");
                            }
                            if (rf.get("toolCalls") != null) {
                                if (rf.get("toolCalls") instanceof SequenceNode calls) {
                                    for (org.snakeyaml.engine.v2.nodes.Node c : calls.getValue()) {
                                        Fields cf = fields(c, what + " tool call", TOOL_CALL_KEYS);
                                        if (cf != null) {
                                            string(cf.required("name"), what + " tool call name");
                                        }
                                    }
                                } else {
                                    error(rf.get("toolCalls"), "expected toolCalls to be a list of {name, arguments}, "
                                            + "found " + describe(rf.get("toolCalls")));
                                }
                            }
                            if (rf.get("error") != null) {
                                Fields ef = fields(rf.get("error"), what + " reply error", REPLY_ERROR_KEYS);
                                if (ef != null) {
                                    // the scripted model refuses the script at start over any other type
                                    org.snakeyaml.engine.v2.nodes.Node type = ef.required("type");
                                    String t = string(type, what + " reply error type");
                                    if (t != null && !ScriptedChatModel.ERROR_TYPES.contains(
                                            t.toLowerCase(Locale.ROOT))) {
                                        error(type, "expected " + what + " reply error type to be one of "
                                                + String.join(", ", ScriptedChatModel.ERROR_TYPES) + ", found "
                                                + describe(type));
                                    }
                                    string(ef.get("message"), what + " reply error message");
                                }
                            }
                            if (rf.get("toolCalls") instanceof SequenceNode calls && calls.getValue().isEmpty()) {
                                error(calls, "expected toolCalls of " + what + " reply to hold at least one tool call, "
                                        + "found an empty list");
                            }
                            if (rf.get("text") == null && rf.get("json") == null && rf.get("toolCalls") == null
                                    && rf.get("error") == null) {
                                error(reply, "expected a reply of " + what + " to have one of text, json, toolCalls "
                                        + "or error, found none");
                            }
                        }
                    } else if (!isString(reply)) {
                        error(reply, "expected a reply to be a string or a mapping with text, json, toolCalls or "
                                + "error, found " + describe(reply));
                    }
                    replies.add(java(reply, 0));
                }
            }
        }
        Long latency = longValue(f.get("latencyMs"), sub(what, "latencyMs"), 0);
        return new NodeSpec.Scripted(List.copyOf(replies), latency);
    }

    private NodeSpec.Call call(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, CALL_KEYS);
        if (f == null) {
            return null;
        }
        String uri = stringTemplate(f.required("uri"), sub(what, "uri"), scope);
        if (uri != null && uri.isBlank()) {
            error(f.get("uri"), "expected " + sub(what, "uri") + " to be a Camel endpoint URI such as direct:send-mail, "
                    + "found an empty string");
        } else {
            endpointScheme(f.get("uri"), uri, sub(what, "uri"), "direct:send-mail");
        }
        Object body = f.get("body") == null ? null : template(f.get("body"), sub(what, "body"), scope);
        Map<String, Object> headers = null;
        org.snakeyaml.engine.v2.nodes.Node h = f.get("headers");
        if (h != null) {
            if (!(h instanceof MappingNode)) {
                error(h, "expected " + sub(what, "headers") + " to be a mapping of header name to value, found " + describe(h));
            } else {
                headers = asMap(template(h, sub(what, "headers"), scope));
            }
        }
        return new NodeSpec.Call(uri, body, headers);
    }

    private static final Pattern URI_SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:.*", Pattern.DOTALL);

    /**
     * A fixed endpoint URI starts with a scheme, or Camel finds no component for it when the endpoint starts; whether
     * that component is on the class path is the run's to say.
     */
    private void endpointScheme(org.snakeyaml.engine.v2.nodes.Node n, String uri, String what, String example) {
        if (uri == null || uri.isBlank() || Expressions.containsExpression(uri) || URI_SCHEME.matcher(uri.strip())
                .matches()) {
            return;
        }
        error(n, "expected " + what + " to be a Camel endpoint URI scheme:path such as " + example + ", found "
                + describe(n) + " (no scheme)");
    }

    private NodeSpec.Compute compute(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        if (!(n instanceof MappingNode)) {
            error(n, "expected " + what + " to be a mapping of names to values, found " + describe(n));
            return null;
        }
        return new NodeSpec.Compute(asMap(template(n, what, scope)));
    }

    private NodeSpec.Gate gate(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, GATE_KEYS);
        if (f == null) {
            return null;
        }
        String message = stringTemplate(f.get("message"), sub(what, "message"), scope);
        Duration timeout = duration(f.get("timeout"), sub(what, "timeout"), true);
        String onTimeout = oneOf(f.get("onTimeout"), sub(what, "onTimeout"), GATE_ON_TIMEOUT);
        return new NodeSpec.Gate(message, timeout, onTimeout == null ? DEFAULT_ON_TIMEOUT : onTimeout);
    }

    private NodeSpec.ForEach forEach(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope, String self) {
        Fields f = fields(n, what, MAP_KEYS);
        if (f == null) {
            return null;
        }
        org.snakeyaml.engine.v2.nodes.Node itemsNode = f.required("items");
        Object items = null;
        if (itemsNode != null) {
            // a string that is not exactly one ${{ }} evaluates to text, which the map refuses when it runs
            if (itemsNode instanceof MappingNode || (itemsNode instanceof ScalarNode s && (!isString(s)
                    || !Expressions.isSingleExpression(s.getValue())))) {
                error(itemsNode, "expected " + sub(what, "items") + " to be a list or a ${{ }} expression giving one, found "
                        + describe(itemsNode));
            } else {
                items = template(itemsNode, sub(what, "items"), scope);
            }
        }
        Object itemsTemplate = items;
        Long concurrency = longValue(f.get("concurrency"), sub(what, "concurrency"), 1);
        Set<String> vars = new HashSet<>(scope.variables());
        vars.add(Expressions.ITEM);
        vars.add(Expressions.INDEX);
        return subDag(f, what, scope, self, vars, (nodes, output) -> new NodeSpec.ForEach(itemsTemplate,
                concurrency == null ? DEFAULT_CONCURRENCY : Math.toIntExact(Math.min(concurrency, Integer.MAX_VALUE)),
                nodes, output), null);
    }

    private NodeSpec.Loop loop(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope, String self) {
        Fields f = fields(n, what, LOOP_KEYS);
        if (f == null) {
            return null;
        }
        Long max = longValue(f.required("max"), sub(what, "max"), 1);
        Set<String> vars = new HashSet<>(scope.variables());
        vars.add(Expressions.ITERATION);
        String[] until = new String[1];
        return subDag(f, what, scope, self, vars, (nodes, output) -> new NodeSpec.Loop(
                max == null ? 1 : Math.toIntExact(Math.min(max, Integer.MAX_VALUE)), until[0], nodes, output),
                inner -> until[0] = condition(f.get("until"), sub(what, "until"), inner));
    }

    private interface SubDagFactory<T> {
        T create(List<Node> nodes, Object output);
    }

    private <T extends NodeSpec> T subDag(Fields f, String what, Scope scope, String self, Set<String> vars,
            SubDagFactory<T> factory, java.util.function.Consumer<Scope> extra) {
        Set<String> outer = new HashSet<>(scope.outer());
        outer.addAll(scope.siblings());
        if (self != null) {
            outer.add(self);
        }
        NodeList sub = nodes(f.required("nodes"), sub(what, "nodes"), Set.copyOf(vars), outer);
        Scope inner = new Scope(Set.copyOf(vars), new AllOf(sub.ids()), null, outer, sub.ids());
        if (extra != null) {
            extra.accept(inner);
        }
        Object output = f.get("output") == null ? null : template(f.get("output"), sub(what, "output"), inner);
        return factory.create(sub.nodes(), output);
    }

    private NodeSpec.SubWorkflow subWorkflow(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, WORKFLOW_KEYS);
        if (f == null) {
            return null;
        }
        org.snakeyaml.engine.v2.nodes.Node nameNode = f.required("name");
        String name = string(nameNode, sub(what, "name"));
        if (name != null && !DNS_LABEL.matcher(name).matches()) {
            error(nameNode, "expected " + sub(what, "name") + " to be the metadata.name of a workflow (a DNS label), found '"
                    + name + "'");
        }
        Object input = f.get("input") == null ? null : template(f.get("input"), sub(what, "input"), scope);
        return new NodeSpec.SubWorkflow(name, input);
    }

    private NodeSpec.Wait await(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, WAIT_KEYS);
        if (f == null) {
            return null;
        }
        org.snakeyaml.engine.v2.nodes.Node d = f.get("duration");
        org.snakeyaml.engine.v2.nodes.Node u = f.get("until");
        if (d != null && u != null) {
            error(u, "expected exactly one of 'duration' or 'until' in " + what + ", found both");
        } else if (d == null && u == null) {
            error(n, "expected exactly one of 'duration' or 'until' in " + what + ", found neither");
        }
        String duration = null;
        if (d != null) {
            if (d instanceof ScalarNode s && isString(s) && Expressions.containsExpression(s.getValue())) {
                duration = stringTemplate(d, sub(what, "duration"), scope);
            } else {
                Duration parsed = duration(d, sub(what, "duration"), false);
                duration = parsed == null ? null : ((ScalarNode) d).getValue().strip();
            }
        }
        String until = u == null ? null : stringTemplate(u, sub(what, "until"), scope);
        if (until != null && !Expressions.containsExpression(until)) {
            try {
                // as the node reads it when it runs
                java.time.OffsetDateTime.parse(until);
            } catch (java.time.format.DateTimeParseException e) {
                error(u, "expected " + sub(what, "until") + " to be an RFC 3339 timestamp such as 2030-01-01T09:00:00Z "
                        + "or a ${{ }} expression giving one, found " + describe(u));
            }
        }
        return new NodeSpec.Wait(duration, until);
    }

    private NodeSpec.Emit emit(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, EMIT_KEYS);
        if (f == null) {
            return null;
        }
        org.snakeyaml.engine.v2.nodes.Node typeNode = f.required("type");
        String type = string(typeNode, sub(what, "type"));
        if (type != null && !EVENT_TYPE.matcher(type).matches()) {
            error(typeNode, "expected " + sub(what, "type") + " to be an event type of letters, digits, '.', '_' and '-' "
                    + "such as ticket.triaged, found '" + type + "'");
        }
        Object data = f.get("data") == null ? null : template(f.get("data"), sub(what, "data"), scope);
        return new NodeSpec.Emit(type, data);
    }

    private NodeSpec.Fail fail(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        Fields f = fields(n, what, FAIL_KEYS);
        if (f == null) {
            return null;
        }
        String message = stringTemplate(f.required("message"), sub(what, "message"), scope);
        org.snakeyaml.engine.v2.nodes.Node codeNode = f.get("code");
        String code = stringTemplate(codeNode, sub(what, "code"), scope);
        if (code != null && !Expressions.containsExpression(code) && !ERROR_CODE.matcher(code).matches()) {
            error(codeNode, "expected " + sub(what, "code") + " to be an error code of letters, digits, '_', '.' and '-' "
                    + "starting with a letter (at most 64 characters) such as NO_ANSWER, found '" + code + "'");
        }
        return new NodeSpec.Fail(message, code);
    }

    private void cycles(Map<String, List<NeedRef>> needsOf, Map<String, org.snakeyaml.engine.v2.nodes.Node> idNodes) {
        Map<String, Integer> state = new HashMap<>();
        List<String> order = new ArrayList<>(needsOf.keySet());
        Set<String> reported = new HashSet<>();
        for (String start : order) {
            dfs(start, needsOf, state, new ArrayList<>(), idNodes, reported, order);
        }
    }

    private void dfs(String id, Map<String, List<NeedRef>> needsOf, Map<String, Integer> state, List<String> stack,
            Map<String, org.snakeyaml.engine.v2.nodes.Node> idNodes, Set<String> reported, List<String> order) {
        Integer s = state.get(id);
        if (s != null && s == 2) {
            return;
        }
        if (s != null && s == 1) {
            List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(id), stack.size()));
            // start the cycle at the node that comes first in the file, so each cycle is reported once
            String first = cycle.stream().min(Comparator.comparingInt(order::indexOf)).orElseThrow();
            Collections.rotate(cycle, -cycle.indexOf(first));
            String key = new TreeSet<>(cycle).toString();
            if (reported.add(key)) {
                // needs point from a node to what it waits for; print the cycle in run order
                List<String> runOrder = new ArrayList<>(cycle);
                Collections.reverse(runOrder);
                Collections.rotate(runOrder, -runOrder.indexOf(first));
                StringBuilder sb = new StringBuilder();
                for (String c : runOrder) {
                    sb.append(c).append(" (").append(position(idNodes.get(c))).append(") -> ");
                }
                sb.append(first);
                error(idNodes.get(first), "needs form a cycle: " + sb + "; expected the nodes to form a DAG");
            }
            return;
        }
        state.put(id, 1);
        stack.add(id);
        for (NeedRef r : needsOf.getOrDefault(id, List.of())) {
            dfs(r.id(), needsOf, state, stack, idNodes, reported, order);
        }
        stack.remove(stack.size() - 1);
        state.put(id, 2);
    }

    // ------------------------------------------------------------------ templates and expressions

    /** A template value: converted to plain Java, every string holding ${{ }} compiled and checked. */
    private Object template(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        checkExpressions(n, what, scope, 0);
        return java(n, 0);
    }

    private void checkExpressions(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope, int depth) {
        if (depth > limits.depth()) {
            return;
        }
        if (n instanceof ScalarNode s) {
            if (isString(s) && Expressions.containsExpression(s.getValue())) {
                expression(s, what, scope);
            }
        } else if (n instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                checkExpressions(t.getValueNode(), what, scope, depth + 1);
            }
        } else if (n instanceof SequenceNode seq) {
            for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) {
                checkExpressions(item, what, scope, depth + 1);
            }
        }
    }

    private Template expression(ScalarNode s, String what, Scope scope) {
        String text = s.getValue();
        int tooLong = longExpression(text);
        if (tooLong >= 0) {
            problems.add(new Problem(at(s, tooLong), what + ": an expression longer than " + limits.expressionChars()
                    + " characters, " + LoadLimits.refusal("expression-chars")));
            return null;
        }
        Template t;
        try {
            t = expressions.compile(text, scope.variables());
        } catch (ExpressionException e) {
            problems.add(new Problem(at(s, e.offset()), what + ": " + e.getMessage()));
            return null;
        }
        for (Template.Reference r : t.referenceSites()) {
            if (scope.visible().contains(r.nodeId())) {
                continue;
            }
            String id = r.nodeId();
            String message;
            if (id.equals(scope.self())) {
                message = what + ": a node cannot read its own output; expected one of the other nodes: "
                        + listOrNone(scope.visible().all(), null) + ", found nodes." + id;
            } else if (scope.siblings().contains(id)) {
                message = what + ": node '" + id + "' is not upstream of '" + scope.self() + "': add it to needs"
                        + " (directly or through a node it needs) so its output exists when this runs; expected one"
                        + " of: " + listOrNone(scope.visible().all(), null);
            } else if (scope.outer().contains(id)) {
                message = what + ": node '" + id + "' is not visible here: map and loop sub-nodes see only the "
                        + "nodes of their own list; expected one of: " + listOrNone(scope.visible().all(), null)
                        + " (pass outer values in through input or the map items)";
            } else {
                message = what + ": unknown node '" + id + "' in nodes." + id + "; expected one of: "
                        + listOrNone(scope.visible().all(), null);
            }
            problems.add(new Problem(at(s, r.offset()), message));
        }
        return t;
    }

    /** Where the first ${{ }} longer than the limit starts in the text, or -1. */
    private int longExpression(String text) {
        if (text.length() <= limits.expressionChars()) {
            return -1;
        }
        int open = text.indexOf("${{");
        while (open >= 0) {
            int close = text.indexOf("}}", open + 3);
            int end = close < 0 ? text.length() : close;
            if (end - open - 3 > limits.expressionChars()) {
                return open;
            }
            open = close < 0 ? -1 : text.indexOf("${{", close + 2);
        }
        return -1;
    }

    /** A string field that may hold ${{ }} expressions. */
    private String stringTemplate(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        String s = string(n, what);
        if (s != null && Expressions.containsExpression(s)) {
            expression((ScalarNode) n, what, scope);
        }
        return s;
    }

    /** A condition: exactly one ${{ }} expression (or a boolean literal). */
    private String condition(org.snakeyaml.engine.v2.nodes.Node n, String what, Scope scope) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            return "${{ " + s.getValue().toLowerCase(Locale.ROOT) + " }}";
        }
        String s = string(n, what);
        if (s == null) {
            return null;
        }
        String t = s.strip();
        if (!t.startsWith("${{") || !t.endsWith("}}") || t.indexOf("${{", 3) >= 0) {
            error(n, "expected " + what + " to be a condition written as ${{ <expression> }}, found "
                    + describe(n));
            return null;
        }
        expression((ScalarNode) n, what, scope);
        return s;
    }

    // ------------------------------------------------------------------ JSON Schema

    private Map<String, Object> jsonSchema(org.snakeyaml.engine.v2.nodes.Node n, String what) {
        if (n == null) {
            return null;
        }
        if (!(n instanceof MappingNode)) {
            error(n, "expected " + what + " to be a JSON Schema (a mapping such as {type: object}), found "
                    + describe(n));
            return null;
        }
        Map<String, Object> schema = asMap(java(n, 0));
        Object declared = schema.get("$schema");
        String dialect = JsonSchemas.dialect(declared instanceof String d ? d : null);
        if (dialect == null || (declared != null && !(declared instanceof String))) {
            error(valueOf((MappingNode) n, "$schema"), "expected " + sub(what, "$schema") + " to be one of "
                    + String.join(", ", JsonSchemas.dialects()) + ", found " + describe(valueOf((MappingNode) n,
                            "$schema")));
            return schema;
        }
        try {
            for (JsonSchemas.Violation v : metaSchemas.check(schema, dialect)) {
                org.snakeyaml.engine.v2.nodes.Node at = n;
                for (Object p : v.path()) {
                    org.snakeyaml.engine.v2.nodes.Node next = null;
                    if (at instanceof MappingNode m && p instanceof String k) {
                        next = valueOf(m, k);
                    } else if (at instanceof SequenceNode seq && p instanceof Integer i && i < seq.getValue().size()) {
                        next = seq.getValue().get(i);
                    }
                    if (next == null) {
                        break;
                    }
                    at = next;
                }
                error(at, "invalid JSON Schema in " + what + ": " + v.message());
            }
        } catch (RuntimeException e) {
            error(n, "invalid JSON Schema in " + what + ": " + e.getMessage());
        }
        return schema;
    }

    // ------------------------------------------------------------------ scalars

    private String string(org.snakeyaml.engine.v2.nodes.Node n, String what) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && isString(s)) {
            return s.getValue();
        }
        error(n, "expected " + what + " to be a string, found " + describe(n));
        return null;
    }

    private List<String> stringOrList(org.snakeyaml.engine.v2.nodes.Node n, String what) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode) {
            String s = string(n, what);
            return s == null ? null : List.of(s);
        }
        if (n instanceof SequenceNode seq) {
            List<String> out = new ArrayList<>();
            for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) {
                String s = string(item, what + " entry");
                if (s != null) {
                    out.add(s);
                }
            }
            return List.copyOf(out);
        }
        error(n, "expected " + what + " to be a string or a list of strings, found " + describe(n));
        return null;
    }

    private String oneOf(org.snakeyaml.engine.v2.nodes.Node n, String what, List<String> allowed) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && isString(s) && allowed.contains(s.getValue())) {
            return s.getValue();
        }
        error(n, "expected " + what + " to be one of " + String.join(", ", allowed) + ", found " + describe(n));
        return null;
    }

    private Long longValue(org.snakeyaml.engine.v2.nodes.Node n, String what, long min) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            Object v = java(s, 0);
            if (v instanceof Number num && !(v instanceof BigInteger)) {
                long l = num.longValue();
                if (l >= min) {
                    return l;
                }
                error(n, "expected " + what + " to be at least " + min + ", found " + l);
                return null;
            }
        }
        error(n, "expected " + what + " to be a whole number" + (min > 0 ? " of at least " + min : " of at least 0")
                + ", found " + describe(n));
        return null;
    }

    private Double number(org.snakeyaml.engine.v2.nodes.Node n, String what, double min, double max) {
        if (n == null) {
            return null;
        }
        if (n instanceof ScalarNode s && (s.getTag().equals(Tag.INT) || s.getTag().equals(Tag.FLOAT))) {
            Object v = java(s, 0);
            double d = ((Number) v).doubleValue();
            if (d >= min && d <= max) {
                return d;
            }
            error(n, "expected " + what + " between " + fmt(min) + " and " + fmt(max) + ", found " + s.getValue());
            return null;
        }
        error(n, "expected " + what + " to be a number, found " + describe(n));
        return null;
    }

    /** {@code agent of node 'a'} and {@code prompt} give {@code agent.prompt of node 'a'}. */
    private static String sub(String what, String field) {
        int i = what.indexOf(" of ");
        return i < 0 ? what + "." + field : what.substring(0, i) + "." + field + what.substring(i);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private Duration duration(org.snakeyaml.engine.v2.nodes.Node n, String what, boolean positive) {
        if (n == null) {
            return null;
        }
        if (!(n instanceof ScalarNode s) || !isString(s)) {
            error(n, "expected " + what + " to be " + Durations.EXPECTED + ", found " + describe(n));
            return null;
        }
        try {
            Duration d = Durations.parse(s.getValue());
            if (positive && d.isZero()) {
                error(n, "expected " + what + " to be longer than zero, found '" + s.getValue() + "'");
                return null;
            }
            return d;
        } catch (IllegalArgumentException e) {
            error(n, "expected " + what + " to be " + Durations.EXPECTED + ", found " + describe(n));
            return null;
        }
    }

    private static boolean isString(org.snakeyaml.engine.v2.nodes.Node n) {
        return n instanceof ScalarNode s && s.getTag().equals(Tag.STR);
    }

    // ------------------------------------------------------------------ YAML → Java

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : null;
    }

    /** Plain Java as Jackson would produce it: LinkedHashMap, ArrayList, String, Integer/Long, Double, Boolean, null. */
    private Object java(org.snakeyaml.engine.v2.nodes.Node n, int depth) {
        if (depth > limits.depth()) {
            error(n, "values nest more than " + limits.depth() + " levels deep here once aliases are expanded, "
                    + LoadLimits.refusal("depth"));
            return null;
        }
        if (n instanceof ScalarNode s) {
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
                error(n, "expected a plain YAML value, found the tag " + tag.getValue());
            }
            return v;
        }
        if (n instanceof SequenceNode seq) {
            List<Object> out = new ArrayList<>();
            for (org.snakeyaml.engine.v2.nodes.Node item : seq.getValue()) {
                out.add(java(item, depth + 1));
            }
            return out;
        }
        if (n instanceof MappingNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            Map<String, org.snakeyaml.engine.v2.nodes.Node> seen = new HashMap<>();
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

    private String key(org.snakeyaml.engine.v2.nodes.Node k, String where,
            Map<String, org.snakeyaml.engine.v2.nodes.Node> seen) {
        if (!(k instanceof ScalarNode s) || s.getTag().equals(Tag.NULL)) {
            error(k, "expected a key in " + where + " to be a string, found " + describe(k));
            return null;
        }
        String key = s.getValue();
        org.snakeyaml.engine.v2.nodes.Node first = seen.putIfAbsent(key, k);
        if (first != null) {
            error(k, "duplicate key '" + key + "' in " + where + ": also defined at " + position(first));
            return null;
        }
        return key;
    }

    private static org.snakeyaml.engine.v2.nodes.Node valueOf(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }

    /** The keys of a mapping, checked against the allowed ones. */
    private final class Fields {
        private final MappingNode node;
        private final String what;
        private final Map<String, NodeTuple> tuples = new LinkedHashMap<>();

        Fields(MappingNode node, String what, List<String> allowed) {
            this.node = node;
            this.what = what;
            Map<String, org.snakeyaml.engine.v2.nodes.Node> seen = new HashMap<>();
            for (NodeTuple t : node.getValue()) {
                String k = key(t.getKeyNode(), what, seen);
                if (k == null) {
                    continue;
                }
                if (!allowed.contains(k)) {
                    error(t.getKeyNode(), "unknown key '" + k + "' in " + what + "; expected one of: "
                            + String.join(", ", allowed));
                    continue;
                }
                tuples.put(k, t);
            }
        }

        org.snakeyaml.engine.v2.nodes.Node get(String key) {
            NodeTuple t = tuples.get(key);
            return t == null ? null : t.getValueNode();
        }

        NodeTuple tuple(String key) {
            return tuples.get(key);
        }

        boolean has(String key) {
            return tuples.containsKey(key);
        }

        org.snakeyaml.engine.v2.nodes.Node required(String key) {
            org.snakeyaml.engine.v2.nodes.Node n = get(key);
            if (n == null) {
                error(node, "missing required key '" + key + "' in " + what);
            }
            return n;
        }
    }

    private Fields fields(org.snakeyaml.engine.v2.nodes.Node n, String what, List<String> allowed) {
        if (n == null) {
            return null;
        }
        if (!(n instanceof MappingNode m)) {
            error(n, "expected " + what + " to be a mapping with keys " + String.join(", ", allowed) + ", found "
                    + describe(n));
            return null;
        }
        return new Fields(m, what, allowed);
    }

    // ------------------------------------------------------------------ positions and messages

    private void error(org.snakeyaml.engine.v2.nodes.Node n, String message) {
        problems.add(new Problem(n == null ? new Position(file, 1, 1) : position(n), message));
    }

    private Position position(org.snakeyaml.engine.v2.nodes.Node n) {
        return position(n.getStartMark());
    }

    private Position position(Optional<Mark> mark) {
        return mark.map(m -> new Position(file, m.getLine() + 1, m.getColumn() + 1)).orElse(new Position(file, 1, 1));
    }

    /**
     * The position of character {@code offset} of a scalar's value: exact for single-line plain and quoted scalars and
     * for literal block scalars; the scalar's start otherwise.
     */
    Position at(ScalarNode s, int offset) {
        Position start = position(s);
        Optional<Mark> sm = s.getStartMark();
        Optional<Mark> em = s.getEndMark();
        if (sm.isEmpty() || em.isEmpty() || offset < 0) {
            return start;
        }
        String value = s.getValue();
        int off = Math.min(offset, value.length());
        int line = sm.get().getLine();
        ScalarStyle style = s.getScalarStyle();
        boolean singleLine = line == em.get().getLine();
        if (style == ScalarStyle.PLAIN && singleLine) {
            return new Position(file, line + 1, sm.get().getColumn() + 1 + value.codePointCount(0, off));
        }
        if ((style == ScalarStyle.SINGLE_QUOTED || style == ScalarStyle.DOUBLE_QUOTED) && singleLine) {
            int src = charIndex(line, sm.get().getColumn()) + 1;
            int v = 0;
            boolean single = style == ScalarStyle.SINGLE_QUOTED;
            while (v < off && src < content.length()) {
                char c = content.charAt(src);
                if (single && c == '\'' && src + 1 < content.length() && content.charAt(src + 1) == '\'') {
                    src += 2;
                } else if (!single && c == '\\' && src + 1 < content.length()) {
                    char e = content.charAt(src + 1);
                    src += e == 'x' ? 4 : e == 'u' ? 6 : e == 'U' ? 10 : 2;
                } else {
                    src++;
                }
                v++;
            }
            int lineStart = lineStarts[line];
            return new Position(file, line + 1, content.codePointCount(lineStart, Math.min(src, content.length())) + 1);
        }
        if (style == ScalarStyle.LITERAL) {
            int valueLine = 0;
            int lineStartInValue = 0;
            for (int i = 0; i < off; i++) {
                if (value.charAt(i) == '\n') {
                    valueLine++;
                    lineStartInValue = i + 1;
                }
            }
            int indent = -1;
            for (int l = line + 1; l < lineStarts.length; l++) {
                String text = lineText(l);
                if (!text.isBlank()) {
                    indent = text.length() - text.stripLeading().length();
                    break;
                }
            }
            int srcLine = line + 1 + valueLine;
            if (indent < 0 || srcLine >= lineStarts.length) {
                return start;
            }
            return new Position(file, srcLine + 1, indent + 1 + value.codePointCount(lineStartInValue, off));
        }
        return start;
    }

    private int charIndex(int line, int column) {
        int start = lineStarts[Math.min(line, lineStarts.length - 1)];
        try {
            return content.offsetByCodePoints(start, column);
        } catch (IndexOutOfBoundsException e) {
            return start;
        }
    }

    private String lineText(int line) {
        int start = lineStarts[line];
        int end = line + 1 < lineStarts.length ? lineStarts[line + 1] : content.length();
        String t = content.substring(start, end);
        return t.replace("\n", "").replace("\r", "");
    }

    static String describe(org.snakeyaml.engine.v2.nodes.Node n) {
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

    private static String listOrNone(Set<String> ids, String exclude) {
        List<String> l = ids.stream().filter(i -> !i.equals(exclude)).toList();
        return l.isEmpty() ? "(none)" : String.join(", ", l);
    }

    private static String sha256(String content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
