package dev.caravan.state;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import dev.caravan.spi.EventSink;
import dev.caravan.spi.RunStore;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** Run records as JSON values in a Hazelcast {@link IMap}, changed only by entry processors. */
public final class HazelcastRunStore implements RunStore {

    public static final String MAP_NAME = "caravan.runs";

    private final IMap<String, HazelcastJsonValue> runs;
    private final EventSink sink;

    public HazelcastRunStore(HazelcastInstance hazelcast, EventSink sink) {
        this.runs = hazelcast.getMap(MAP_NAME);
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /**
     * Registers what the store needs in a member's configuration: the serializers of its entry processors and the
     * event sink that processors running on that member publish to.
     */
    public static Config configure(Config config, EventSink sink) {
        config.getSerializationConfig().getCompactSerializationConfig()
                .addSerializer(new RunUpdateProcessor.Serializer())
                .addSerializer(new RunUpdateProcessor.SetRecordSerializer());
        config.getUserContext().put(RunUpdateProcessor.SINK_KEY, sink);
        return config;
    }

    @Override
    public RunRecord get(String runId) {
        HazelcastJsonValue v = runs.get(runId);
        return v == null ? null : Json.read(v.getValue(), RunRecord.class);
    }

    @Override
    public Mutation.Result apply(String runId, Mutation mutation) {
        String result = runs.executeOnKey(runId, new RunUpdateProcessor(mutation, sink));
        return RunUpdateProcessor.decode(result);
    }

    @Override
    public List<RunRecord> list(String tenant, List<RunStatus> statuses, int limit) {
        List<RunRecord> out = new ArrayList<>();
        for (HazelcastJsonValue v : runs.values()) {
            RunRecord r = Json.read(v.getValue(), RunRecord.class);
            if ((tenant == null || tenant.equals(r.tenant())) && (statuses.isEmpty() || statuses.contains(r.status()))) {
                out.add(r);
            }
        }
        out.sort(Comparator.comparingLong(RunRecord::createdAt).reversed());
        return out.size() > limit ? out.subList(0, limit) : out;
    }
}
