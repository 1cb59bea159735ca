package dev.caravan.dsl;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.caravan.expr.Expressions;

/**
 * One pass over one workflow file: reads the top level and each node's common keys, hands the value under a node's
 * kind key to its {@link NodeKind}, and collects every problem. The YAML is read by {@link YamlFile} (tree, limits,
 * positions), node lists are checked as graphs by {@link NodeGraph}, and templates, conditions, JSON Schemas and model
 * references by {@link ExpressionChecks}. Not thread-safe; one instance per load.
 */
final class WorkflowParser implements NodeGraph.NodeReader {

    private static final List<String> TOP_KEYS = List.of("apiVersion", "kind", "metadata", "spec");
    private static final List<String> METADATA_KEYS = List.of("name", "description");
    private static final List<String> SPEC_KEYS = List.of("input", "budget", "defaults", "nodes", "tools", "output",
            "triggers");
    private static final List<String> BUDGET_KEYS = List.of("usd", "tokens");
    private static final List<String> DEFAULTS_KEYS = List.of("model", "fallback", "retry", "timeout");
    private static final List<String> RETRY_KEYS = List.of("maxAttempts", "backoff", "initialDelay", "maxDelay");
    private static final List<String> TOOL_KEYS = List.of("description", "parameters", "uri");
    /** The keys of every node; one of the kinds' keys comes with them. */
    static final List<String> NODE_KEYS = List.of("id", "needs", "when", "retry", "timeout", "onError");
    private static final List<String> ON_ERROR = List.of("fail", "continue");
    private static final List<String> BACKOFFS = List.of("fixed", "exponential");

    /** Retry settings a {@code retry} block starts from when {@code spec.defaults.retry} is absent. */
    static final RetryPolicy BASE_RETRY = new RetryPolicy(3, "exponential", Duration.ofSeconds(1),
            Duration.ofSeconds(60));

    private static final Pattern TOOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final YamlFile file;
    private final NodeKinds kinds;
    private final List<String> nodeKeys;
    private final NodeGraph graph;
    private final YamlValue.Reading reading;

    private Map<String, Workflow.ToolDef> tools = Map.of();
    private Workflow.Defaults defaults = Workflow.Defaults.NONE;
    private boolean defaultsRetrySet;

    WorkflowParser(String fileName, String content, Expressions expressions, JsonSchemas metaSchemas, LoadLimits limits,
            NodeKinds kinds, Supplier<Set<String>> modelProviders) {
        this.file = new YamlFile(fileName, content, limits);
        this.kinds = kinds;
        List<String> keys = new ArrayList<>(NODE_KEYS);
        keys.addAll(kinds.names());
        this.nodeKeys = List.copyOf(keys);
        this.graph = new NodeGraph(file, kinds.names(), this);
        this.reading = new YamlValue.Reading(file, new ExpressionChecks(file, expressions, metaSchemas,
                modelProviders), graph);
    }

    /** Every problem found, in file order. */
    List<Problem> problems() {
        return file.problems();
    }

    /** The workflow, or null when the file could not be read far enough to make one (its problems say why). */
    Workflow parse() {
        YamlValue root = YamlValue.root(reading, new Scope(Expressions.TOP_LEVEL, new Scope.AllOf(Set.of()), null,
                Set.of(), Set.of()));
        if (root == null) {
            return null;
        }
        try {
            return workflow(root);
        } catch (NodeGraph.LimitReached e) {
            return null;
        }
    }

