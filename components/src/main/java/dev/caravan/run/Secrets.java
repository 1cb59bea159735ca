package dev.caravan.run;

import dev.caravan.spi.SecretResolver;
import org.apache.camel.CamelContext;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code secret:NAME} references. A value that is exactly such a reference is replaced by the secret when a message
 * leaves a node; everything the engine records keeps the reference.
 */
public final class Secrets {

    /** What a reference starts with: {@code secret:NAME}. */
    public static final String PREFIX = "secret:";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

    private final SecretResolver resolver;

    Secrets(CamelContext camelContext) {
        SecretResolver bound = camelContext.getRegistry().findSingleByType(SecretResolver.class);
        this.resolver = bound != null ? bound : name -> fromProperties(camelContext, name);
    }

    private static Optional<String> fromProperties(CamelContext camelContext, String name) {
        // loadProperties, not resolveProperty: the latter logs the value it found at DEBUG
        String key = "caravan.secret." + name;
        Object value = camelContext.getPropertiesComponent().loadProperties(key::equals).get(key);
        return value != null ? Optional.of(value.toString()) : Optional.ofNullable(System.getenv(name));
    }

    public static boolean isReference(Object value) {
        return value instanceof String s && s.startsWith(PREFIX) && NAME.matcher(s.substring(PREFIX.length())).matches();
    }

    /** The secret a reference names; fails naming the reference (never a value) when it is unknown. */
    public String resolve(Object reference) {
        String name = ((String) reference).substring(PREFIX.length());
        return resolver.resolve(name).orElseThrow(() -> new IllegalArgumentException("Unknown secret " + reference
                + ": set the Camel property caravan.secret." + name + " or the environment variable " + name));
    }
}
