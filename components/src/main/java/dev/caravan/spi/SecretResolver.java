package dev.caravan.spi;

import java.util.Optional;

/**
 * Resolves {@code secret:NAME} references at the moment a node sends a message. The resolved value goes to the
 * endpoint and nowhere else: never into run state, events or logs. Bind an implementation in the Camel registry to
 * use a vault; the default reads Camel properties {@code caravan.secret.NAME}, then the environment variable NAME.
 */
public interface SecretResolver {

    Optional<String> resolve(String name);
}
