package dev.caravan.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.caravan.component.agent.AgentSpec;
import dev.caravan.component.call.CallSpec;
import dev.caravan.component.emit.EmitSpec;
import dev.caravan.component.fail.FailSpec;
import dev.caravan.component.gate.GateSpec;
import dev.caravan.component.loop.LoopSpec;
import dev.caravan.component.map.MapSpec;
import dev.caravan.component.set.SetSpec;
import dev.caravan.component.wait.WaitSpec;
import dev.caravan.component.workflow.WorkflowSpec;
import dev.caravan.expr.Expressions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

class WorkflowLoaderTest {

    /** Seven lines; the nodes given to {@link #problems} start on line 8. */
    private static final String HEAD = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: t
            spec:
              defaults: { model: scripted }
              nodes:
            """;

    private final WorkflowLoader loader = new WorkflowLoader();

    private List<String> problems(String nodes) {
        return loader.validate("t.yaml", HEAD + nodes).stream().map(Problem::toString).toList();
    }

    private List<String> problemsOf(String content) {
        return loader.validate("t.yaml", content).stream().map(Problem::toString).toList();
    }

    static Path resource(String name) {
        try {
            return Path.of(WorkflowLoaderTest.class.getResource("/workflows/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- valid files

    @Test
    void loadsTheDesignExampleIntoTheExpectedModel() throws Exception {
        Path file = resource("support-triage.caravan.yaml");
        Workflow wf = loader.load(file);

        assertThat(wf.name()).isEqualTo("support-triage");
        assertThat(wf.inputSchema()).isEqualTo(Map.of("type", "object", "required", List.of("ticket")));
        assertThat(wf.budget()).isEqualTo(new Workflow.Budget(250_000L, 50_000L));
        assertThat(wf.defaults()).isEqualTo(new Workflow.Defaults("openai:gpt-4o-mini",
                List.of("anthropic:claude-haiku-4-5", "ollama:llama3.2"),
                new RetryPolicy(3, "exponential", Duration.ofMillis(500), Duration.ofSeconds(60)),
                Duration.ofSeconds(60)));
        assertThat(wf.nodes()).extracting(Node::id).containsExactly("classify", "draft", "approve", "send");
        assertThat(wf.nodes()).extracting(Node::kind).containsExactly("agent", "agent", "gate", "call");

        Node classify = wf.nodes().get(0);
        assertThat(classify.position()).isEqualTo(new Position(file.toString(), 16, 7));
        assertThat(classify.needs()).isEmpty();
        assertThat(classify.spec()).isEqualTo(new AgentSpec("openai:gpt-4o-mini",
                List.of("anthropic:claude-haiku-4-5", "ollama:llama3.2"), "You triage support tickets.",
                "Classify: ${{ input.ticket.body }}",
                Map.of("type", "object", "properties", Map.of("severity", Map.of("enum", List.of("low", "high")))),
                List.of(), null, null, null, null));

        Node draft = wf.nodes().get(1);
        assertThat(draft.needs()).containsExactly("classify");
        assertThat(((AgentSpec) draft.spec()).tools()).containsExactly("kb-search");

        Node approve = wf.nodes().get(2);
        assertThat(approve.when()).isEqualTo("${{ nodes.classify.output.severity == 'high' }}");
        assertThat(approve.spec()).isEqualTo(new GateSpec("Send? ${{ nodes.draft.output }}", Duration.ofHours(24),
                "reject"));
        assertThat(approve.retry()).isNull();
        assertThat(approve.timeout()).isNull();

        assertThat(wf.nodes().get(3).spec()).isEqualTo(new CallSpec("direct:send-mail",
                "${{ nodes.draft.output }}", null));

        assertThat(wf.tools()).containsOnlyKeys("kb-search");
        Workflow.ToolDef tool = wf.tools().get("kb-search");
        assertThat(tool).isEqualTo(new Workflow.ToolDef("kb-search", "Search the knowledge base",
                Map.of("type", "object", "properties", Map.of("q", Map.of("type", "string")), "required", List.of("q")),
                "direct:kb-search", new Position(file.toString(), 32, 5)));
        assertThat(wf.output()).isEqualTo("${{ nodes.draft.output }}");
        assertThat(wf.source()).isEqualTo(new Position(file.toString(), 1, 1));

        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        assertThat(wf.hash()).isEqualTo(HexFormat.of().formatHex(digest)).hasSize(64);
    }

    @Test
    void loadsEveryNodeKind() {
        Workflow wf = loader.load(resource("every-node-kind.caravan.yaml"));
        Map<String, Node> byId = new HashMap<>();
        wf.nodes().forEach(n -> byId.put(n.id(), n));

        assertThat(byId.get("totals").spec()).isEqualTo(new SetSpec(Map.of(
                "count", "${{ size(input.items) }}", "label", "n=${{ size(input.items) }}")));
        MapSpec each = (MapSpec) byId.get("each").spec();
        assertThat(each.items()).isEqualTo("${{ input.items }}");
        assertThat(each.concurrency()).isEqualTo(4);
        assertThat(each.nodes()).extracting(Node::id).containsExactly("summarize");
        assertThat(each.output()).isEqualTo("${{ nodes.summarize.output }}");
        LoopSpec refine = (LoopSpec) byId.get("refine").spec();
        assertThat(refine.max()).isEqualTo(5);
        assertThat(refine.until()).isEqualTo("${{ nodes.critique.output.ok }}");
        assertThat(refine.nodes()).extracting(Node::id).containsExactly("draft", "critique");
        assertThat(refine.nodes().get(1).needs()).containsExactly("draft");
        assertThat(byId.get("sub").spec()).isEqualTo(new WorkflowSpec("summarize-ticket",
                "${{ {'ticket': input.ticket} }}"));
        assertThat(byId.get("sub").continueOnError()).isTrue();
        assertThat(byId.get("send").continueOnError()).isFalse();
        assertThat(byId.get("guard").spec()).isEqualTo(new FailSpec("nothing to summarize in run ${{ run.id }}",
                "NO_ITEMS"));
        assertThat(byId.get("guard").when()).isEqualTo("${{ nodes.totals.output.count == 0 }}");
        assertThat(byId.get("pause").spec()).isEqualTo(new WaitSpec("10s", null));
        assertThat(byId.get("notify").spec()).isEqualTo(new EmitSpec("ticket.triaged",
                "${{ nodes.totals.output }}"));
        Node send = byId.get("send");
        assertThat(send.spec()).isEqualTo(new CallSpec("direct:send-mail", "${{ nodes.refine.output }}",
                Map.of("to", "${{ input.to }}")));
        assertThat(send.retry()).isEqualTo(new RetryPolicy(5, "fixed", Duration.ofSeconds(2), Duration.ofSeconds(30)));
        assertThat(send.timeout()).isEqualTo(Duration.ofMinutes(5));
        AgentSpec hello = (AgentSpec) byId.get("hello").spec();
        assertThat(hello.model()).isEqualTo("scripted");
        assertThat(hello.scripted()).isEqualTo(new AgentSpec.Scripted(List.of("Hello!"), null));
        assertThat(wf.output()).isEqualTo(Map.of("count", "${{ nodes.totals.output.count }}",
                "summaries", "${{ nodes.each.output }}"));
        assertThat(wf.defaults().retry()).isEqualTo(RetryPolicy.NONE);
    }

    @Test
    void nodeRetryFillsUnsetKeysFromTheDefaults() {
        Workflow wf = loader.load("t.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  defaults:
                    model: scripted
                    fallback: ollama:llama3.2
                    retry: { maxAttempts: 4, backoff: fixed, initialDelay: 2s, maxDelay: 10s }
                  nodes:
                    - id: a
                      retry: { maxAttempts: 2 }
                      agent: { prompt: hi }
                """);
        assertThat(wf.defaults().fallback()).containsExactly("ollama:llama3.2");
        assertThat(wf.nodes().get(0).retry()).isEqualTo(new RetryPolicy(2, "fixed", Duration.ofSeconds(2),
                Duration.ofSeconds(10)));
        assertThat(((AgentSpec) wf.nodes().get(0).spec()).fallback()).containsExactly("ollama:llama3.2");
    }

    @Test
    void keepsMoneyExactInMicroDollars() {
        Workflow wf = loader.load("t.yaml", HEAD.replace("  defaults: { model: scripted }",
                "  defaults: { model: scripted }\n  budget: { usd: 0.1, tokens: 1000 }").replace("  nodes:\n",
                        "  nodes:\n    - { id: a, set: { x: 1 } }\n"));
        assertThat(wf.budget()).isEqualTo(new Workflow.Budget(100_000L, 1000L));
        assertThat(problems("    - { id: a, set: { x: 1 } }\n").isEmpty()).isTrue();
        List<String> found = problemsOf(HEAD.replace("  nodes:\n", "  budget: { usd: 0.0000001 }\n  nodes:\n"
                + "    - { id: a, set: { x: 1 } }\n"));
        assertThat(found).containsExactly("t.yaml:7:18: expected spec.budget.usd with at most 6 decimal places "
                + "(budgets are kept in micro-dollars), found 0.0000001");
    }

    // ---------------------------------------------------------------- document level

    @Test
    void rejectsWrongApiVersionAndKind() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v2
                kind: Flow
                metadata: { name: t }
                spec: { nodes: [ { id: a, set: { x: 1 } } ] }
                """)).containsExactly(
                "t.yaml:1:13: expected apiVersion 'caravan.dev/v1', found the string 'caravan.dev/v2'",
                "t.yaml:2:7: expected kind 'Workflow', found the string 'Flow'");
    }

    @Test
    void requiresADnsLabelName() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: Support_Triage }
                spec: { nodes: [ { id: a, set: { x: 1 } } ] }
                """)).containsExactly("t.yaml:3:19: expected metadata.name to be a DNS label (lowercase letters, "
                + "digits and '-', starting and ending with a letter or digit, at most 63 characters), found "
                + "'Support_Triage'");
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { description: x }
                spec: { nodes: [ { id: a, set: { x: 1 } } ] }
                """)).containsExactly("t.yaml:3:11: missing required key 'name' in metadata");
    }

    @Test
    void rejectsUnknownKeysListingTheAllowedOnes() {
        assertThat(problems("""
                    - id: a
                      agent: { promt: hi }
                """)).containsExactly(
                "t.yaml:9:14: missing required key 'prompt' in agent of node 'a'",
                "t.yaml:9:16: unknown key 'promt' in agent of node 'a'; expected one of: model, fallback, system, "
                        + "prompt, output, tools, maxTokens, temperature, maxToolRounds, scripted");
    }

    @Test
    void rejectsValuesOfTheWrongType() {
        assertThat(problems("""
                    - id: a
                      needs: { x: 1 }
                      map: { items: [1], concurrency: four, nodes: [ { id: s, set: { x: 1 } } ] }
                    - id: b
                      agent: { prompt: [hi] }
                """)).containsExactly(
                "t.yaml:9:14: expected needs of node 'a' to be a list of node ids, found a mapping",
                "t.yaml:10:39: expected map.concurrency of node 'a' to be a whole number of at least 1, found the "
                        + "string 'four'",
                "t.yaml:12:24: expected agent.prompt of node 'b' to be a string, found a list");
    }

    @Test
    void rejectsDurationsWithoutAUnit() {
        assertThat(problems("""
                    - id: a
                      timeout: 60
                      gate: { timeout: 1 day }
                """)).containsExactly(
                "t.yaml:9:16: expected timeout of node 'a' to be a duration such as 500ms, 10s, 1m, 24h or 1h30m, "
                        + "found the number 60",
                "t.yaml:10:24: expected gate.timeout of node 'a' to be a duration such as 500ms, 10s, 1m, 24h or "
                        + "1h30m, found the string '1 day'");
    }

    @Test
    void reportsYamlSyntaxErrorsWithTheirPosition() {
        assertThat(problemsOf("apiVersion: caravan.dev/v1\nkind: [Workflow\n")).hasSize(1)
                .first().asString().startsWith("t.yaml:3:1: invalid YAML: ");
    }

    @Test
    void rejectsDuplicateKeysNamingTheFirst() {
        assertThat(problems("""
                    - id: a
                      set: { x: 1 }
                      id: b
                """)).containsExactly("t.yaml:10:7: duplicate key 'id' in node 'a': also defined at t.yaml:8:7");
    }

    // ---------------------------------------------------------------- graph

    @Test
    void requiresExactlyOneNodeKind() {
        assertThat(problems("""
                    - id: a
                      needs: []
                    - id: b
                      call: { uri: direct:x }
                      set: { x: 1 }
                """)).containsExactly(
                "t.yaml:8:7: expected node 'a' to have exactly one kind key (agent, call, set, remember, gate, map, "
                        + "loop, workflow, wait, emit, fail), found none",
                "t.yaml:12:7: expected node 'b' to have exactly one kind key (agent, call, set, remember, gate, map, "
                        + "loop, workflow, wait, emit, fail), found 2: call, set");
    }

    @Test
    void rejectsDuplicateNodeIdWithBothPositions() {
        assertThat(problems("""
                    - id: draft
                      set: { x: 1 }
                    - id: draft
                      set: { x: 2 }
                """)).containsExactly("t.yaml:10:11: duplicate node id 'draft': also defined at t.yaml:8:11");
    }

    @Test
    void rejectsNeedsNamingAMissingNode() {
        assertThat(problems("""
                    - id: a
                      set: { x: 1 }
                    - id: b
                      needs: [a, c]
                      set: { x: 1 }
                """)).containsExactly("t.yaml:11:18: needs of node 'b' names unknown node 'c'; expected one of: a");
    }

    @Test
    void rejectsAnEmitThatWouldForgeTheEnginesOwnEvents() {
        assertThat(problems("""
                    - id: fake
                      emit: { type: Caravan.run.completed }
                """)).containsExactly("t.yaml:9:21: expected emit.type of node 'fake' to be an event type of the "
                + "workflow's own, found 'Caravan.run.completed': types starting with 'caravan.' are the engine's "
                + "(docs/events.md)");
    }

    @Test
    void rejectsCycleNamingEveryNodeOnIt() {
        assertThat(problems("""
                    - id: a
                      needs: [c]
                      set: { x: 1 }
                    - id: b
                      needs: [a]
                      set: { x: 1 }
                    - id: c
                      needs: [b]
                      set: { x: 1 }
                    - id: d
                      needs: [d]
                      set: { x: 1 }
                """)).containsExactly(
                "t.yaml:8:11: needs form a cycle: a (t.yaml:8:11) -> b (t.yaml:11:11) -> c (t.yaml:14:11) -> a; "
                        + "expected the nodes to form a DAG",
                "t.yaml:17:11: needs form a cycle: d (t.yaml:17:11) -> d; expected the nodes to form a DAG");
    }

    // ---------------------------------------------------------------- expressions

    @Test
    void pointsAtTheExactColumnOfAnExpressionErrorInsideAString() {
        assertThat(problems("""
                    - id: a
                      agent:
                        prompt: Classify ${{ inptu.body }}
                        system: "Say \\"hi\\" ${{ input. }}"
                    - id: b
                      agent:
                        prompt: |
                          Line one
                            and ${{ nope(1) }}
                """)).containsExactly(
                "t.yaml:10:30: agent.prompt of node 'a': unknown identifier 'inptu' in expression `inptu.body`; "
                        + "expected one of: input, lane, nodes, run",
                "t.yaml:11:40: agent.system of node 'a': syntax error in expression `input.`: no viable "
                        + "alternative at input '. '",
                "t.yaml:16:21: agent.prompt of node 'b': unknown function 'nope' in expression `nope(1)`; only CEL "
                        + "standard functions, macros and string functions are available");
    }

    @Test
    void checksExpressionsInEveryTemplate() {
        List<String> found = problems("""
                    - id: a
                      when: ${{ x1 }}
                      call: { uri: "direct:${{ x2 }}", body: { k: ["${{ x3 }}"] }, headers: { h: "${{ x4 }}" } }
                    - id: b
                      set: { v: "${{ x5 }}" }
                    - id: c
                      gate: { message: "${{ x6 }}" }
                    - id: d
                      workflow: { name: child, input: "${{ x7 }}" }
                    - id: e
                      wait: { until: "${{ x8 }}" }
                    - id: f
                      emit: { type: t, data: "${{ x9 }}" }
                    - id: g
                      map: { items: "${{ x10 }}", nodes: [ { id: s, set: { v: "${{ x11 }}" } } ], output: "${{ x12 }}" }
                    - id: h
                      loop: { max: 2, until: "${{ x13 }}", nodes: [ { id: s, set: { v: 1 } } ], output: "${{ x14 }}" }
                    - id: i
                      wait: { duration: "${{ x15 }}" }
                """);
        assertThat(found).hasSize(15);
        for (int i = 1; i <= 15; i++) {
            String name = "x" + i;
            assertThat(found).anySatisfy(p -> assertThat(p).contains("unknown identifier '" + name + "'"));
        }
    }

    @Test
    void rejectsReferencesToNodesThatDoNotExist() {
        assertThat(problemsOf(HEAD + """
                    - id: a
                      set: { v: "${{ nodes.draft.output }}" }
                    - id: b
                      set: { v: "${{ nodes.b.output }}" }
                  output: ${{ nodes.zzz.output }}
                """)).containsExactly(
                "t.yaml:9:22: set of node 'a': unknown node 'draft' in nodes.draft; expected one of: (none)",
                "t.yaml:11:22: set of node 'b': a node cannot read its own output; expected one of the other nodes: "
                        + "(none), found nodes.b",
                "t.yaml:12:15: spec.output: unknown node 'zzz' in nodes.zzz; expected one of: a, b");
    }

    @Test
    void rejectsReadingANodeThatIsNotUpstream() {
        assertThat(problemsOf(HEAD + """
                    - id: a
                      set: { v: 1 }
                    - id: b
                      needs: [a]
                      set: { v: 2 }
                    - id: c
                      needs: [b]
                      set: { fromA: "${{ nodes.a.output.v }}", fromD: "${{ nodes.d.output }}" }
                    - id: d
                      set: { v: 4 }
                """)).containsExactly(
                "t.yaml:15:60: set of node 'c': node 'd' is not upstream of 'c': add it to needs (directly or through"
                        + " a node it needs) so its output exists when this runs; expected one of: b, a");
    }

    @Test
    void mapSubNodesSeeItemIndexAndTheirOwnNodesButNotOuterNodes() {
        assertThat(problems("""
                    - id: top
                      set: { v: "${{ item }}" }
                    - id: each
                      map:
                        items: ${{ input.list }}
                        nodes:
                          - id: one
                            set: { v: "${{ item.x + index }}" }
                          - id: two
                            needs: [one]
                            set: { v: "${{ nodes.one.output }} ${{ nodes.top.output }}", w: "${{ iteration }}" }
                        output: ${{ nodes.two.output }}
                """)).containsExactly(
                "t.yaml:9:22: set of node 'top': unknown identifier 'item' in expression `item`; expected one of: "
                        + "input, lane, nodes, run",
                "t.yaml:18:52: set of node 'two': node 'top' is not visible here: map and loop sub-nodes see only "
                        + "the nodes of their own list; expected one of: one (pass outer values in through input or the "
                        + "map items)",
                "t.yaml:18:82: set of node 'two': unknown identifier 'iteration' in expression `iteration`; "
                        + "expected one of: index, input, item, lane, nodes, run");
    }

    @Test
    void loopSubNodesSeeIterationAndUntilSeesTheSubNodes() {
        assertThat(problems("""
                    - id: refine
                      loop:
                        max: 3
                        until: ${{ nodes.check.output && iteration > 1 }}
                        nodes:
                          - id: check
                            set: { ok: "${{ iteration >= 2 }}" }
                        output: ${{ nodes.check.output }}
                """)).isEmpty();
        assertThat(problems("""
                    - id: refine
                      loop:
                        max: 3
                        until: yes please
                        nodes: [ { id: s, set: { v: 1 } } ]
                """)).containsExactly("t.yaml:11:16: expected loop.until of node 'refine' to be a condition written "
                + "as ${{ <expression> }}, found the string 'yes please'");
    }

    // ---------------------------------------------------------------- tools and schemas

    @Test
    void rejectsUnknownToolsNamedByAgents() {
        assertThat(problemsOf(HEAD + """
                    - id: a
                      agent: { prompt: hi, tools: [kb-search, web] }
                  tools:
                    kb-search: { description: Search, uri: "direct:kb" }
                """)).containsExactly("t.yaml:9:47: unknown tool 'web' in agent.tools of node 'a'; expected one of "
                + "the tools in spec.tools: kb-search");
    }

    @Test
    void rejectsInvalidJsonSchemasAtTheOffendingKeyword() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  input:
                    type: object
                    required: ticket
                  defaults: { model: scripted }
                  nodes:
                    - id: a
                      agent:
                        prompt: hi
                        output: { type: objec }
                  tools:
                    kb:
                      description: Search
                      uri: direct:kb
                      parameters: { type: object, properties: { q: { type: 12 } } }
                """)).containsExactly(
                "t.yaml:7:15: invalid JSON Schema in spec.input: required: string found, array expected",
                "t.yaml:13:25: invalid JSON Schema in agent.output of node 'a': type: does not have a value in the "
                        + "enumeration [\"array\", \"boolean\", \"integer\", \"null\", \"number\", \"object\", \"string\"]",
                "t.yaml:18:60: invalid JSON Schema in tool 'kb'.parameters: properties.q.type: does not have a value "
                        + "in the enumeration [\"array\", \"boolean\", \"integer\", \"null\", \"number\", \"object\", "
                        + "\"string\"]");
    }

    // ---------------------------------------------------------------- node kinds

    @Test
    void requiresExactlyOneOfDurationOrUntilInWait() {
        assertThat(problems("""
                    - id: a
                      wait: { duration: 10s, until: "${{ input.at }}" }
                    - id: b
                      wait: {}
                    - id: c
                      wait: { duration: soon }
                """)).containsExactly(
                "t.yaml:9:37: expected exactly one of 'duration' or 'until' in wait of node 'a', found both",
                "t.yaml:11:13: expected exactly one of 'duration' or 'until' in wait of node 'b', found neither",
                "t.yaml:13:25: expected wait.duration of node 'c' to be a duration such as 500ms, 10s, 1m, 24h or "
                        + "1h30m, found the string 'soon'");
    }

    @Test
    void rejectsGateOnTimeoutOutsideApproveRejectFail() {
        assertThat(problems("""
                    - id: a
                      gate: { timeout: 1h, onTimeout: ignore }
                """)).containsExactly("t.yaml:9:39: expected gate.onTimeout of node 'a' to be one of approve, reject, "
                + "fail, found the string 'ignore'");
    }

    @Test
    void readsOnErrorAndLetsLaterNodesReadTheErrorOfANodeTheyNeed() {
        Workflow wf = loader.load("t.yaml", HEAD + """
                    - id: fetch
                      onError: continue
                      call: { uri: "direct:fetch" }
                    - id: fallback
                      needs: [fetch]
                      when: ${{ nodes.fetch.error != null && nodes.fetch.error.code == 'TIMEOUT' }}
                      onError: fail
                      set: { why: "${{ nodes.fetch.error.message }}" }
                    - id: plain
                      set: { x: 1 }
                """);
        assertThat(wf.nodes()).extracting(Node::continueOnError).containsExactly(true, false, false);
    }

    @Test
    void rejectsAnOnErrorOtherThanFailOrContinue() {
        assertThat(problems("""
                    - id: a
                      onError: ignore
                      set: { x: 1 }
                """)).containsExactly("t.yaml:9:16: expected onError of node 'a' to be one of fail, continue, found "
                + "the string 'ignore'");
    }

    @Test
    void loadsAFailNodeWithTemplatesForMessageAndCode() {
        Workflow wf = loader.load("t.yaml", HEAD + """
                    - id: check
                      set: { ok: "${{ input.ok }}" }
                    - id: guard
                      needs: [check]
                      when: ${{ !nodes.check.output.ok }}
                      fail: { message: "not ok: ${{ input.why }}", code: "${{ input.code }}" }
                    - id: plain
                      fail: { message: stop, code: NO_ANSWER }
                """);
        assertThat(wf.nodes().get(1).spec()).isEqualTo(new FailSpec("not ok: ${{ input.why }}",
                "${{ input.code }}"));
        assertThat(wf.nodes().get(2).spec()).isEqualTo(new FailSpec("stop", "NO_ANSWER"));
        assertThat(wf.nodes().get(2).kind()).isEqualTo("fail");
    }

    @Test
    void rejectsFailNodesWithoutAMessageWithABadCodeOrThatContinue() {
        assertThat(problems("""
                    - id: a
                      fail: { code: X }
                    - id: b
                      fail: { message: stop, code: "no such code" }
                    - id: c
                      onError: continue
                      fail: { message: "${{ nodes.a.output }}" }
                """)).containsExactly(
                "t.yaml:9:13: missing required key 'message' in fail of node 'a'",
                "t.yaml:11:36: expected fail.code of node 'b' to be an error code of letters, digits, '_', '.' and '-' "
                        + "starting with a letter (at most 64 characters) such as NO_ANSWER, found 'no such code'",
                "t.yaml:13:16: expected onError of node 'c' to be fail (a fail node is there to fail the run, or the "
                        + "map or loop around it), found continue",
                "t.yaml:14:29: fail.message of node 'c': node 'a' is not upstream of 'c': add it to needs (directly or "
                        + "through a node it needs) so its output exists when this runs; expected one of: (none)");
    }

    @Test
    void rejectsMapConcurrencyBelowOneAndDefaultsToFour() {
        assertThat(problems("""
                    - id: a
                      map: { items: [1, 2], concurrency: 0, nodes: [ { id: s, set: { v: "${{ item }}" } } ] }
                """)).containsExactly("t.yaml:9:42: expected map.concurrency of node 'a' to be at least 1, found 0");
        Workflow wf = loader.load("t.yaml", HEAD + """
                    - id: a
                      map: { items: [1, 2], nodes: [ { id: s, set: { v: "${{ item }}" } } ] }
                """);
        assertThat(((MapSpec) wf.nodes().get(0).spec()).concurrency()).isEqualTo(4);
    }

    @Test
    void requiresLoopMaxOfAtLeastOne() {
        assertThat(problems("""
                    - id: a
                      loop: { nodes: [ { id: s, set: { v: 1 } } ] }
                    - id: b
                      loop: { max: 0, nodes: [ { id: s, set: { v: 1 } } ] }
                """)).containsExactly(
                "t.yaml:9:13: missing required key 'max' in loop of node 'a'",
                "t.yaml:11:20: expected loop.max of node 'b' to be at least 1, found 0");
    }

    @Test
    void rejectsBadRetryPolicies() {
        assertThat(problems("""
                    - id: a
                      retry: { maxAttempts: 0, backoff: linear, initialDelay: 5s, maxDelay: 1s, jitter: true }
                      set: { x: 1 }
                """)).containsExactly(
                "t.yaml:9:29: expected retry.maxAttempts of node 'a' to be at least 1, found 0",
                "t.yaml:9:41: expected retry.backoff of node 'a' to be one of fixed, exponential, found the string "
                        + "'linear'",
                "t.yaml:9:77: expected retry.maxDelay of node 'a' to be at least initialDelay (5s), found 1s",
                "t.yaml:9:81: unknown key 'jitter' in retry of node 'a'; expected one of: maxAttempts, backoff, "
                        + "initialDelay, maxDelay");
    }

    @Test
    void requiresAModelForEveryAgent() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  nodes:
                    - id: a
                      agent: { prompt: hi }
                    - id: b
                      agent: { prompt: hi, scripted: { replies: [ok] } }
                """)).containsExactly("t.yaml:7:14: expected agent of node 'a' to name a model: set model here or "
                + "spec.defaults.model, found neither");
    }

    @Test
    void rejectsModelReferencesWhoseProviderIsUnknownOrThatAreMalformedListingTheKnownProviders() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  defaults: { model: "bogus:x", fallback: [OpenAI:gpt-4o-mini, ":x"] }
                  nodes:
                    - id: a
                      agent: { model: "openia:gpt-4o", fallback: "ollama:", prompt: hi }
                    - id: b
                      agent: { model: Anthropic, prompt: hi }
                """)).containsExactly(
                "t.yaml:5:22: unknown model provider 'bogus' in spec.defaults.model; expected one of: anthropic, "
                        + "gemini, ollama, openai, scripted",
                "t.yaml:5:64: expected spec.defaults.fallback to be a model reference provider:model (such as "
                        + "openai:gpt-4o-mini) or scripted, found the string ':x'",
                "t.yaml:8:23: unknown model provider 'openia' in agent.model of node 'a'; expected one of: anthropic, "
                        + "gemini, ollama, openai, scripted",
                "t.yaml:8:50: expected agent.fallback of node 'a' to be a model reference provider:model (such as "
                        + "openai:gpt-4o-mini) or scripted, found the string 'ollama:'");
    }

    @Test
    void knowsTheModelProvidersItIsGiven() {
        WorkflowLoader withOwn = new WorkflowLoader(new Expressions(), LoadLimits.DEFAULTS, () -> Set.of("mine"));

        assertThat(withOwn.validate("t.yaml", HEAD.replace("model: scripted", "model: mine:m") + """
                    - id: a
                      agent: { model: openai:gpt-4o, prompt: hi }
                """)).extracting(Problem::toString).containsExactly("t.yaml:9:23: unknown model provider 'openai' in "
                + "agent.model of node 'a'; expected one of: mine");
    }

    @Test
    void rejectsMapItemsThatCanOnlyBeText() {
        assertThat(problems("""
                    - id: a
                      map: { items: "a, b", nodes: [{ id: s, set: { v: 1 } }] }
                    - id: b
                      map: { items: "list: ${{ input.items }}", nodes: [{ id: s, set: { v: 1 } }] }
                    - id: c
                      map: { items: " ${{ input.items }} ", nodes: [{ id: s, set: { v: 1 } }] }
                    - id: d
                      map: { items: [x, "${{ input.y }}"], nodes: [{ id: s, set: { v: 1 } }] }
                """)).containsExactly(
                "t.yaml:9:21: expected map.items of node 'a' to be a list or a ${{ }} expression giving one, found "
                        + "the string 'a, b'",
                "t.yaml:11:21: expected map.items of node 'b' to be a list or a ${{ }} expression giving one, found "
                        + "the string 'list: ${{ input.items }}'");
    }

    @Test
    void rejectsAFixedWaitUntilThatIsNoTimestamp() {
        assertThat(problems("""
                    - id: a
                      wait: { until: "next monday" }
                    - id: b
                      wait: { until: "2030-01-01T09:00:00+02:00" }
                    - id: c
                      wait: { until: "${{ input.at }}" }
                """)).containsExactly("t.yaml:9:22: expected wait.until of node 'a' to be an RFC 3339 timestamp such as "
                + "2030-01-01T09:00:00Z or a ${{ }} expression giving one, found the string 'next monday'");
    }

    @Test
    void rejectsScriptedRepliesTheScriptedModelRefuses() {
        assertThat(problems("""
                    - id: a
                      agent:
                        prompt: hi
                        scripted:
                          replies:
                            - { error: { type: quota } }
                            - { error: { message: m } }
                            - { toolCalls: [] }
                            - {}
                            - { error: { type: RATE_LIMIT } }
                """)).containsExactly(
                "t.yaml:13:32: expected agent.scripted of node 'a' reply error type to be one of rate_limit, "
                        + "overloaded, auth, bad_request, server, timeout, found the string 'quota'",
                "t.yaml:14:24: missing required key 'type' in agent.scripted of node 'a' reply error",
                "t.yaml:15:28: expected toolCalls of agent.scripted of node 'a' reply to hold at least one tool call, "
                        + "found an empty list",
                "t.yaml:16:15: expected a reply of agent.scripted of node 'a' to have one of text, json, toolCalls or "
                        + "error, found none");
    }

    @Test
    void rejectsFixedEndpointUrisWithoutAScheme() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  tools:
                    kb: { description: d, uri: kb-search }
                  nodes:
                    - id: a
                      call: { uri: send-mail }
                    - id: b
                      call: { uri: "${{ input.where }}" }
                    - id: c
                      call: { uri: "direct:x" }
                """)).containsExactly(
                "t.yaml:6:32: expected tool 'kb'.uri to be a Camel endpoint URI scheme:path such as "
                        + "direct:kb-search, found the string 'kb-search' (no scheme)",
                "t.yaml:9:20: expected call.uri of node 'a' to be a Camel endpoint URI scheme:path such as "
                        + "direct:send-mail, found the string 'send-mail' (no scheme)");
    }

    @Test
    void rejectsLocalSchemaReferencesThatPointAtNothing() {
        assertThat(problemsOf("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t }
                spec:
                  input:
                    $defs: { ticket: { type: object } }
                    properties:
                      ok: { $ref: "#/$defs/ticket" }
                      bad: { $ref: "#/$defs/tickets" }
                      data: { const: { $ref: "#/nowhere" } }
                  nodes:
                    - id: a
                      set: { v: 1 }
                """)).containsExactly("t.yaml:9:20: invalid JSON Schema in spec.input: properties.bad.$ref: "
                + "'#/$defs/tickets' points at nothing in this schema");
    }

    // ---------------------------------------------------------------- reporting

    @Test
    void reportsEveryProblemOfTheFileAtOnce() {
        String content = """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata: { name: t, owner: me }
                spec:
                  defaults: { model: scripted, timeout: forever }
                  nodes:
                    - id: a
                      needs: [ghost]
                      agent: { prompt: "${{ inptu }}" }
                """;
        assertThatThrownBy(() -> loader.load("t.yaml", content))
                .isInstanceOf(InvalidWorkflowException.class)
                .hasMessage(String.join("\n",
                        "t.yaml:3:22: unknown key 'owner' in metadata; expected one of: name, description",
                        "t.yaml:5:41: expected spec.defaults.timeout to be a duration such as 500ms, 10s, 1m, 24h or "
                                + "1h30m, found the string 'forever'",
                        "t.yaml:8:15: needs of node 'a' names unknown node 'ghost'; expected one of: (none)",
                        "t.yaml:9:29: agent.prompt of node 'a': unknown identifier 'inptu' in expression `inptu`; "
                                + "expected one of: input, lane, nodes, run"))
                .satisfies(e -> assertThat(((InvalidWorkflowException) e).problems()).hasSize(4)
                        .first().extracting(Problem::position).isEqualTo(new Position("t.yaml", 3, 22)));
    }

    @Test
    void reportsAnEmptyFile() {
        assertThat(problemsOf("# nothing\n")).containsExactly("t.yaml:1:1: expected a workflow (a mapping with "
                + "apiVersion, kind, metadata and spec), found an empty file");
    }

    @Test
    void loadsFromAPathAndNamesItInProblems(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("x.caravan.yaml");
        Files.writeString(file, HEAD + "    - { id: a, set: { x: 1 } }\n    - { id: a, set: { x: 1 } }\n",
                StandardCharsets.UTF_8);
        assertThat(loader.validate(file)).extracting(Problem::toString)
                .containsExactly(file + ":9:13: duplicate node id 'a': also defined at " + file + ":8:13");
    }

    @Test
    void loadsAstralCharactersWhereverTheyFallInTheFile() {
        String head = "apiVersion: caravan.dev/v1\nkind: Workflow\nmetadata: { name: astral }\nspec:\n  nodes:\n"
                      + "    - id: a\n      set: { v: \"";
        // one of these puts the emoji's surrogate pair across SnakeYAML's 1024-character read buffer
        for (int at = 1015; at < 1035; at++) {
            String text = "a".repeat(at - head.length()) + "\uD83D\uDE00 and \uD835\uDD18";
            Workflow wf = new WorkflowLoader().load("astral.caravan.yaml", head + text + "\" }\n");
            assertThat(((SetSpec) wf.node("a").spec()).values()).containsEntry("v", text);
        }
    }
}
