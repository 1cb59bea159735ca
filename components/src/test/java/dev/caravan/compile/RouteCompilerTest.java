package dev.caravan.compile;

import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The shape of compiled routes: which steps record their outcome with the next step's update. */
class RouteCompilerTest {

    private static final String WORKFLOW = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: shapes
            spec:
              nodes:
                - id: a
                  set: { v: 1 }
                - id: b
                  needs: [a]
                  call: { uri: "direct:b" }
                - id: c
                  needs: [b]
                  call: { uri: "direct:c" }
                - id: d
                  needs: [b]
                  call: { uri: "direct:d" }
                - id: each
                  needs: [c, d]
                  map:
                    items: "${{ [1, 2] }}"
                    nodes:
                      - id: x
                        set: { v: "${{ item }}" }
                      - id: y
                        needs: [x]
                        call: { uri: "direct:y" }
                - id: last
                  needs: [each]
                  set: { n: "${{ size(nodes.each.output) }}" }
            """;

    @Test
    void aNodeRecordsWithTheNextStepOnlyWhereThatStepFollowsOnTheSameExchange() {
        Workflow wf = new WorkflowLoader().load("shapes.caravan.yaml", WORKFLOW);
        List<Map<String, Object>> routes = routes(new RouteCompiler().compile(wf));
        Map<String, Boolean> main = recordsWithNext(steps(routes, "caravan-workflow-shapes"));
        // a, b: followed by a node step; b is followed by the multicast of c and d, so it records on its own, and
        // so do the branches (copies of the exchange); each and last are followed by a step, last by the end step
        assertThat(main).containsExactly(Map.entry("caravan-run:begin", false), Map.entry("caravan-set:a", true),
                Map.entry("caravan-call:b", false), Map.entry("caravan-call:c", false),
                Map.entry("caravan-call:d", false), Map.entry("caravan-map:each", true),
                Map.entry("caravan-set:last", true), Map.entry("caravan-run:end", false));
        // in a body route, the last step has nothing after it on its exchange
        assertThat(recordsWithNext(steps(routes, "caravan-workflow-shapes-each")))
                .containsExactly(Map.entry("caravan-set:each/x", true), Map.entry("caravan-call:each/y", false));
    }

    @Test
    void aFailNodeIsACaravanFailStepThatRunsInLineBeforeItsLevelsMulticast() {
        Workflow wf = new WorkflowLoader().load("guard.caravan.yaml", """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: guard
                spec:
                  nodes:
                    - id: a
                      set: { v: 1 }
                    - id: guard
                      needs: [a]
                      when: ${{ nodes.a.output.v > 1 }}
                      fail: { message: too big, code: TOO_BIG }
                    - id: b
                      needs: [a]
                      call: { uri: "direct:b" }
                    - id: c
                      needs: [a]
                      call: { uri: "direct:c" }
                """);
        List<Object> main = steps(routes(new RouteCompiler().compile(wf)), "caravan-workflow-guard");
        assertThat(recordsWithNext(main).keySet()).containsExactly("caravan-run:begin", "caravan-set:a",
                "caravan-fail:guard", "caravan-call:b", "caravan-call:c", "caravan-run:end");
        assertThat(main.get(3)).isInstanceOfSatisfying(Map.class, step -> assertThat(step).containsKey("multicast"));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> routes(String yaml) {
        return (List<Map<String, Object>>) new Load(LoadSettings.builder().build()).loadFromString(yaml);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> steps(List<Map<String, Object>> routes, String id) {
        for (Map<String, Object> r : routes) {
            Map<String, Object> route = (Map<String, Object>) r.get("route");
            if (id.equals(route.get("id"))) {
                return (List<Object>) ((Map<String, Object>) route.get("from")).get("steps");
            }
        }
        throw new AssertionError("no route " + id);
    }

    /** Every {@code to} step, those inside a multicast included, in order: URI to whether it records with the next. */
    @SuppressWarnings("unchecked")
    private static Map<String, Boolean> recordsWithNext(List<Object> steps) {
        Map<String, Boolean> out = new LinkedHashMap<>();
        List<Object> flat = new ArrayList<>();
        for (Object step : steps) {
            Map<String, Object> s = (Map<String, Object>) step;
            if (s.containsKey("multicast")) {
                flat.addAll((List<Object>) ((Map<String, Object>) s.get("multicast")).get("steps"));
            } else {
                flat.add(s);
            }
        }
        for (Object step : flat) {
            Map<String, Object> to = (Map<String, Object>) ((Map<String, Object>) step).get("to");
            Map<String, Object> parameters = (Map<String, Object>) to.getOrDefault("parameters", Map.of());
            out.put((String) to.get("uri"), Boolean.TRUE.equals(parameters.get("recordWithNext")));
        }
        return out;
    }
}
