package dev.caravan.component.map;

import java.util.List;
import java.util.Set;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeList;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;
import dev.caravan.expr.Expressions;

/** The {@code map} kind: its nodes once per item, run by {@code caravan-map} over a route of their own. */
public final class MapKind extends NodeKindSupport {

    public static final String NAME = "map";

    private static final List<String> KEYS = List.of("items", "concurrency", "nodes", "output");
    private static final int DEFAULT_CONCURRENCY = 4;

    public MapKind() {
        super(NAME, "caravan-map", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        YamlValue itemsValue = f.required("items");
        Object items = null;
        if (itemsValue.isPresent()) {
            // a string that is not exactly one ${{ }} evaluates to text, which the map refuses when it runs
            if (itemsValue.isMapping() || (itemsValue.isScalar() && (!itemsValue.isString()
                    || !Expressions.isSingleExpression(itemsValue.text())))) {
                itemsValue.error("expected " + itemsValue.what() + " to be a list or a ${{ }} expression giving one, "
                        + "found " + itemsValue.describe());
            } else {
                items = itemsValue.template();
            }
        }
        Integer concurrency = f.get("concurrency").wholeInt(1);
        NodeList nodes = f.required("nodes").nodeList(Set.of(Expressions.ITEM, Expressions.INDEX));
        Object output = f.get("output").within(nodes).template();
        return new MapSpec(items, concurrency == null ? DEFAULT_CONCURRENCY : concurrency, nodes.nodes(), output);
    }
}