    private Workflow workflow(YamlValue root) {
        Fields top = root.fields(TOP_KEYS);
        if (top == null) {
            return null;
        }
        expectConstant(top, "apiVersion", WorkflowLoader.API_VERSION);
        expectConstant(top, "kind", WorkflowLoader.KIND);

        String name = null;
        String description = null;
        Fields metadata = top.required("metadata").named("metadata").fields(METADATA_KEYS);
        if (metadata != null) {
            YamlValue n = metadata.required("name");
            name = n.string();
            if (name != null && !Workflow.NAME.matcher(name).matches()) {
                n.error("expected metadata.name to be a DNS label (lowercase letters, digits and '-', starting and "
                        + "ending with a letter or digit, at most 63 characters), found '" + name + "'");
            }
            description = metadata.get("description").string();
        }

        Fields spec = top.required("spec").named("spec").fields(SPEC_KEYS);
        Map<String, Object> inputSchema = null;
        Workflow.Budget budget = null;
        List<Node> nodes = List.of();
        Object output = null;
        List<Trigger> triggers = List.of();
        if (spec != null) {
            inputSchema = spec.get("input").jsonSchema();
            budget = budget(spec.get("budget"));
            defaults(spec.get("defaults"));
            tools(spec.get("tools"));
            NodeList list = graph.nodes(spec.required("nodes"), Expressions.TOP_LEVEL, Set.of());
            nodes = list.nodes();
            if (spec.has("output")) {
                output = spec.get("output").within(list).template();
            }
            triggers = new TriggerReader(name == null ? "workflow" : name).read(spec.get("triggers"));
        }
        return new Workflow(name, description, inputSchema, budget, defaults, nodes, tools, output, triggers,
                new Position(file.name(), 1, 1), sha256(file.content()));
    }

    private static void expectConstant(Fields top, String key, String expected) {
        YamlValue n = top.required(key);
        if (n.isPresent() && !(n.isScalar() && expected.equals(n.text()))) {
            n.error("expected " + key + " '" + expected + "', found " + n.describe());
        }
    }

    // ------------------------------------------------------------------ spec sections

    private Workflow.Budget budget(YamlValue value) {
        Fields f = value.fields(BUDGET_KEYS);
        if (f == null) {
            return null;
        }
        Long usdMicros = null;
        YamlValue usd = f.get("usd");
        if (usd.isPresent()) {
            BigDecimal amount = null;
            if (usd.isNumber() || usd.isString()) {
                try {
                    amount = new BigDecimal(usd.text().strip().replace("_", ""));
                } catch (NumberFormatException e) {
                    amount = null;
                }
            }
            if (amount == null) {
                usd.error("expected spec.budget.usd to be an amount in US dollars such as 0.25, found "
                        + usd.describe());
            } else if (amount.signum() < 0) {
                usd.error("expected spec.budget.usd to be zero or more, found " + amount.toPlainString());
            } else {
                BigDecimal micros = amount.movePointRight(6);
                if (micros.stripTrailingZeros().scale() > 0) {
                    usd.error("expected spec.budget.usd with at most 6 decimal places (budgets are kept in "
                            + "micro-dollars), found " + amount.toPlainString());
                } else if (micros.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                    usd.error("expected spec.budget.usd below 9,000,000,000,000, found " + amount.toPlainString());
                } else {
                    usdMicros = micros.longValueExact();
                }
            }
        }
        Long tokens = f.get("tokens").wholeNumber(1);
        return new Workflow.Budget(usdMicros, tokens);
    }

    private void defaults(YamlValue value) {
        Fields f = value.fields(DEFAULTS_KEYS);
        if (f == null) {
            return;
        }
        String model = f.get("model").string();
        List<String> fallback = f.get("fallback").stringOrList();
        f.get("model").modelReferences();
        f.get("fallback").modelReferences();
        RetryPolicy retry = RetryPolicy.NONE;
        if (f.has("retry")) {
            RetryPolicy r = retry(f.get("retry"), BASE_RETRY);
            if (r != null) {
                retry = r;
                defaultsRetrySet = true;
            }
        }
        Duration timeout = f.get("timeout").duration(true);
        defaults = new Workflow.Defaults(model, fallback == null ? List.of() : fallback, retry, timeout);
    }

