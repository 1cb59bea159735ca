package dev.caravan.app.export;

import java.util.Map;
import java.util.Optional;

/**
 * Which artifact provides the Camel component of an endpoint scheme, as Camel K's {@code spec.dependencies} name it
 * ({@code camel:NAME} for Apache Camel's components, {@code mvn:g:a:v} for others): the one table {@code caravan
 * export} derives an Integration's dependencies from.
 */
public final class ComponentArtifacts {

    /** The artifact of every {@code caravan-*} scheme (caravan-llm comes with it). */
    public static final String CARAVAN_COMPONENTS = "mvn:dev.caravan:caravan-components:";

    /** Camel schemes whose artifact is not named after the scheme. */
    private static final Map<String, String> CAMEL = Map.ofEntries(
            Map.entry("direct", "camel:direct"),
            Map.entry("seda", "camel:seda"),
            Map.entry("log", "camel:log"),
            Map.entry("timer", "camel:timer"),
            Map.entry("platform-http", "camel:platform-http"),
            Map.entry("http", "camel:http"),
            Map.entry("https", "camel:http"),
            Map.entry("kafka", "camel:kafka"),
            Map.entry("debezium-postgres", "camel:debezium-postgres"),
            Map.entry("quartz", "camel:quartz"),
            Map.entry("kamelet", "camel:kamelet"),
            Map.entry("sql", "camel:sql"),
            Map.entry("file", "camel:file"),
            Map.entry("bean", "camel:bean"));

    private ComponentArtifacts() {
    }

    /**
     * The artifact of a scheme, or empty when the table does not know it (the caller says so: guessing
     * {@code camel:SCHEME} would name artifacts that do not exist).
     *
     * @param version the Caravan version, for the {@code caravan-*} schemes
     */
    public static Optional<String> of(String scheme, String version) {
        if (scheme.startsWith("caravan-")) {
            return Optional.of(CARAVAN_COMPONENTS + version);
        }
        return Optional.ofNullable(CAMEL.get(scheme));
    }
}
