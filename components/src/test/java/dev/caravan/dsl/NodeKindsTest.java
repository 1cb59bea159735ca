package dev.caravan.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import dev.caravan.compile.RouteCompiler;
import dev.caravan.component.gate.GateKind;
import dev.caravan.component.node.NodeComponent;
import dev.caravan.expr.Expressions;

/** Node kinds are found through one SPI: the loader reads and the compiler writes whatever kinds it is given. */
class NodeKindsTest {
    private static final String HEAD = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: t
            spec:
              nodes:
            """;

    /** A kind of a test's own: {@code echo: { text: ... }}, run by a component that does not exist. */
    public static final class EchoKind extends NodeKindSupport {
        public EchoKind() {
            super("echo", "caravan-echo", List.of("text"));
        }

        @Override
        public NodeSpec parse(KindInput input) {
            Fields f = input.fields();
            return f == null ? null : new EchoSpec(f.required("text").stringTemplate());
        }
    }

    record EchoSpec(String text) implements NodeSpec {
        @Override
        public String kind() {
            return "echo";
        }
    }

    private static NodeKinds withEcho() {
        List<NodeKind> kinds = new ArrayList<>(NodeKinds.installed(null).all());
        kinds.add(new EchoKind());
        return NodeKinds.of(kinds);
    }

    private static WorkflowLoader loader(NodeKinds kinds) {
        return new WorkflowLoader(new Expressions(), LoadLimits.DEFAULTS, () -> null, () -> kinds);
    }

    @Test
    void installedKindsAreCaravansOwnInTheOrderMessagesListThem() {
        assertThat(NodeKinds.installed(Thread.currentThread().getContextClassLoader()).names()).containsExactly(
                "agent", "call", "set", "remember", "gate", "map", "loop", "workflow", "wait", "emit", "fail");
    }

    @Test
    void everyInstalledKindIsRunByACaravanNodeComponent() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            for (NodeKind kind : NodeKinds.installed(null).all()) {
                assertThat(camel.getComponent(kind.scheme())).as(kind.name()).isInstanceOf(NodeComponent.class);
            }
        }
    }

    @Test
    void refusesTwoKindsOfOneName() {
        assertThatThrownBy(() -> NodeKinds.of(List.of(new GateKind(), new GateKind())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Two node kinds are named gate: dev.caravan.component.gate.GateKind and "
                            + "dev.caravan.component.gate.GateKind");
    }

    @Test
    void aLoaderReadsOnlyTheKindsItIsGiven() {
        List<String> problems = loader(NodeKinds.of(List.of(new GateKind())))
                .validate("t.yaml", HEAD + "    - { id: a, set: { x: 1 } }\n").stream().map(Problem::toString).toList();
        assertThat(problems).containsExactly(
                "t.yaml:7:7: expected node 'a' to have exactly one kind key (gate), found none",
                "t.yaml:7:16: unknown key 'set' in node 'a'; expected one of: id, needs, when, retry, timeout, "
                + "onError, gate");
    }

    @Test
    void aKindOfItsOwnLoadsChecksAndCompilesWithNothingElseChanged() {
        NodeKinds kinds = withEcho();
        Workflow wf = loader(kinds).load("t.yaml", HEAD + """
                    - id: greet
                      echo: { text: "hi ${{ input.name }}" }
                """);
        assertThat(wf.node("greet").spec()).isEqualTo(new EchoSpec("hi ${{ input.name }}"));
        assertThat(new RouteCompiler(() -> kinds).compile(wf)).contains("uri: caravan-echo:greet");

        List<String> problems = loader(kinds).validate("t.yaml", HEAD + """
                    - id: greet
                      echo: { text: "hi ${{ nodes.greet.output }}", loud: true }
                """).stream().map(Problem::toString).toList();
        assertThat(problems).containsExactly(
                "t.yaml:8:29: echo.text of node 'greet': a node cannot read its own output; expected one of the other "
                + "nodes: (none), found nodes.greet",
                "t.yaml:8:53: unknown key 'loud' in echo of node 'greet'; expected one of: text");
    }

    @Test
    void theCompilerRefusesANodeOfAKindItDoesNotKnow() {
        Workflow wf = loader(withEcho()).load("t.yaml", HEAD + "    - { id: greet, echo: { text: hi } }\n");
        RouteCompiler compiler = new RouteCompiler(() -> NodeKinds.installed(null));
        assertThatThrownBy(() -> compiler.compile(wf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("No node kind echo to compile node greet with; expected one of: agent, call, set, remember, "
                            + "gate, map, loop, workflow, wait, emit, fail");
    }

    @Test
    void theLoaderFindsTheKindsOfTheThreadsClassLoader() {
        assertThat(new WorkflowLoader().load("t.yaml", HEAD + "    - { id: a, gate: {} }\n").node("a").kind())
                .isEqualTo("gate");
        assertThat(Set.copyOf(NodeKinds.installedPerClassLoader().get().names()))
                .isEqualTo(Set.copyOf(NodeKinds.installed(null).names()));
    }
}
