package dev.caravan.app.serve;

import dev.caravan.run.Engine;
import dev.caravan.run.Lanes;
import dev.caravan.state.LaneRecord;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * What the lane endpoints of {@code /api/v1} do, apart from HTTP. A lane belongs to the tenant that created it: to
 * every other tenant it does not exist.
 */
final class LaneApi {

    /** Lane ids as the API takes them: they name Hazelcast entries and appear in events and paths. */
    private static final Pattern LANE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    /** The largest concurrency cap a lane may be created with. */
    static final int MAX_CAP = 10_000;
    private static final List<String> MODES = Arrays.stream(Lanes.Cleanup.values())
            .map(m -> m.name().toLowerCase(Locale.ROOT)).toList();

    private final Supplier<Engine> engine;

    LaneApi(Supplier<Engine> engine) {
        this.engine = engine;
    }

    /**
     * {@code POST /api/v1/lane/create}: creates a lane of the caller's tenant; 201 when created, 200 when the tenant
     * has it already (left as it is, its cap too).
     */
    ApiResponse create(String tenant, byte[] body) {
        Map<String, Object> request = RequestBodies.object(body, "{\"laneId\": \"session-42\", \"cap\": 2}");
        String laneId = laneId(RequestBodies.string(request, "laneId", true));
        int cap = RequestBodies.integer(request, "cap", 1, 1, MAX_CAP);
        Lanes lanes = engine.get().lanes();
        boolean existed = lanes.get(laneId) != null;
        LaneRecord lane = lanes.create(laneId, tenant, cap);
        if (!lane.tenant().equals(tenant)) {
            // lane ids are one name space across tenants: saying it is taken is all this tells
            throw new ApiException(409, "LANE_CONFLICT", "Lane id taken", "the lane id " + laneId + " is taken; "
                    + "choose another");
        }
        return ApiResponse.of(existed ? 200 : 201, view(lane));
    }

    /**
     * {@code POST /api/v1/lane/cleanup}: {@code cancel} cancels the lane's runs and removes it; {@code drain} admits
     * no more runs and removes it once its last run ended.
     */
    ApiResponse cleanup(String tenant, byte[] body) {
        Map<String, Object> request = RequestBodies.object(body, "{\"laneId\": \"session-42\", \"mode\": \"drain\"}");
        String laneId = RequestBodies.string(request, "laneId", true);
        Lanes.Cleanup mode = Lanes.Cleanup.valueOf(RequestBodies.oneOf(request, "mode", MODES)
                .toUpperCase(Locale.ROOT));
        owned(tenant, laneId);
        LaneRecord after;
        try {
            after = engine.get().lanes().cleanup(laneId, mode);
        } catch (IllegalArgumentException removedMeanwhile) {
            throw new ApiException(404, "LANE_NOT_FOUND", "No such lane", "there is no lane " + laneId);
        }
        Map<String, Object> answer = after != null ? view(after) : new LinkedHashMap<>(Map.of("laneId", laneId));
        answer.put("removed", after == null);
        return ApiResponse.of(200, answer);
    }

    /** {@code GET /api/v1/lanes/{laneId}}: the lane, when the caller's tenant owns it. */
    ApiResponse get(String tenant, String laneId) {
        return ApiResponse.of(200, view(owned(tenant, laneId)));
    }

    private LaneRecord owned(String tenant, String laneId) {
        return owned(engine.get(), tenant, laneId);
    }

    /** The lane, when the tenant owns it: another tenant's lane is as unknown as one that never was. */
    private static LaneRecord owned(Engine engine, String tenant, String laneId) {
        LaneRecord lane = laneId == null || laneId.isBlank() ? null : engine.lanes().get(laneId);
        if (lane == null || !lane.tenant().equals(tenant)) {
            throw new ApiException(404, "LANE_NOT_FOUND", "No such lane", "there is no lane " + laneId);
        }
        return lane;
    }

    private static String laneId(String id) {
        if (!LANE_ID.matcher(id).matches()) {
            throw RequestBodies.invalid("\"laneId\" must be 1 to 128 letters, digits, '.', '_', ':' or '-', "
                    + "starting with a letter or digit");
        }
        return id;
    }

    /** A lane as the API shows it: its memory's keys, not its values, which may be large. */
    static Map<String, Object> view(LaneRecord lane) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("laneId", lane.laneId());
        body.put("tenant", lane.tenant());
        body.put("status", lane.status().name().toLowerCase(Locale.ROOT));
        body.put("cap", lane.cap());
        body.put("running", lane.running());
        body.put("queued", lane.queued());
        body.put("consecutiveFailures", lane.consecutiveFailures());
        body.put("memoryKeys", List.copyOf(new TreeSet<>(lane.memory().keySet())));
        body.put("createdAt", lane.createdAt() <= 0 ? null : Instant.ofEpochMilli(lane.createdAt()).toString());
        return body;
    }
}
