package dev.caravan.component.fail;

import java.util.List;
import java.util.regex.Pattern;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;
import dev.caravan.expr.Expressions;

/** The {@code fail} kind: the run (or the map or loop around it) fails here, run in place by {@code caravan-fail}. */
public final class FailKind extends NodeKindSupport {

    public static final String NAME = "fail";

    private static final List<String> KEYS = List.of("message", "code");
    private static final Pattern ERROR_CODE = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");

    public FailKind() {
        super(NAME, "caravan-fail", KEYS, true);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        String message = f.required("message").stringTemplate();
        YamlValue codeValue = f.get("code");
        String code = codeValue.stringTemplate();
        if (code != null && !Expressions.containsExpression(code) && !ERROR_CODE.matcher(code).matches()) {
            codeValue.error("expected " + codeValue.what() + " to be an error code of letters, digits, '_', '.' and "
                    + "'-' starting with a letter (at most 64 characters) such as NO_ANSWER, found '" + code + "'");
        }
        if (input.continuesOnError()) {
            input.onError().error("expected " + input.onError().what() + " to be fail (a fail node is there to fail "
                    + "the run, or the map or loop around it), found continue");
        }
        return new FailSpec(message, code);
    }
}
