package dev.caravan.component.wait;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;
import dev.caravan.expr.Expressions;

/** The {@code wait} kind: a duration or a point in time, run by {@code caravan-wait} with no thread held. */
public final class WaitKind extends NodeKindSupport {

    public static final String NAME = "wait";

    private static final List<String> KEYS = List.of("duration", "until");

    public WaitKind() {
        super(NAME, "caravan-wait", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        YamlValue d = f.get("duration");
        YamlValue u = f.get("until");
        String what = input.value().what();
        if (d.isPresent() && u.isPresent()) {
            u.error("expected exactly one of 'duration' or 'until' in " + what + ", found both");
        } else if (!d.isPresent() && !u.isPresent()) {
            input.value().error("expected exactly one of 'duration' or 'until' in " + what + ", found neither");
        }
        String duration = null;
        if (d.isPresent()) {
            if (d.isString() && Expressions.containsExpression(d.text())) {
                duration = d.stringTemplate();
            } else {
                duration = d.duration(false) == null ? null : d.text().strip();
            }
        }
        String until = u.stringTemplate();
        if (until != null && !Expressions.containsExpression(until)) {
            try {
                // as the node reads it when it runs
                OffsetDateTime.parse(until);
            } catch (DateTimeParseException e) {
                u.error("expected " + u.what() + " to be an RFC 3339 timestamp such as 2030-01-01T09:00:00Z or a "
                        + "${{ }} expression giving one, found " + u.describe());
            }
        }
        return new WaitSpec(duration, until);
    }
}
