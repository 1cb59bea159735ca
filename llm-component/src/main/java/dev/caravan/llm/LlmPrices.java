package dev.caravan.llm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The price table of a {@link LlmComponent}: input and output prices per model in integer micro-dollars per million
 * tokens, from the bundled {@code dev/caravan/llm/prices.properties}, overridden by the Camel properties
 * {@code caravan.llm.price.<provider>.<model>.input|output} (USD per million tokens, as decimal strings). Costs are
 * computed in integer arithmetic, rounded up to whole micro-dollars; money is never a floating-point number.
 */
public final class LlmPrices {

    /** The bundled price table. */
    public static final String RESOURCE = "dev/caravan/llm/prices.properties";

    /** The prefix of the Camel properties overriding the bundled prices. */
    public static final String PROPERTY_PREFIX = "caravan.llm.price.";

    /** The model name of a provider-wide price, used for the models of the provider without their own price. */
    static final String ANY_MODEL = "*";

    private static final Logger LOG = LoggerFactory.getLogger(LlmPrices.class);
    private static final long MILLION = 1_000_000L;

    /** The input and output price of one model in micro-dollars per million tokens. */
    public record Price(long inputMicrosPerMillion, long outputMicrosPerMillion) {

        /** The cost of a call in micro-dollars: each side is rounded up to a whole micro-dollar. */
        public long costMicros(long inputTokens, long outputTokens) {
            return saturatedAdd(tokensCost(inputTokens, inputMicrosPerMillion), tokensCost(outputTokens, outputMicrosPerMillion));
        }
    }

    private final Map<String, Price> prices;
    /** Models already reported as unpriced, so the debug log says it once per model. */
    private final Set<String> reportedUnknown = ConcurrentHashMap.newKeySet();

    private LlmPrices(Map<String, Price> prices) {
        this.prices = Map.copyOf(prices);
    }

    /** The bundled table, overridden by the Camel properties {@code caravan.llm.price.*} of {@code context}. */
    public static LlmPrices load(CamelContext context) {
        Map<String, long[]> table = new HashMap<>();
        Properties bundled = new Properties();
        try (InputStream in = LlmPrices.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("The price table " + RESOURCE + " is missing from the class path");
            }
            bundled.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the price table " + RESOURCE, e);
        }
        bundled.forEach((k, v) -> put(table, k.toString(), parseMicros(k.toString(), v.toString().trim(), false)));
        if (context != null) {
            Properties overrides = context.getPropertiesComponent().loadProperties(k -> k.startsWith(PROPERTY_PREFIX));
            // OrderedLocationProperties keeps its own map: read it through its names, not Hashtable.forEach
            for (String name : overrides.stringPropertyNames()) {
                put(table, name.substring(PROPERTY_PREFIX.length()),
                        parseMicros(name, overrides.getProperty(name).trim(), true));
            }
        }
        Map<String, Price> answer = new HashMap<>();
        table.forEach((model, sides) -> {
            if (sides[0] < 0 || sides[1] < 0) {
                throw new IllegalArgumentException("The price of " + model + " needs both an input and an output price");
            }
            answer.put(model, new Price(sides[0], sides[1]));
        });
        return new LlmPrices(answer);
    }

    /** A table of exactly these prices, keyed by {@code provider:model} (or {@code provider:*}). */
    static LlmPrices of(Map<String, Price> prices) {
        return new LlmPrices(prices);
    }

    private static void put(Map<String, long[]> table, String key, long micros) {
        int dot = key.indexOf('.');
        int last = key.lastIndexOf('.');
        if (dot <= 0 || last <= dot + 1) {
            throw new IllegalArgumentException("Invalid price key '" + key + "': expected <provider>.<model>.input or .output");
        }
        String side = key.substring(last + 1);
        String model = key.substring(0, dot).toLowerCase(Locale.ROOT) + ":" + key.substring(dot + 1, last);
        long[] sides = table.computeIfAbsent(model, m -> new long[] { -1, -1 });
        switch (side) {
            case "input" -> sides[0] = micros;
            case "output" -> sides[1] = micros;
            default -> throw new IllegalArgumentException("Invalid price key '" + key + "': it must end with .input or .output");
        }
    }

    /** Micro-dollars per million tokens, from micro-dollars (bundled) or from a USD decimal string (override). */
    static long parseMicros(String key, String value, boolean dollars) {
        try {
            BigDecimal amount = new BigDecimal(value);
            if (amount.signum() < 0) {
                throw new IllegalArgumentException("The price " + key + " must not be negative, was " + value);
            }
            if (dollars) {
                amount = amount.movePointRight(6).setScale(0, RoundingMode.UP);
            }
            return amount.longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("The price " + key + " must be a "
                                               + (dollars ? "decimal number of USD" : "whole number of micro-dollars")
                                               + " per million tokens, was '" + value + "'", e);
        }
    }

    /** The price of a model: its own, else its provider's {@code *} price; null when the table has neither. */
    public Price price(String provider, String modelName) {
        Price answer = modelName == null ? null : prices.get(provider + ":" + modelName);
        return answer != null ? answer : prices.get(provider + ":" + ANY_MODEL);
    }

    /**
     * The cost of a call to a model in micro-dollars, or {@code null} when the table has no price for it (logged at
     * debug level once per model).
     */
    Long costMicros(String provider, String modelName, long inputTokens, long outputTokens) {
        Price price = price(provider, modelName);
        if (price == null) {
            String ref = modelName == null ? provider : provider + ":" + modelName;
            if (reportedUnknown.add(ref)) {
                LOG.debug("No price for model {}: its calls cost 0 unless its provider factory prices them; set {}{}.{}.input "
                          + "and .output to price it", ref, PROPERTY_PREFIX, provider, modelName);
            }
            return null;
        }
        return price.costMicros(inputTokens, outputTokens);
    }

    /** {@code ceil(tokens * microsPerMillion / 1,000,000)}, saturating at {@link Long#MAX_VALUE}. */
    static long tokensCost(long tokens, long microsPerMillion) {
        if (tokens <= 0 || microsPerMillion <= 0) {
            return 0;
        }
        long product;
        try {
            product = Math.multiplyExact(tokens, microsPerMillion);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
        return product / MILLION + (product % MILLION == 0 ? 0 : 1);
    }

    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
