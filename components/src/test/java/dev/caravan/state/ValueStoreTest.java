package dev.caravan.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.caravan.json.Json;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two members of one cluster, records and values backed up: a value over the inline threshold is stored once by
 * content hash and records hold its reference, whichever member owns the run and whichever member reads it.
 */
class ValueStoreTest {

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().members(2).withoutEngines().build();
    private static final String TEXT = "x".repeat(200 * 1024);

    /** The first member. */
    private static HazelcastInstance a() {
        return caravan.hazelcast(0);
    }

    /** The second member. */
    private static HazelcastInstance b() {
        return caravan.hazelcast(1);
    }

    /** The values of the cluster. */
    private static IMap<String, String> map() {
        return a().getMap(ValueStore.MAP_NAME);
    }

    @BeforeEach
    void empty() {
        map().clear();
    }

    @Test
    void smallValuesStayInline() {
        ValueStore values = new ValueStore(a(), 1024, null);
        Map<String, Object> small = Map.of("text", "y".repeat(1000));
        assertThat(values.store(small)).isSameAs(small);
        assertThat(values.store("z".repeat(1024 - 2))).isEqualTo("z".repeat(1022));
        assertThat(values.store(null)).isNull();
        assertThat(map().keySet()).isEmpty();
    }

    @Test
    void largeOutputIsStoredOnceByHash() throws Exception {
        ValueStore values = new ValueStore(a(), 1024, null);
        Object ref = values.store(Map.of("text", TEXT));
        String json = Json.write(Map.of("text", TEXT));
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(json.getBytes(StandardCharsets.UTF_8)));
        assertThat(ref).isEqualTo(new ValueRef("sha256:" + hex, json.length()));
        assertThat(map().keySet()).containsOnly("sha256:" + hex);
        assertThat(map().get("sha256:" + hex)).isEqualTo(json);
        assertThat(Json.write(ref)).isEqualTo("{\"$ref\":\"sha256:" + hex + "\",\"bytes\":" + json.length() + "}");
    }

    @Test
    void sameValueTwiceIsStoredOnce() {
        ValueStore values = new ValueStore(a(), 1024, Duration.ofDays(1));
        Object first = values.store(Map.of("text", TEXT));
        Object second = new ValueStore(b(), 1024, Duration.ofDays(1)).store(Map.of("text", TEXT));
        assertThat(second).isEqualTo(first);
        assertThat(map().keySet()).hasSize(1);
    }

    @Test
    void aSmallValueShapedLikeAReferenceIsStoredByReference() {
        ValueStore values = new ValueStore(a(), 1024, null);
        Map<String, Object> lookalike = Map.of("$ref", "sha256:0000", "bytes", 4);
        ValueRef ref = ValueRef.from(values.store(lookalike));
        assertThat(ref).isNotNull();
        assertThat(ref.hash()).isNotEqualTo("sha256:0000");
        assertThat(new ValueStore(b(), 1024, null).resolve(ref)).isEqualTo(lookalike);
    }

    @Test
    void checkpointsCarryOnlyTheReferenceWhicheverMemberOwnsTheRun() {
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus(), null,
                new ValueStore(a(), 16 * 1024, null));
        int remote = 0;
        for (int i = 0; i < 10; i++) {
            String id = "big-" + i;
            if (!a().getPartitionService().getPartition(id).getOwner().localMember()) {
                remote++;
            }
            store.apply(id, new Mutation.CreateRun(id, "wf", "h", "t", null, Map.of("text", TEXT), null, null));
            store.apply(id, new Mutation.StartNode("big", "call", 1, false));
            RunRecord done = store.apply(id, new Mutation.CompleteNode("big", "call", Map.of("text", TEXT), 0, 0, null))
                    .record();
            RunRecord finished = store.apply(id, new Mutation.CompleteRun(Map.of("text", TEXT))).record();
            assertThat(Json.write(done)).hasSizeLessThan(2048);
            assertThat(Json.write(finished)).hasSizeLessThan(2048);

            // read on the other member: the record travelled (and was backed up) as JSON holding the reference
            RunRecord fromB = new HazelcastRunStore(b(), caravan.eventBus()).get(id);
            assertThat(Json.write(fromB)).hasSizeLessThan(2048);
            assertThat(ValueRef.from(fromB.node("big").output())).isEqualTo(ValueRef.from(done.node("big").output()));
            RunRecord resolved = new ValueStore(b(), 16 * 1024, null).resolve(fromB);
            assertThat(resolved.input()).isEqualTo(Map.of("text", TEXT));
            assertThat(resolved.output()).isEqualTo(Map.of("text", TEXT));
            assertThat(resolved.node("big").output()).isEqualTo(Map.of("text", TEXT));
        }
        assertThat(remote).as("some runs live on the other member").isPositive();
        assertThat(map().keySet()).hasSize(1);
    }

    @Test
    void aValueStoredOnAnotherMemberIsReadFromTheMap() {
        Object ref = new ValueStore(a(), 1024, null).store(List.of(TEXT, 1, true));
        assertThat(new ValueStore(b(), 1024, null).resolve(ref)).isEqualTo(List.of(TEXT, 1, true));
        Object afterJson = Json.parse(Json.write(ref));
        assertThat(new ValueStore(b(), 1024, null).resolve(afterJson)).isEqualTo(List.of(TEXT, 1, true));
    }

    @Test
    void resolvingAValueThatIsGoneFailsNamingIt() {
        ValueRef gone = new ValueRef("sha256:" + "0".repeat(64), 123);
        assertThatThrownBy(() -> new ValueStore(a(), 1024, null).resolve(gone))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("Value sha256:" + "0".repeat(64) + " (123 bytes) is not in caravan.values: it expired or was "
                            + "never stored");
    }

    @Test
    void aReferencedValueIsRefreshedWhileAnUnreferencedOneExpires() {
        ValueStore values = new ValueStore(a(), 1024, Duration.ofSeconds(2));
        HazelcastRunStore store = new HazelcastRunStore(a(), caravan.eventBus(), null, values);
        store.apply("kept", new Mutation.CreateRun("kept", "wf", "h", "t", null, Map.of("text", TEXT), null, null));
        String kept = ValueRef.from(store.get("kept").input()).hash();
        String dropped = ValueRef.from(values.store(Map.of("other", TEXT))).hash();
        await().atMost(20, TimeUnit.SECONDS).pollInterval(500, TimeUnit.MILLISECONDS).until(() -> {
            assertThat(store.refreshReferencedValues()).isGreaterThanOrEqualTo(1);
            return !map().containsKey(dropped);
        });
        // refreshed as the engine does, a few times per retention period, it stays well beyond its first expiry
        await().during(5, TimeUnit.SECONDS).atMost(7, TimeUnit.SECONDS).pollInterval(500, TimeUnit.MILLISECONDS)
                .until(() -> store.refreshReferencedValues() >= 1 && map().containsKey(kept));
    }
}