    private static RetryPolicy retry(YamlValue value, RetryPolicy base) {
        Fields f = value.fields(RETRY_KEYS);
        if (f == null) {
            return null;
        }
        Integer attempts = f.get("maxAttempts").wholeInt(1);
        String backoff = f.get("backoff").oneOf(BACKOFFS);
        Duration initial = f.get("initialDelay").duration(false);
        YamlValue maxValue = f.get("maxDelay");
        Duration max = maxValue.duration(false);
        if (initial != null && max != null && max.compareTo(initial) < 0) {
            maxValue.error("expected " + maxValue.what() + " to be at least initialDelay ("
                    + Durations.format(initial) + "), found " + Durations.format(max));
        }
        Duration initialDelay = initial != null ? initial : base.initialDelay();
        Duration maxDelay = max != null ? max : base.maxDelay();
        if (maxDelay.compareTo(initialDelay) < 0) {
            maxDelay = initialDelay;
        }
        return new RetryPolicy(attempts != null ? attempts : base.maxAttempts(),
                backoff != null ? backoff : base.backoff(), initialDelay, maxDelay);
    }

    private void tools(YamlValue value) {
        if (!value.isPresent()) {
            return;
        }
        if (!value.isMapping()) {
            value.error("expected spec.tools to be a mapping of tool name to {description, parameters, uri}, found "
                    + value.describe());
            return;
        }
        Map<String, Workflow.ToolDef> out = new LinkedHashMap<>();
        for (YamlValue.Entry tool : value.entries("spec.tools")) {
            String name = tool.name();
            if (!TOOL_NAME.matcher(name).matches()) {
                tool.key().error("expected a tool name of letters, digits, '_' and '-' (at most 64 characters, as "
                        + "LLM providers require), found '" + name + "'");
            }
            Fields f = tool.value().named("tool '" + name + "'").fields(TOOL_KEYS);
            if (f == null) {
                continue;
            }
            String description = f.required("description").string();
            Map<String, Object> parameters = f.get("parameters").jsonSchema();
            YamlValue uriValue = f.required("uri");
            String uri = uriValue.string();
            if (uri != null && uri.isBlank()) {
                uriValue.error("expected " + uriValue.what() + " to be a Camel endpoint URI such as direct:kb-search, "
                        + "found an empty string");
            } else {
                uriValue.endpointScheme(uri, "direct:kb-search");
            }
            out.put(name, new Workflow.ToolDef(name, description,
                    parameters != null ? parameters : Map.of("type", "object"), uri, tool.key().position()));
        }
        tools = Collections.unmodifiableMap(out);
    }

    // ------------------------------------------------------------------ nodes

    @Override
    public Node read(YamlValue value, String id, String labelId, Set<String> ids, List<String> needs) {
        String label = labelId == null ? "node" : "node '" + labelId + "'";
        Fields f = value.named(label).fields(nodeKeys);
        if (f == null) {
            return null;
        }
        graph.needs(f.get("needs").named("needs of " + label), label, id, ids, needs);
        String when = f.get("when").named("when of " + label).condition();
        RetryPolicy retry = !f.has("retry") ? null : retry(f.get("retry").named("retry of " + label),
                defaultsRetrySet ? defaults.retry() : BASE_RETRY);
        Duration timeout = f.get("timeout").named("timeout of " + label).duration(true);
        YamlValue onError = f.get("onError").named("onError of " + label);
        boolean continueOnError = "continue".equals(onError.oneOf(ON_ERROR));

        List<String> present = kinds.names().stream().filter(f::has).toList();
        if (present.isEmpty()) {
            value.error("expected " + label + " to have exactly one kind key (" + String.join(", ", kinds.names())
                    + "), found none");
            return null;
        }
        if (present.size() > 1) {
            f.key(present.get(1)).error("expected " + label + " to have exactly one kind key ("
                    + String.join(", ", kinds.names()) + "), found " + present.size() + ": "
                    + String.join(", ", present));
            return null;
        }
        NodeKind kind = kinds.get(present.get(0));
        NodeSpec spec = kind.parse(new KindInput(kind, f.get(kind.name()).named(kind.name() + " of " + label), label,
                onError, continueOnError, tools, defaults));
        if (spec == null || id == null) {
            return null;
        }
        return new Node(id, List.copyOf(needs), when, spec, retry, timeout, value.position(), continueOnError);
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
