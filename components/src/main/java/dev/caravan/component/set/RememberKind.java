package dev.caravan.component.set;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKind;
import dev.caravan.dsl.NodeSpec;

/** The {@code remember} kind: values stored in the lane's memory, run by {@code caravan-set} as {@code set} is. */
public final class RememberKind implements NodeKind {

    public static final String NAME = "remember";

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
        Map<String, Object> values = SetKind.values(input.value());
        return values == null ? null : new RememberSpec(values);
    }
}
