package dev.caravan.component.call;

import java.util.List;
import java.util.Map;

import dev.caravan.dsl.Fields;
import dev.caravan.dsl.KindInput;
import dev.caravan.dsl.NodeKindSupport;
import dev.caravan.dsl.NodeSpec;
import dev.caravan.dsl.YamlValue;

/** The {@code call} kind: any Camel endpoint, run by {@code caravan-call}. */
public final class CallKind extends NodeKindSupport {

    public static final String NAME = "call";

    private static final List<String> KEYS = List.of("uri", "body", "headers");

    public CallKind() {
        super(NAME, "caravan-call", KEYS);
    }

    @Override
    public NodeSpec parse(KindInput input) {
        Fields f = input.fields();
        if (f == null) {
            return null;
        }
        YamlValue uriValue = f.required("uri");
        String uri = uriValue.stringTemplate();
        if (uri != null && uri.isBlank()) {
            uriValue.error("expected " + uriValue.what() + " to be a Camel endpoint URI such as direct:send-mail, "
                    + "found an empty string");
        } else {
            uriValue.endpointScheme(uri, "direct:send-mail");
        }
        Object body = f.get("body").template();
        Map<String, Object> headers = null;
        YamlValue h = f.get("headers");
        if (h.isPresent()) {
            if (!h.isMapping()) {
                h.error("expected " + h.what() + " to be a mapping of header name to value, found " + h.describe());
            } else {
                headers = h.templateMapping();
            }
        }
        return new CallSpec(uri, body, headers);
    }
}
