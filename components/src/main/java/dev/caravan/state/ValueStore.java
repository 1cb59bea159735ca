package dev.caravan.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.caravan.event.RunEvent;
import dev.caravan.json.Json;
import dev.caravan.json.JsonSize;
import dev.caravan.support.JsonProblems;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Values too large to copy into every version of a run record, stored once by content hash in the Hazelcast map
 * {@code caravan.values}: key {@code sha256:<hex>} of the value's JSON, value that JSON text. A node output, run
 * input or run output whose JSON is over the inline threshold goes there, and the record (so every checkpoint,
 * backup copy, database row and event) holds only its {@link ValueRef}. Readers get the value back through
 * {@link #resolve}; values resolved or stored here are cached on this member, which is always correct since a hash
 * names one value forever.
 *
 * <p>Lifetime: with a run retention, a value expires one retention period after it was last stored or refreshed, and
 * {@link HazelcastRunStore#refreshReferencedValues()} refreshes every value a run record still references several
 * times per period. A value therefore outlives the last run referencing it by at most one retention period, however
 * long a referencing run stays paused. Without a retention (runs kept forever) values are kept forever.
 */
public final class ValueStore {

    public static final String MAP_NAME = "caravan.values";
    public static final long DEFAULT_INLINE_BYTES = 16 * 1024;

    /** Resolved values kept on this member, by JSON size: enough for the large values of the runs in flight. */
    private static final long CACHE_BYTES = 32L * 1024 * 1024;

    private final IMap<String, String> values;
    private final long inlineBytes;
    private final long ttlMillis;
    /** Least recently used first. */
    private final LinkedHashMap<String, Cached> cache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedBytes;

    private record Cached(Object value, long bytes) {
    }

    /**
     * @param inlineBytes the largest JSON (in bytes) a record holds inline
     * @param retention   how long a value at least outlives its last reference; null keeps values forever
     */
    public ValueStore(HazelcastInstance hazelcast, long inlineBytes, Duration retention) {
        this.values = hazelcast.getMap(MAP_NAME);
        this.inlineBytes = inlineBytes;
        // Hazelcast keeps an entry's times in whole seconds: one more keeps a refreshed value a whole retention
        this.ttlMillis = retention == null ? 0 : retention.toMillis() + 1000;
    }

    /** Registers the serializers of the processors that store values and read the references records hold. */
    public static Config configure(Config config) {
        config.getSerializationConfig().getCompactSerializationConfig()
                .addSerializer(new Keep.Serializer())
                .addSerializer(new ReferencedValues.Serializer());
        return config;
    }

    /** The value itself when its JSON is small enough to hold inline; otherwise a reference to it, stored here. */
    public Object store(Object value) {
        if (value == null || value instanceof ValueRef) {
            return value;
        }
        // a small value shaped like a reference is stored too, so a record's reference is never ambiguous
        boolean refShaped = ValueRef.from(value) != null;
        long surelyInline = inlineBytes / JsonSize.MAX_BYTES_PER_CHAR;
        if (!refShaped && JsonSize.chars(value, surelyInline + 1) <= surelyInline) {
            return value;
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("Cannot write JSON: " + JsonProblems.message(e), e);
        }
        if (json.length <= inlineBytes && !refShaped) {
            return value;
        }
        ValueRef ref = new ValueRef(ValueRef.PREFIX + HexFormat.of().formatHex(sha256(json)), json.length);
        // stored once; referenced again, it lives another retention period
        values.executeOnKey(ref.hash(), new Keep(new String(json, StandardCharsets.UTF_8), ttlMillis));
        remember(ref, Frozen.copyOf(value));
        return ref;
    }

    /** The mutation with its large values (an input or output) stored here and replaced by references. */
    Mutation referencing(Mutation m) {
        if (m instanceof Mutation.CompleteNode c) {
            Object out = store(c.output());
            return out == c.output() ? m : new Mutation.CompleteNode(c.key(), c.kind(), out, c.costMicros(), c.tokens(),
                    c.detail(), c.instant(), c.lastDelta());
        }
        if (m instanceof Mutation.CreateRun c) {
            Object in = store(c.input());
            return in == c.input() ? m : new Mutation.CreateRun(c.runId(), c.workflow(), c.workflowHash(), c.tenant(),
                    c.lane(), in, c.parentRunId(), c.parentNodeKey(), c.correlationId(), c.traceId());
        }
        if (m instanceof Mutation.CompleteRun c) {
            Object out = store(c.output());
            return out == c.output() ? m : new Mutation.CompleteRun(out);
        }
        return m;
    }

    /** The value a reference stands for; any other value as it is. */
    public Object resolve(Object value) {
        ValueRef ref = ValueRef.from(value);
        if (ref == null) {
            return value;
        }
        Object cached = cached(ref.hash());
        if (cached != null) {
            return cached;
        }
        String json = values.get(ref.hash());
        if (json == null) {
            throw new IllegalStateException("Value " + ref.hash() + " (" + ref.bytes() + " bytes) is not in "
                    + MAP_NAME + ": it expired or was never stored");
        }
        Object resolved = Frozen.copyOf(Json.parse(json));
        remember(ref, resolved);
        return resolved;
    }

    /** The record with its references resolved, as readers outside the engine see it (the same one when none). */
    public RunRecord resolve(RunRecord r) {
        if (r == null || !holdsReferences(r)) {
            return r;
        }
        Map<String, NodeRecord> nodes = new LinkedHashMap<>();
        for (NodeRecord n : r.nodes().values()) {
            nodes.put(n.key(), ValueRef.from(n.output()) == null ? n
                    : new NodeRecord(n.key(), n.kind(), n.status(), resolve(n.output()), n.attempts(), n.costMicros(),
                            n.tokens(), n.startedAt(), n.finishedAt(), n.error(), n.errorClass(), n.detail(),
                            n.errorCode(), n.continued()));
        }
        return new RunRecord(r.runId(), r.workflow(), r.workflowHash(), r.tenant(), r.lane(), r.status(),
                resolve(r.input()), resolve(r.output()), r.error(), r.errorNode(), r.createdAt(), r.updatedAt(),
                r.sequence(), r.parentRunId(), r.parentNodeKey(), r.costMicros(), r.tokens(),
                Collections.unmodifiableMap(nodes), r.owner(), r.takeovers(), r.errorCode(), r.correlationId(),
                r.traceId(), r.outbox());
    }

    /**
     * Event data with the references among its entries resolved (an event holds a reference where its record
     * does): for a consumer that must see whole values, such as the NDJSON {@code caravan run --json} leaves.
     */
    public Object resolveEntries(Object data) {
        if (!entriesHoldReferences(data)) {
            return data;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ((Map<?, ?>) data).forEach((k, v) -> out.put(String.valueOf(k), resolve(v)));
        return out;
    }

    /** The event with the references among its data's entries resolved ({@link #resolveEntries}); itself when none. */
    public RunEvent resolve(RunEvent e) {
        Object data = resolveEntries(e.data());
        return data == e.data() ? e : new RunEvent(e.type(), e.runId(), e.sequence(), e.time(), e.workflow(),
                e.tenant(), e.lane(), e.node(), e.parentRunId(), data, e.correlationId(), e.traceId());
    }

    /**
     * Whether event data holds references among its entries, which {@link #resolveEntries} would read: a type check
     * and a look at each entry, no read of the store.
     */
    public static boolean entriesHoldReferences(Object data) {
        return data instanceof Map<?, ?> m && m.values().stream().anyMatch(v -> ValueRef.from(v) != null);
    }

    /** Makes the given values live another retention period (an absent one stays absent). */
    void refresh(Set<String> hashes) {
        if (ttlMillis > 0 && !hashes.isEmpty()) {
            values.executeOnKeys(hashes, new Keep(null, ttlMillis));
        }
    }

    /** Makes the values a record references live another retention period, if it references any. */
    void refreshReferenced(RunRecord r) {
        if (ttlMillis > 0 && holdsReferences(r)) {
            refresh(hashes(r));
        }
    }

    private static boolean holdsReferences(RunRecord r) {
        if (ValueRef.from(r.input()) != null || ValueRef.from(r.output()) != null) {
            return true;
        }
        for (NodeRecord n : r.nodes().values()) {
            if (ValueRef.from(n.output()) != null) {
                return true;
            }
        }
        return false;
    }

    /** The hashes of the values a record references. */
    static Set<String> hashes(RunRecord r) {
        Set<String> out = new LinkedHashSet<>();
        add(out, r.input());
        add(out, r.output());
        for (NodeRecord n : r.nodes().values()) {
            add(out, n.output());
        }
        return out;
    }

    private static void add(Set<String> hashes, Object value) {
        ValueRef ref = ValueRef.from(value);
        if (ref != null) {
            hashes.add(ref.hash());
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform has SHA-256", e);
        }
    }

    private synchronized Object cached(String hash) {
        Cached c = cache.get(hash);
        return c == null ? null : c.value();
    }

    private synchronized void remember(ValueRef ref, Object value) {
        if (ref.bytes() > CACHE_BYTES / 4 || cache.containsKey(ref.hash())) {
            return;
        }
        cache.put(ref.hash(), new Cached(value, ref.bytes()));
        cachedBytes += ref.bytes();
        for (Iterator<Cached> eldest = cache.values().iterator(); cachedBytes > CACHE_BYTES && eldest.hasNext(); ) {
            cachedBytes -= eldest.next().bytes();
            eldest.remove();
        }
    }

    /**
     * Stores a value unless present and, with a lifetime, makes it live that long from now; without a value, only
     * refreshes a present one. An entry's expiry counts from its last update ({@code IMap.setTtl} does not move
     * it), so a refresh sets the value again, on the member that owns it. Write-through then only touches the row.
     */
    static final class Keep implements EntryProcessor<String, String, Object> {
        private final String json;
        private final long ttlMillis;

        /**
         * @param json      the value's JSON, or null to refresh a present value only
         * @param ttlMillis how long it lives from now; 0 for ever
         */
        Keep(String json, long ttlMillis) {
            this.json = json;
            this.ttlMillis = ttlMillis;
        }

        @Override
        public Object process(Map.Entry<String, String> entry) {
            String current = entry.getValue();
            if (current == null && json == null || current != null && ttlMillis == 0) {
                return null;
            }
            TimedEntries.set(entry, current != null ? current : json, ttlMillis);
            return null;
        }

        static final class Serializer implements CompactSerializer<Keep> {
            @Override
            public Keep read(CompactReader reader) {
                return new Keep(reader.readString("json"), reader.readInt64("ttlMillis"));
            }

            @Override
            public void write(CompactWriter writer, Keep p) {
                writer.writeString("json", p.json);
                writer.writeInt64("ttlMillis", p.ttlMillis);
            }

            @Override
            public String getTypeName() {
                return "caravan.KeepValue";
            }

            @Override
            public Class<Keep> getCompactClass() {
                return Keep.class;
            }
        }
    }

    /** The hashes a run record references, read on the member that holds it (null when none). */
    static final class ReferencedValues implements EntryProcessor<String, RunRecord, String[]>, ReadOnly {

        @Override
        public String[] process(Map.Entry<String, RunRecord> entry) {
            Set<String> hashes = entry.getValue() == null ? Set.of() : hashes(entry.getValue());
            return hashes.isEmpty() ? null : hashes.toArray(new String[0]);
        }

        @Override
        public EntryProcessor<String, RunRecord, String[]> getBackupProcessor() {
            return null;
        }

        static List<String> flatten(Collection<String[]> results) {
            List<String> out = new ArrayList<>();
            for (String[] r : results) {
                if (r != null) {
                    out.addAll(List.of(r));
                }
            }
            return out;
        }

        static final class Serializer implements CompactSerializer<ReferencedValues> {
            @Override
            public ReferencedValues read(CompactReader reader) {
                return new ReferencedValues();
            }

            @Override
            public void write(CompactWriter writer, ReferencedValues p) {
            }

            @Override
            public String getTypeName() {
                return "caravan.ReferencedValues";
            }

            @Override
            public Class<ReferencedValues> getCompactClass() {
                return ReferencedValues.class;
            }
        }
    }
}
