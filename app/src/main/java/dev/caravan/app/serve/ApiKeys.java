package dev.caravan.app.serve;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API keys the server accepts, from the property {@value #PROPERTY}: a comma-separated list of
 * {@code tenant:sha256hex}, the SHA-256 of each key in hex, so the configuration never holds a key itself. A request's
 * {@code Authorization: Bearer KEY} is hashed and compared with every entry in constant time; the entry it matches
 * names the tenant the request acts for.
 */
public final class ApiKeys {

    /** The property listing the accepted keys' hashes. */
    public static final String PROPERTY = "caravan.api.keys";

    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final String BEARER = "Bearer ";

    private record Entry(String tenant, byte[] hash) {
    }

    private final List<Entry> entries;

    private ApiKeys(List<Entry> entries) {
        this.entries = entries;
    }

    /**
     * Parses the property's value; null or blank means no keys.
     *
     * @throws IllegalArgumentException naming the entry that is not {@code tenant:sha256hex} (never echoing a hash)
     */
    public static ApiKeys parse(String value) {
        List<Entry> entries = new ArrayList<>();
        if (value != null) {
            String[] items = value.split(",");
            for (int i = 0; i < items.length; i++) {
                String item = items[i].strip();
                if (item.isEmpty()) {
                    continue;
                }
                int colon = item.indexOf(':');
                String tenant = colon < 0 ? "" : item.substring(0, colon);
                String hash = colon < 0 ? item : item.substring(colon + 1);
                if (!TENANT.matcher(tenant).matches() || !SHA256_HEX.matcher(hash).matches()) {
                    throw new IllegalArgumentException(PROPERTY + ": entry " + (i + 1) + " is not tenant:sha256hex "
                            + "(a tenant name, a colon, and the 64 hex digits of the SHA-256 of the key, e.g. from "
                            + "`printf %s KEY | sha256sum`)");
                }
                entries.add(new Entry(tenant, HexFormat.of().parseHex(hash.toLowerCase())));
            }
        }
        return new ApiKeys(List.copyOf(entries));
    }

    /** Whether any key is configured: without keys the API asks for none (allowed on loopback only). */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public int size() {
        return entries.size();
    }

    /**
     * The tenant of the key an {@code Authorization} header carries, or empty when the header is missing, is not
     * {@code Bearer}, or carries no accepted key. Every entry is compared, whichever matches, so the time taken says
     * nothing about which or how much of a key matched.
     */
    public Optional<String> tenantOf(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        byte[] hash = sha256(authorization.substring(BEARER.length()).strip());
        String found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.hash(), hash) && found == null) {
                found = e.tenant();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The SHA-256 of a key's UTF-8 bytes, in lower-case hex: what {@value #PROPERTY} lists. */
    public static String hash(String key) {
        return HexFormat.of().formatHex(sha256(key));
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
