package dev.caravan.component.gate;

import java.time.Duration;
import java.util.List;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;

/** The {@code gate} kind: human approval, run by {@code caravan-gate}. */
public final class GateKind extends NodeKindSupport {

    public static final String NAME = "gate";

    private static final List<String> KEYS = List.of("message", "timeout", "onTimeout");
    private static final List<String> ON_TIMEOUT = List.of("approve", "reject", "fail");
    private static final String DEFAULT_ON_TIMEOUT = "reject";

    public GateKind() {
        super(NAME, "caravan-gate", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        String message = f.get("message").stringTemplate();
        Duration timeout = f.get("timeout").duration(true);
        String onTimeout = f.get("onTimeout").oneOf(ON_TIMEOUT);
        return new GateSpec(message, timeout, onTimeout == null ? DEFAULT_ON_TIMEOUT : onTimeout);
    }
}
