package dev.caravan.llm.provider;

import java.time.Duration;
import java.util.Properties;

import dev.caravan.llm.LlmConfiguration;
import org.apache.camel.CamelContext;

/**
 * Where a provider's connection settings come from: endpoint option (URI, then component), Camel property
 * {@code caravan.llm.<provider>.<key>}, environment variable. Never from the workflow. {@link #toString()} masks the
 * API key.
 */
public final class ProviderSettings {

    /** Prefix of the Camel properties read, such as {@code caravan.llm.openai.api-key}. */
    public static final String PREFIX = "caravan.llm.";

    private final String provider;
    private final String apiKey;
    private final String baseUrl;
    private final String organization;
    private final Duration timeout;

    private ProviderSettings(String provider, String apiKey, String baseUrl, String organization, Duration timeout) {
        this.provider = provider;
        this.apiKey = apiKey;
        this.baseUrl = baseUrl;
        this.organization = organization;
        this.timeout = timeout;
    }

    /**
     * Resolves the settings of {@code provider}.
     *
     * @param apiKeyEnv      the environment variable holding the key, or null when the provider takes none
     * @param defaultBaseUrl the base URL when none is configured, or null for LangChain4j's default
     */
    public static ProviderSettings resolve(
            String provider, String apiKeyEnv, String defaultBaseUrl, LlmConfiguration cfg, CamelContext context) {
        String apiKey = null;
        if (apiKeyEnv != null) {
            apiKey = first(cfg.getApiKey(), property(context, provider, "api-key"), env(apiKeyEnv));
            if (apiKey == null) {
                throw new IllegalArgumentException("No API key for provider '" + provider + "': set Camel property "
                                                   + PREFIX + provider + ".api-key or environment variable " + apiKeyEnv
                                                   + " (or the endpoint option apiKey)");
            }
        }
        String baseUrl = first(cfg.getBaseUrl(), property(context, provider, "base-url"), defaultBaseUrl);
        String organization = property(context, provider, "organization");
        return new ProviderSettings(provider, apiKey, baseUrl, organization, Duration.ofMillis(cfg.getTimeout()));
    }

    /**
     * The Camel property {@code caravan.llm.<provider>.<key>}, or null. Read with {@code loadProperties}, which does not
     * log values (resolveProperty logs them at DEBUG).
     */
    static String property(CamelContext context, String provider, String key) {
        if (context == null) {
            return null;
        }
        String name = PREFIX + provider + "." + key;
        Properties props = context.getPropertiesComponent().loadProperties(name::equals);
        return blankToNull(props.getProperty(name));
    }

    private static String env(String name) {
        return blankToNull(System.getenv(name));
    }

    private static String first(String... values) {
        for (String v : values) {
            if (blankToNull(v) != null) {
                return v.trim();
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    public String provider() {
        return provider;
    }

    /** The API key; null when the provider takes none. Never log it. */
    public String apiKey() {
        return apiKey;
    }

    /** The base URL, or null for the provider's default. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The organization (OpenAI), or null. */
    public String organization() {
        return organization;
    }

    /** The HTTP timeout of one call (the endpoint's timeout). */
    public Duration timeout() {
        return timeout;
    }

    @Override
    public String toString() {
        return "ProviderSettings[provider=" + provider + ", baseUrl=" + baseUrl + ", organization=" + organization
               + ", apiKey=" + (apiKey == null ? "none" : "***") + ", timeout=" + timeout + "]";
    }
}
