package dev.caravan.component.set;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKind;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;

/** The {@code set} kind: values computed in place, run by {@code caravan-set}. */
public final class SetKind implements NodeKind {

    public static final String NAME = "set";

    @Override
    public String name() {
        return NAME;
    }

    /** The names are the user's. */
    @Override
    public List<String> keys() {
        return List.of();
    }

    @Override
    public String scheme() {
        return "caravan-set";
    }

    @Override
    public boolean instant() {
        return true;
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
