package dev.caravan.component.set;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;

/** The {@code remember} kind: values stored in the lane's memory, run by {@code caravan-set} as {@code set} is. */
public final class RememberKind extends NodeKindSupport {

    public static final String NAME = "remember";

    public RememberKind() {
        super(NAME, "caravan-set", List.of(), true); // no keys of its own: the names are the user's
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Map<String, Object> values = SetKind.values(input.value());
        return values == null ? null : new RememberSpec(values);
    }
}
