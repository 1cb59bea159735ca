package dev.caravan.app.serve;

import dev.caravan.run.Engine;
import dev.caravan.run.KillSwitches;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the kill-switch endpoints of {@code /api/v1/admin} do, apart from HTTP: set or clear a switch for a workflow, a
 * tenant or everything, and list the switches that are set. While one is set no new run starts and running runs stop
 * at their next node boundary ({@link KillSwitches}).
 */
final class KillSwitchApi {

    private static final List<String> SCOPES = List.of("workflow", "tenant", "all");

    private final Supplier<Engine> engine;

    KillSwitchApi(Supplier<Engine> engine) {
        this.engine = engine;
    }

    /**
     * {@code POST /api/v1/admin/kill-switch}: sets a switch, or clears it with {@code "clear": true}; answers the
     * switches set afterwards.
     */
    ApiResponse change(byte[] body) {
        Map<String, Object> request = RequestBodies.object(body,
                "{\"scope\": \"workflow\", \"target\": \"triage\", \"reason\": \"runaway costs\"}");
        String scopeName = RequestBodies.oneOf(request, "scope", SCOPES);
        KillSwitches.Scope scope = switch (scopeName) {
            case "workflow" -> KillSwitches.Scope.WORKFLOW;
            case "tenant" -> KillSwitches.Scope.TENANT;
            default -> KillSwitches.Scope.GLOBAL;
        };
        String target = RequestBodies.string(request, "target", scope != KillSwitches.Scope.GLOBAL);
        if (scope == KillSwitches.Scope.GLOBAL && target != null) {
            throw RequestBodies.invalid("a kill switch of scope all takes no \"target\"");
        }
        String reason = RequestBodies.string(request, "reason", false);
        KillSwitches switches = engine.get().killSwitches();
        if (RequestBodies.bool(request, "clear", false)) {
            switches.clear(scope, target);
        } else {
            switches.set(scope, target, reason);
        }
        return list();
    }

    /** {@code GET /api/v1/admin/kill-switch}: the switches that are set. */
    ApiResponse list() {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<String, String> e : engine.get().killSwitches().active().entrySet()) {
            int colon = e.getKey().indexOf(':');
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("scope", colon < 0 ? "all" : e.getKey().substring(0, colon));
            s.put("target", colon < 0 ? null : e.getKey().substring(colon + 1));
            s.put("reason", e.getValue());
            out.add(s);
        }
        return ApiResponse.of(200, Map.of("killSwitches", out));
    }
}
