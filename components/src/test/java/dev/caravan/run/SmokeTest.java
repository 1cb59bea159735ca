package dev.caravan.run;

import dev.caravan.state.RunRecord;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

class SmokeTest {
    @Test
    void examples() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Engine engine = Engine.of(camel);
            Map<String, Object> inputs = Map.of("hello", Map.of("name", "Ada"), "diamond", Map.of("ticket", "t"),
                    "gate", Map.of("to", "bob"), "map", Map.of("docs", List.of("a", "b", "c", "d", "e")),
                    "loop", Map.of("topic", "x"), "tools", Map.of("question", "refunds?"),
                    "subflow", Map.of("ticket", "urgent: help"));
            for (String name : List.of("hello", "diamond", "gate", "map", "loop", "tools", "subflow")) {
                try {
                    engine.catalog().deploy(Path.of("../routes/examples/" + name + ".caravan.yaml"));
                    RunRecord r = engine.runs().start(RunService.StartRequest.of(name, inputs.get(name))).get(20, TimeUnit.SECONDS);
                    System.out.println("RESULT " + name + " " + r.status() + " " + r.output() + " " + r.error());
                    if (r.status() == dev.caravan.state.RunStatus.AWAITING_APPROVAL) {
                        r = engine.runs().resolveGate(r.runId(), "approve", true, "me", null).get(20, TimeUnit.SECONDS);
                        System.out.println("RESULT after approve " + name + " " + r.status() + " " + r.output() + " " + r.error());
                    }
                } catch (Exception e) {
                    System.out.println("RESULT " + name + " EXC " + e);
                    e.printStackTrace(System.out);
                }
            }
        }
    }
}
