package dev.caravan.component.set;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;

/** The {@code set} kind: values computed in place, run by {@code caravan-set}. */
public final class SetKind extends NodeKindSupport {

    public static final String NAME = "set";

    public SetKind() {
        super(NAME, "caravan-set", List.of(), true); // no keys of its own: the names are the user's
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Map<String, Object> values = values(input.value());
        return values == null ? null : new SetSpec(values);
    }

    /** A mapping of names to value templates, as {@code set} and {@code remember} write them. */
    static Map<String, Object> values(YamlValue value) {
        if (!value.isMapping()) {
            value.error("expected " + value.what() + " to be a mapping of names to values, found " + value.describe());
            return null;
        }
        return value.templateMapping();
    }
}
