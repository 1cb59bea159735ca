package dev.caravan.support;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Credentials that travel in message headers (Authorization, API keys, tokens, cookies), found by the header's name,
 * and redaction of them: a service that echoes its request, or a route that hands back the headers it added, must not
 * put them into a run's outputs, events or logs.
 */
public final class Credentials {

    /** What stands in for a redacted value. */
    public static final String MASK = "***";

    /**
     * Shorter values are not taken for credentials (a header {@code X-Token-Required: true} is no secret, and masking
     * every {@code true} would garble outputs); real keys and tokens are far longer.
     */
    static final int MIN_CHARS = 8;

    private static final List<String> NAME_PARTS = List.of("authorization", "cookie", "token", "secret", "password",
            "passwd", "credential", "api-key", "api_key", "apikey", "access-key", "access_key", "private-key",
            "private_key");

    private Credentials() {
    }

    /** Whether a header of this name carries a credential: {@code Authorization}, {@code X-Api-Key}, ... */
    public static boolean isCredentialName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String part : NAME_PARTS) {
            if (n.contains(part)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Passes on the credentials among these headers: the value of each credential-named header, and the parts a
     * service may echo on their own (the token of {@code Bearer <token>}, the value of each cookie).
     */
    public static void find(Map<String, Object> headers, Consumer<String> sink) {
        if (headers == null || headers.isEmpty()) {
            return;
        }
        headers.forEach((name, value) -> {
            if (value instanceof String text && isCredentialName(name)) {
                offer(text.strip(), sink);
                if (name.toLowerCase(Locale.ROOT).contains("cookie")) {
                    for (String cookie : text.split(";")) {
                        int eq = cookie.indexOf('=');
                        offer(eq < 0 ? cookie.strip() : cookie.substring(eq + 1).strip(), sink);
                    }
                } else {
                    int space = text.strip().lastIndexOf(' ');
                    if (space > 0) { // scheme and credentials: Bearer <token>, Basic <base64>
                        offer(text.strip().substring(space + 1), sink);
                    }
                }
            }
        });
    }

    private static void offer(String value, Consumer<String> sink) {
        if (value.length() >= MIN_CHARS) {
            sink.accept(value);
        }
    }

    /** The text with every occurrence of the values replaced by {@link #MASK}; longer values first. */
    public static String redact(String text, Collection<String> values) {
        if (text == null || values.isEmpty()) {
            return text;
        }
        String out = text;
        for (String value : values.stream().sorted((a, b) -> b.length() - a.length()).toList()) {
            if (!value.isEmpty()) {
                out = out.replace(value, MASK);
            }
        }
        return out;
    }
}
