package dev.caravan.component.emit;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;

/** The {@code emit} kind: an event of the user's type, run by {@code caravan-emit}. */
public final class EmitKind extends NodeKindSupport {

    public static final String NAME = "emit";

    private static final List<String> KEYS = List.of("type", "data");
    private static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** The engine's own event types start with it. */
    private static final String ENGINE_PREFIX = "caravan.";

    public EmitKind() {
        super(NAME, "caravan-emit", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        YamlValue typeValue = f.required("type");
        String type = typeValue.string();
        if (type != null && !EVENT_TYPE.matcher(type).matches()) {
            typeValue.error("expected " + typeValue.what() + " to be an event type of letters, digits, '.', '_' and "
                    + "'-' such as ticket.triaged, found '" + type + "'");
        } else if (type != null && type.toLowerCase(Locale.ROOT).startsWith(ENGINE_PREFIX)) {
            // readers trust caravan.* events to be the engine's account of a run: a workflow must not forge them
            typeValue.error("expected " + typeValue.what() + " to be an event type of the workflow's own, found '"
                    + type + "': types starting with '" + ENGINE_PREFIX + "' are the engine's (docs/events.md)");
        }
        return new EmitSpec(type, f.get("data").template());
    }
}
