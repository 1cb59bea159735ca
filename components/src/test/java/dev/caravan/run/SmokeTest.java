package dev.caravan.run;

import dev.caravan.state.RunRecord;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void hello() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Engine engine = Engine.of(camel);
            engine.events().subscribe(e -> System.out.println("EVENT " + e));
            engine.catalog().deploy(Path.of("../routes/examples/hello.caravan.yaml"));
            RunRecord r = engine.runs().start(RunService.StartRequest.of("hello", Map.of("name", "Ada"))).get();
            System.out.println(r);
            engine.events().drain(1000);
            assertThat(r.output()).isEqualTo("Hello, friend! Welcome aboard the caravan.");
        }
    }
}
