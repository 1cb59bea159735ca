package dev.caravan.component.loop;

import java.util.List;
import java.util.Set;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeList;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.expr.Expressions;

/** The {@code loop} kind: its nodes again until a condition holds, run by {@code caravan-loop} over a route of their own. */
public final class LoopKind extends NodeKindSupport {

    public static final String NAME = "loop";

    private static final List<String> KEYS = List.of("max", "until", "nodes", "output");

    public LoopKind() {
        super(NAME, "caravan-loop", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        Integer max = f.required("max").wholeInt(1);
        NodeList nodes = f.required("nodes").nodeList(Set.of(Expressions.ITERATION));
        String until = f.get("until").within(nodes).condition();
        Object output = f.get("output").within(nodes).template();
        return new LoopSpec(max == null ? 1 : max, until, nodes.nodes(), output);
    }
}
