package dev.caravan.run;

import dev.caravan.component.agent.AgentSpec;
import dev.caravan.dsl.LoadLimits;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.expr.Expressions;
import dev.caravan.llm.LlmComponent;
import dev.caravan.llm.LlmConfiguration;
import dev.caravan.llm.provider.ChatModelFactory;
import dev.caravan.llm.provider.ScriptedChatModel;
import dev.caravan.state.NodeRecord;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.schema.CoreSchema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever text a workflow holds reaches its node exactly as written: node definitions never travel through an
 * endpoint URI, so no URI encoding, query-string parsing or property placeholder touches them. Only the format's own
 * {@code ${{ }}} is an expression; {@code $[[ ]]}, {@code {{ }}}, {@code ${body}} and {@code $simple{ }} are text.
 */
class UserTextReachesNodesTest {

    private static final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    /** jqwik's containers have no JUnit Jupiter extensions: the engine is started and stopped by hand. */
    private static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            // a model that records what it is sent and echoes the prompt
            .configure(camel -> camel.getRegistry().bind("captureModels", new ChatModelFactory() {
                @Override
                public String provider() {
                    return "capture";
                }

                @Override
                public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
                    return new Capturing();
                }

                @Override
                public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
                    return new Capturing();
                }

                @Override
                public boolean waits(LlmConfiguration cfg) {
                    return false;
                }
            }))
            .routes(rb -> rb.from("direct:echo").process(e -> e.getMessage().setBody(Map.of(
                    "body", e.getMessage().getBody(String.class),
                    "header", e.getMessage().getHeader("X-Text", String.class)))))
            .build();
    /** Knows the provider the registry adds, as the engine's own loader does. */
    private static final WorkflowLoader loader = new WorkflowLoader(new Expressions(), LoadLimits.DEFAULTS,
            () -> caravan.camelContext().getComponent("caravan-llm", LlmComponent.class).knownProviders());

    @BeforeContainer
    static void start() throws Exception {
        caravan.start();
    }

    @AfterContainer
    static void stop() {
        caravan.close();
    }

    private static final class Capturing extends ScriptedChatModel {
        Capturing() {
            super(null);
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(request);
            return super.doChat(request);
        }

        @Override
        public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
            requests.add(request);
            super.doChat(request, handler);
        }
    }

    /** Text with everything a URI, a query string, Camel's placeholders or YAML could take for syntax. */
    @Provide
    Arbitrary<String> texts() {
        Arbitrary<String> pieces = Arbitraries.oneOf(
                Arbitraries.of("&", "&&", "||", "%", "%20", "%zz", "#", "?", "=", "+", "{{", "}}", "{{name}}", "${",
                        "${body}", "$simple{body}", "$[[ 1 + 1 ]]", "$[[", "]]", "RAW(", ")", "'", "\"", "\\", "\n",
                        "\t", "\r", "\r\n", " ", ":", "/", ";", ",", "<", ">", "|", "!", "@", "*", "^", "~", "`",
                        "é", "ß", "中文", "שלום", "😀", "𝔘", "\u200b", "\u001b[2J", "null", "true", "42", "{\"a\":1}",
                        "[1,2]", "- item", "key: value", "---", "&anchor", "*alias", "!!str"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(6),
                Arbitraries.strings().withCharRange('\u00a0', '\ud7ff').ofMaxLength(3));
        return pieces.list().ofMinSize(1).ofMaxSize(12).map(l -> String.join("", l))
                .filter(t -> !t.isBlank() && !t.contains("${{"));
    }

    @Property(tries = 60)
    void everyTextFieldOfEveryNodeKindReachesTheNodeUnchanged(@ForAll("texts") String text) throws Exception {
        deploy(text);
        requests.clear();
        RunRecord run = caravan.engine().runs().run(RunService.StartRequest.of("texts", Map.of()));

        assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(requests).hasSize(1);
        List<ChatMessage> messages = requests.get(0).messages();
        assertThat(((SystemMessage) messages.get(0)).text()).isEqualTo(text);
        assertThat(((UserMessage) messages.get(1)).singleText()).isEqualTo(text);
        ToolSpecification tool = requests.get(0).toolSpecifications().get(0);
        assertThat(tool.description()).isEqualTo(text);
        assertThat(((JsonStringSchema) tool.parameters().properties().get("q")).description()).isEqualTo(text);
        assertThat(output(run, "asked")).isEqualTo(text);
        assertThat(output(run, "scripted")).isEqualTo(Map.of("a", text));
        assertThat(output(run, "called")).isEqualTo(Map.of("body", text, "header", text));
        assertThat(output(run, "computed")).isEqualTo(Map.of("literal", text, "expression", text, "joined",
                text + "|" + text, "logic", true));
        assertThat(output(run, "emitted")).isEqualTo(text);
        assertThat(output(run, "each")).isEqualTo(List.of(text));
        assertThat(output(run, "repeat")).isEqualTo(text);
        assertThat(output(run, "child")).isEqualTo(text);
        assertThat(output(run, "guarded")).isEqualTo(Map.of("ran", true));
        assertThat(run.node("approve").detail()).containsEntry("message", text);
    }

    @Example
    void literalTemplatesOfOtherLanguagesStayText() throws Exception {
        everyTextFieldOfEveryNodeKindReachesTheNodeUnchanged("$[[ 1 + 1 ]] ${body} $simple{body} {{name}} a && b");
    }

    private static Object output(RunRecord run, String node) {
        NodeRecord n = run.node(node);
        assertThat(n).as("node %s", node).isNotNull();
        return caravan.engine().values().resolve(n.output());
    }

    /** The workflow as a user would write it, each field holding the text; written by a YAML emitter. */
    private static void deploy(String text) {
        String literal = celString(text);
        List<Object> nodes = List.of(
                node("asked", "agent", Map.of("model", "capture:m", "system", text, "prompt", text,
                        "tools", List.of("lookup"))),
                node("scripted", "agent", Map.of("model", "scripted", "prompt", "p",
                        "output", Map.of("type", "object", "description", text,
                                "properties", Map.of("a", Map.of("type", "string", "description", text)),
                                "required", List.of("a")),
                        "scripted", Map.of("replies", List.of(Map.of("json", Map.of("a", text)))))),
                node("called", "call", Map.of("uri", "direct:echo", "body", text, "headers", Map.of("X-Text", text))),
                node("computed", "set", ordered("literal", text, "expression", "${{ " + literal + " }}",
                        "joined", text + "|${{ " + literal + " }}",
                        "logic", "${{ " + literal + " == " + literal + " && (true || false) }}")),
                node("emitted", "emit", Map.of("type", "user.text", "data", text)),
                node("each", "map", Map.of("items", List.of(text), "output", "${{ nodes.inner.output.v }}",
                        "nodes", List.of(node("inner", "set", Map.of("v", "${{ item }}"))))),
                node("repeat", "loop", Map.of("max", 1, "output", "${{ nodes.l.output.v }}",
                        "nodes", List.of(node("l", "set", Map.of("v", text))))),
                node("child", "workflow", Map.of("name", "texts-child", "input", Map.of("t", text))),
                withWhen(node("guarded", "set", Map.of("ran", true)), "${{ " + literal + " != '' && true }}"),
                withNeeds(node("approve", "gate", Map.of("message", text)),
                        List.of("asked", "scripted", "called", "computed", "emitted", "each", "repeat", "child",
                                "guarded")));
        Workflow child = loader.load("texts-child.caravan.yaml", yaml("texts-child",
                List.of(node("echo", "set", Map.of("t", "${{ input.t }}"))), "${{ nodes.echo.output.t }}", null));
        Map<String, Object> tools = Map.of("lookup", Map.of("description", text, "uri", "direct:echo",
                "parameters", Map.of("type", "object", "properties",
                        Map.of("q", Map.of("type", "string", "description", text)))));
        Workflow wf = loader.load("texts.caravan.yaml", yaml("texts", nodes, null, tools));
        // the text survives the YAML layer, so anything lost below is the engine's doing
        assertThat(((AgentSpec) wf.node("asked").spec()).prompt()).isEqualTo(text);
        caravan.engine().catalog().deploy(child);
        caravan.engine().catalog().deploy(wf);
    }

    private static Map<String, Object> node(String id, String kind, Object spec) {
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("id", id);
        node.put(kind, spec);
        return node;
    }

    private static Map<String, Object> withWhen(Map<String, Object> node, String when) {
        node.put("when", when);
        return node;
    }

    private static Map<String, Object> withNeeds(Map<String, Object> node, List<String> needs) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", node.remove("id"));
        out.put("needs", needs);
        out.putAll(node);
        return out;
    }

    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static String yaml(String name, List<Object> nodes, String output, Map<String, Object> tools) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("nodes", nodes);
        if (tools != null) {
            spec.put("tools", tools);
        }
        if (output != null) {
            spec.put("output", output);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", "caravan.dev/v1");
        doc.put("kind", "Workflow");
        doc.put("metadata", Map.of("name", name));
        doc.put("spec", spec);
        // the loader reads YAML with the core schema, so the emitter quotes what that schema would read as null or a number
        return new Dump(DumpSettings.builder().setSchema(new CoreSchema()).build()).dumpToString(doc);
    }

    /** The text as a CEL string literal. */
    private static String celString(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            if (c == '"' || c == '\\') {
                out.append('\\').appendCodePoint(c);
            } else if (c < 0x20 || c == 0x7f || c > 0xffff || Character.isSurrogate((char) c)) {
                out.append(c > 0xffff ? String.format("\\U%08x", c) : String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('"').toString();
    }
}
