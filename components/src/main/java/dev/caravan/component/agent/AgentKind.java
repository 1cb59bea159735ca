package dev.caravan.component.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.YamlValue;
import dev.caravan.llm.provider.ScriptedChatModel;

/** The {@code agent} kind: an LLM call, run by {@code caravan-agent}. */
public final class AgentKind extends NodeKindSupport {

    public static final String NAME = "agent";

    private static final List<String> KEYS = List.of("model", "fallback", "system", "prompt", "output", "tools",
            "maxTokens", "temperature", "maxToolRounds", "scripted");
    private static final List<String> SCRIPTED_KEYS = List.of("replies", "latencyMs");
    private static final List<String> REPLY_KEYS = List.of("text", "json", "toolCalls", "error");
    private static final List<String> TOOL_CALL_KEYS = List.of("name", "arguments");
    private static final List<String> REPLY_ERROR_KEYS = List.of("type", "message");

    public AgentKind() {
        super(NAME, "caravan-agent", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        String model = f.get("model").string();
        List<String> fallback = f.get("fallback").stringOrList();
        f.get("model").modelReferences();
        f.get("fallback").modelReferences();
        String system = f.get("system").stringTemplate();
        String prompt = f.required("prompt").stringTemplate();
        Map<String, Object> output = f.get("output").jsonSchema();
        List<String> tools = tools(f.get("tools"), input.tools());
        Integer maxTokens = f.get("maxTokens").wholeInt(1);
        Double temperature = f.get("temperature").number(0, 2);
        Integer maxToolRounds = f.get("maxToolRounds").wholeInt(0);
        AgentSpec.Scripted scripted = scripted(f.get("scripted"));
        if (model == null && scripted != null) {
            model = "scripted";
        }
        if (model == null) {
            model = input.defaults().model();
        }
        if (model == null && !f.has("model")) {
            input.value().error("expected " + input.value().what() + " to name a model: set model here or "
                    + "spec.defaults.model, found neither");
        }
        if (fallback == null) {
            fallback = input.defaults().fallback();
        }
        return new AgentSpec(model, fallback, system, prompt, output, tools, maxTokens, temperature, maxToolRounds,
                scripted);
    }

    /** Tool names, each one of the workflow's tools. */
    private static List<String> tools(YamlValue value, Map<String, Workflow.ToolDef> known) {
        if (!value.isPresent()) {
            return List.of();
        }
        if (!value.isList()) {
            value.error("expected " + value.what() + " to be a list of tool names, found " + value.describe());
            return List.of();
        }
        List<String> names = new ArrayList<>();
        for (YamlValue t : value.items()) {
            String name = t.string();
            if (name == null) {
                continue;
            }
            if (!known.containsKey(name)) {
                t.error("unknown tool '" + name + "' in " + t.what() + "; expected one of the tools in spec.tools: "
                        + (known.isEmpty() ? "(none)" : String.join(", ", known.keySet())));
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    private static AgentSpec.Scripted scripted(YamlValue value) {
        Fields f = value.fields(SCRIPTED_KEYS);
        if (f == null) {
            return null;
        }
        String what = value.what();
        List<Object> replies = new ArrayList<>();
        YamlValue list = f.get("replies");
        if (list.isPresent() && !list.isList()) {
            list.error("expected " + list.what() + " to be a list of replies, found " + list.describe());
        }
        for (YamlValue reply : list.items()) {
            if (reply.isMapping()) {
                reply(reply, what);
            } else if (!reply.isString()) {
                reply.error("expected a reply to be a string or a mapping with text, json, toolCalls or error, found "
                        + reply.describe());
            }
            replies.add(reply.java());
        }
        Long latency = f.get("latencyMs").wholeNumber(0);
        return new AgentSpec.Scripted(List.copyOf(replies), latency);
    }

    /** A reply written as a mapping, checked as the scripted model will read it. */
    private static void reply(YamlValue reply, String what) {
        Fields rf = reply.named(what + " reply").fields(REPLY_KEYS);
        if (rf == null) {
            return;
        }
        rf.get("text").named(what + " reply text").string();
        YamlValue calls = rf.get("toolCalls");
        if (calls.isPresent() && !calls.isList()) {
            calls.error("expected toolCalls to be a list of {name, arguments}, found " + calls.describe());
        }
        for (YamlValue call : calls.items()) {
            Fields cf = call.named(what + " tool call").fields(TOOL_CALL_KEYS);
            if (cf != null) {
                cf.required("name").named(what + " tool call name").string();
            }
        }
        Fields ef = rf.get("error").named(what + " reply error").fields(REPLY_ERROR_KEYS);
        if (ef != null) {
            // the scripted model refuses the script at start over any other type
            YamlValue type = ef.required("type").named(what + " reply error type");
            String t = type.string();
            if (t != null && !ScriptedChatModel.ERROR_TYPES.contains(t.toLowerCase(Locale.ROOT))) {
                type.error("expected " + type.what() + " to be one of " + String.join(", ",
                        ScriptedChatModel.ERROR_TYPES) + ", found " + type.describe());
            }
            ef.get("message").named(what + " reply error message").string();
        }
        if (calls.isList() && calls.items().isEmpty()) {
            calls.error("expected toolCalls of " + what + " reply to hold at least one tool call, found an empty list");
        }
        if (!rf.has("text") && !rf.has("json") && !rf.has("toolCalls") && !rf.has("error")) {
            reply.error("expected a reply of " + what + " to have one of text, json, toolCalls or error, found none");
        }
    }
}
