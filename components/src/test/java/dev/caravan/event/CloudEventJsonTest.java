package dev.caravan.event;

import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.caravan.json.Json;
import dev.caravan.run.RunService;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CloudEventJsonTest {

    @Test
    void mapsEveryField() throws Exception {
        RunEvent e = new RunEvent("caravan.node.completed", "r1:sub", 7, 1_700_000_000_123L, "greet", "acme", "lane-1",
                "each[2].ask", "r1", Map.of("output", "hi", "tokens", 5));
        String json = CloudEventJson.toJson(e);
        assertThat(json).doesNotContain("\n");
        var tree = Json.MAPPER.readTree(json);
        assertThat(tree.get("specversion").asText()).isEqualTo("1.0");
        assertThat(tree.get("id").asText()).isEqualTo("r1:sub-7");
        assertThat(tree.get("sequence").isNumber()).isTrue();
        assertThat(tree.get("data").get("output").asText()).isEqualTo("hi");

        CloudEvent ce = CloudEventJson.parse(json);
        assertThat(ce.getType()).isEqualTo("caravan.node.completed");
        assertThat(ce.getSource().toString()).isEqualTo("/caravan/workflows/greet");
        assertThat(ce.getSubject()).isEqualTo("each[2].ask");
        assertThat(ce.getTime().toInstant().toEpochMilli()).isEqualTo(1_700_000_000_123L);
        assertThat(ce.getDataContentType()).isEqualTo("application/json");
        assertThat(ce.getExtension("runid")).isEqualTo("r1:sub");
        assertThat(ce.getExtension("tenantid")).isEqualTo("acme");
        assertThat(ce.getExtension("workflow")).isEqualTo("greet");
        assertThat(ce.getExtension("node")).isEqualTo("each[2].ask");
        assertThat(ce.getExtension("laneid")).isEqualTo("lane-1");
        assertThat(ce.getExtension("parentrunid")).isEqualTo("r1");
        assertThat(((Number) ce.getExtension("sequence")).longValue()).isEqualTo(7);
    }

    @Test
    void runLevelEventsHaveNoSubject() {
        RunEvent e = new RunEvent("caravan.run.started", "r1", 1, 0, "hello", "default", null, null, null,
                Map.of("workflow", "hello"));
        CloudEvent ce = CloudEventJson.toCloudEvent(e);
        assertThat(ce.getSubject()).isNull();
        assertThat(ce.getExtensionNames()).doesNotContain("node", "parentrunid", "laneid");
    }

    @Test
    void everyEventOfARealRunValidatesAgainstTheCloudEventsSchema() throws Exception {
        var schemaFile = Path.of("src/test/resources/fixtures/cloudevents/cloudevents-v1.0.2.schema.json");
        var schema = JsonSchemaFactory
                .getInstance(SpecVersion.VersionFlag.V7)
                .getSchema(Files.readString(schemaFile));
        List<RunEvent> events = new CopyOnWriteArrayList<>();
        try (CaravanEngineExtension caravan = CaravanEngineExtension.builder().build().start()) {
            var engine = caravan.engine();
            engine.events().subscribe(events::add);
            engine.catalog().deploy(Path.of("../routes/examples/subflow.caravan.yaml"));
            var run = engine.runs().start(RunService.StartRequest.of("subflow",
                    Map.of("ticket", "urgent: printer on fire"))).get(10, TimeUnit.SECONDS);
            engine.events().drain(5_000);
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        }
        assertThat(events).hasSizeGreaterThan(10);
        for (RunEvent e : events) {
            var problems = schema.validate(Json.MAPPER.readTree(CloudEventJson.toJson(e)));
            assertThat(problems).as("%s", e).isEmpty();
        }
    }
}
