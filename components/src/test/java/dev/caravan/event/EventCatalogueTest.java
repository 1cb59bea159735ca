package dev.caravan.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.caravan.component.node.NodeConstants;
import dev.caravan.json.Json;
import dev.caravan.run.KillSwitches;
import dev.caravan.run.Lanes;
import dev.caravan.run.RunService;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import dev.caravan.test.LocalHttpServer;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Keeps {@code docs/events.md} true: runs workflows on a real embedded engine that make every event type of the
 * catalogue happen, and checks the events against the page (every type documented and every documented type seen,
 * every data field documented, every attribute documented), against the CloudEvents 1.0 JSON Schema, and for
 * contiguous sequences; the page's examples must be CloudEvents that validate too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventCatalogueTest {

    private static final String TRIAGE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: triage
            spec:
              nodes:
                - id: classify
                  agent:
                    model: scripted
                    prompt: "Classify: ${{ input.ticket }}"
                    tools: [kb-search, crm-lookup]
                    scripted:
                      replies:
                        - toolCalls: [{ name: kb-search, arguments: { q: "refund" } }]
                        - toolCalls: [{ name: crm-lookup, arguments: { customer: "ada" } }]
                        - "billing"
                - id: fetch
                  needs: [classify]
                  retry: { maxAttempts: 2, backoff: fixed, initialDelay: 10ms }
                  call: { uri: "direct:flaky-crm" }
                - id: escalate
                  needs: [classify]
                  when: ${{ nodes.classify.output == 'outage' }}
                  set: { paged: true }
                - id: cool-off
                  needs: [fetch]
                  wait: { duration: 50ms }
                - id: approve
                  needs: [cool-off]
                  gate: { message: "Send the reply to ${{ input.customer }}?" }
                - id: summary
                  needs: [approve]
                  workflow: { name: summarize, input: "${{ {'text': nodes.classify.output} }}" }
                - id: notify
                  needs: [summary]
                  emit: { type: ticket.triaged, data: "${{ {'category': nodes.classify.output} }}" }
              tools:
                kb-search:
                  description: Search the knowledge base
                  parameters: { type: object, properties: { q: { type: string } }, required: [q] }
                  uri: direct:kb-search
                crm-lookup:
                  description: Look a customer up in the CRM
                  parameters: { type: object, properties: { customer: { type: string } }, required: [customer] }
                  uri: direct:crm-down
              output: ${{ nodes.summary.output }}
            """;

    private static final String SUMMARIZE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: summarize
            spec:
              nodes:
                - id: short
                  set: { summary: "Ticket about ${{ input.text }}" }
              output: ${{ nodes.short.output }}
            """;

    private static final String REFUND = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: %s
            spec:
              nodes:
                - id: approve
                  gate: { message: "Refund ${{ input.amount }} EUR?" }
                - id: refund
                  needs: [approve]
                  set: { refunded: %s }
            """;

    private static final String CHARGE = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: charge
            spec:
              nodes:
                - id: pay
                  call: { uri: "direct:payments-down" }
            """;

    private static final String MIDSTREAM = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: midstream
            spec:
              nodes:
                - id: answer
                  agent:
                    model: gemini:gemini-2.5-flash
                    fallback: [scripted]
                    prompt: "Hi"
                    scripted: { replies: ["Recovered after the failure."] }
            """;

    /** Gemini's own recorded stream: two deltas, then an error. */
    @RegisterExtension
    static final LocalHttpServer gemini = LocalHttpServer.start("/", exchange -> {
        exchange.getRequestBody().readAllBytes();
        try {
            // the stub's network latency: the first delta then comes after the engine's 20 ms publication window, so
            // it is published before the failure and has to be taken back by an output.discarded event
            TimeUnit.MILLISECONDS.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LocalHttpServer.reply(exchange, "text/event-stream", resource(
                "/fixtures/llm/gemini/vertexai-streaming-failure-error-mid-stream.txt"));
    });

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .property("caravan.llm.gemini.base-url", gemini.url() + "/v1beta")
            .property("caravan.llm.gemini.api-key", "test-key")
            .routes(rb -> rb.from("direct:kb-search")
                    .setBody(rb.constant(Map.of("article", "Refunds are accepted within 30 days"))))
            .routes(rb -> rb.from("direct:crm-down").throwException(new IllegalStateException("CRM is down")))
            .routes(rb -> rb.from("direct:payments-down")
                    .throwException(new IllegalStateException("payment service unavailable")))
            // fails the first attempt of a node, whose idempotency key ends with /1
            .routes(rb -> rb.from("direct:flaky-crm").process(e -> {
                if (e.getMessage().getHeader(NodeConstants.IDEMPOTENCY_KEY, String.class).endsWith("/1")) {
                    throw new IllegalStateException("CRM timed out");
                }
                e.getMessage().setBody(Map.of("customer", "ada", "plan", "pro"));
            }))
            .workflow("summarize.caravan.yaml", SUMMARIZE)
            .workflow("triage.caravan.yaml", TRIAGE)
            .workflow("refund.caravan.yaml", REFUND.formatted("refund", "true"))
            .workflow("kill-me.caravan.yaml", REFUND.formatted("kill-me", "true"))
            .workflow("charge.caravan.yaml", CHARGE)
            .workflow("midstream.caravan.yaml", MIDSTREAM)
            .build();

    private final JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
            .getSchema(new String(resource("/fixtures/cloudevents/cloudevents-v1.0.2.schema.json"),
                    StandardCharsets.UTF_8));

    private EventsPage page;
    /** Every event of the tour, in the order the bus delivered them. */
    private List<RunEvent> events;

    @BeforeAll
    void tour() throws Exception {
        approvedTriage();
        rejectedRefund();
        failedChargeRetriedFromItsNode();
        cancelledRefund();
        killSwitch();
        lanes();
        changedDefinition();
        midStreamFailure();
        caravan.eventBus().drain(5_000);
        events = List.copyOf(caravan.events());
        writeExamples();
        page = EventsPage.read(EventsPage.locate());
    }

    /**
     * Writes the first event of each type, as the page shows it, to {@code target/event-examples.md}: the page's
     * examples are taken from there, so they are what a run publishes.
     */
    private void writeExamples() throws IOException {
        Map<String, RunEvent> first = new LinkedHashMap<>();
        for (RunEvent e : events) {
            first.putIfAbsent(e.type(), e);
        }
        StringBuilder out = new StringBuilder();
        for (RunEvent e : first.values()) {
            out.append("### `").append(e.type()).append("`\n\n```json\n")
                    .append(Json.MAPPER.writerWithDefaultPrettyPrinter()
                            .writeValueAsString(Json.MAPPER.readTree(CloudEventJson.toJson(e))))
                    .append("\n```\n\n");
        }
        Files.writeString(Path.of("target/event-examples.md"), out);
    }

    // --- the tour ---

    private void approvedTriage() throws Exception {
        RunRecord r = caravan.run("triage", Map.of("ticket", "Charged twice", "customer", "ada"));
        await().atMost(20, TimeUnit.SECONDS).until(() -> status(r) == RunStatus.AWAITING_APPROVAL);
        RunRecord done = caravan.runs().resolveGate(r.runId(), "approve", true, "bob", "looks right")
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo(RunStatus.COMPLETED);
    }

    private void rejectedRefund() throws Exception {
        RunRecord r = caravan.run("refund", Map.of("amount", 40));
        assertThat(r.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        RunRecord done = caravan.runs().resolveGate(r.runId(), "approve", false, "carol", "not eligible")
                .get(20, TimeUnit.SECONDS);
        assertThat(done.status()).isEqualTo(RunStatus.COMPLETED);
    }

    private void failedChargeRetriedFromItsNode() throws Exception {
        RunRecord r = caravan.run("charge", Map.of("amount", 40));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(caravan.runs().retryFrom(r.runId(), "pay").get(20, TimeUnit.SECONDS).status())
                .isEqualTo(RunStatus.FAILED);
    }

    private void cancelledRefund() throws Exception {
        RunRecord r = caravan.run("refund", Map.of("amount", 15));
        assertThat(caravan.runs().cancel(r.runId(), "customer withdrew the request").status())
                .isEqualTo(RunStatus.CANCELLED);
    }

    private void killSwitch() throws Exception {
        RunRecord r = caravan.run("kill-me", Map.of("amount", 99));
        KillSwitches switches = caravan.engine().killSwitches();
        switches.set(KillSwitches.Scope.WORKFLOW, "kill-me", "refunds on hold");
        try {
            RunRecord stopped = caravan.runs().resolveGate(r.runId(), "approve", true, "bob", null)
                    .get(20, TimeUnit.SECONDS);
            assertThat(stopped.status()).isEqualTo(RunStatus.CANCELLED);
        } finally {
            switches.clear(KillSwitches.Scope.WORKFLOW, "kill-me");
        }
    }

    private void lanes() throws Exception {
        Lanes lanes = caravan.engine().lanes();
        lanes.create("support-7", "acme", 1);
        RunRecord first = caravan.runs().start(inLane("refund", "support-7")).get(20, TimeUnit.SECONDS);
        assertThat(first.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        RunRecord second = caravan.runs().start(inLane("refund", "support-7")).get(20, TimeUnit.SECONDS);
        assertThat(second.status()).isEqualTo(RunStatus.QUEUED);
        caravan.runs().resolveGate(first.runId(), "approve", true, "bob", null).get(20, TimeUnit.SECONDS);
        // the freed slot goes to the queued run, which pauses at its own gate
        await().atMost(20, TimeUnit.SECONDS).until(() -> status(second) == RunStatus.AWAITING_APPROVAL);
        lanes.cleanup("support-7", Lanes.Cleanup.CANCEL);
        assertThat(status(second)).isEqualTo(RunStatus.CANCELLED);

        lanes.create("billing-3", "acme", 1);
        for (int i = 0; i < Lanes.QUARANTINE_AFTER; i++) {
            assertThat(caravan.runs().start(inLane("charge", "billing-3")).get(20, TimeUnit.SECONDS).status())
                    .isEqualTo(RunStatus.FAILED);
        }
        lanes.cleanup("billing-3", Lanes.Cleanup.CANCEL);
    }

    private void changedDefinition() throws Exception {
        caravan.deploy(REFUND.formatted("changing", "true"));
        RunRecord r = caravan.run("changing", Map.of("amount", 25));
        caravan.deploy(REFUND.formatted("changing", "yes"));
        RunRecord held = caravan.runs().resolveGate(r.runId(), "approve", true, "bob", null).get(20, TimeUnit.SECONDS);
        assertThat(held.status()).isEqualTo(RunStatus.AWAITING_MIGRATION);
        assertThat(caravan.runs().migrate(r.runId()).get(20, TimeUnit.SECONDS).status())
                .isEqualTo(RunStatus.COMPLETED);
    }

    private void midStreamFailure() throws Exception {
        RunRecord r = caravan.run("midstream", Map.of());
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
    }

    private static RunService.StartRequest inLane(String workflow, String lane) {
        return new RunService.StartRequest(workflow, Map.of("amount", 10), "acme", lane, null, null, null);
    }

    private static RunStatus status(RunRecord r) {
        return caravan.queries().get(r.runId()).status();
    }

    // --- the checks ---

    @Test
    void everyEmittedTypeIsDocumentedAndEveryDocumentedTypeWasEmitted() {
        Set<String> emitted = new TreeSet<>();
        for (RunEvent e : events) {
            if (e.type().startsWith("caravan.")) {
                emitted.add(e.type());
            }
        }
        assertThat(page.types()).as("types documented in docs/events.md").hasSizeGreaterThan(20);
        // a trigger's events are published by caravan serve's trigger supervisor, not by the engine the tour drives
        // (TriggersIT and CdcTriggerIT see them)
        Set<String> engineTypes = new TreeSet<>(page.types());
        engineTypes.removeAll(Set.of(EventTypes.TRIGGER_FAILED, EventTypes.TRIGGER_RESTARTED));
        assertThat(emitted).as("types emitted by the tour").containsExactlyInAnyOrderElementsOf(engineTypes);
        // an emit node's own type is the workflow's, not the catalogue's
        assertThat(events).anySatisfy(e -> assertThat(e.type()).isEqualTo("ticket.triaged"));
    }

    @Test
    void everyTypeOfTheEngineCatalogueIsDocumented() throws IllegalAccessException {
        Set<String> constants = new TreeSet<>();
        for (Field f : EventTypes.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                constants.add((String) f.get(null));
            }
        }
        assertThat(constants).isNotEmpty().containsExactlyInAnyOrderElementsOf(page.types());
    }

    @Test
    void everyDataFieldAndAttributeOfEveryEventIsDocumented() throws IOException {
        for (RunEvent e : events) {
            JsonNode json = Json.MAPPER.readTree(CloudEventJson.toJson(e));
            assertThat(names(json)).as("attributes of %s", e).isSubsetOf(page.attributes());
            if (page.types().contains(e.type())) {
                assertThat(json.get("data").isObject()).as("data of %s", e).isTrue();
                assertThat(names(json.get("data"))).as("data of %s", e).isSubsetOf(page.fields(e.type()));
            }
        }
    }

    @Test
    void everyEventValidatesAgainstTheCloudEventsSchema() throws IOException {
        assertThat(events).hasSizeGreaterThan(100);
        for (RunEvent e : events) {
            String json = CloudEventJson.toJson(e);
            assertThat(schema.validate(Json.MAPPER.readTree(json))).as(json).isEmpty();
            CloudEvent parsed = CloudEventJson.parse(json);
            assertThat(parsed.getId()).isEqualTo(e.id());
        }
    }

    @Test
    void everyExampleOfThePageIsACloudEventOfItsTypeThatValidates() throws IOException {
        assertThat(page.otherExamples()).as("the example of an emit node's event").hasSize(1);
        assertThat(page.examples().keySet()).as("each documented type has one example").isNotEmpty()
                .containsExactlyInAnyOrderElementsOf(page.types());
        List<String> all = new ArrayList<>(page.otherExamples());
        page.examples().values().forEach(all::add);
        for (String example : all) {
            JsonNode json = Json.MAPPER.readTree(example);
            assertThat(schema.validate(json)).as(example).isEmpty();
            assertThat(names(json)).as(example).isSubsetOf(page.attributes());
            CloudEvent parsed = CloudEventJson.parse(example);
            assertThat(parsed.getSpecVersion().toString()).isEqualTo("1.0");
        }
        for (Map.Entry<String, String> example : page.examples().entrySet()) {
            String type = example.getKey();
            assertThat(CloudEventJson.parse(example.getValue()).getType()).as("the example under %s", type)
                    .isEqualTo(type);
            JsonNode data = Json.MAPPER.readTree(example.getValue()).get("data");
            assertThat(data).as("data of the example of %s", type).isNotNull();
            assertThat(names(data)).as("data of the example of %s", type).isSubsetOf(page.fields(type));
        }
    }

    @Test
    void eachRunsSequenceCountsFromOneWithoutGaps() {
        Map<String, List<Long>> byRun = new LinkedHashMap<>();
        for (RunEvent e : events) {
            byRun.computeIfAbsent(e.runId(), k -> new ArrayList<>()).add(e.sequence());
        }
        assertThat(byRun).hasSizeGreaterThan(10);
        byRun.forEach((runId, sequences) -> {
            for (int i = 0; i < sequences.size(); i++) {
                assertThat(sequences.get(i)).as("event %d of run %s", i, runId).isEqualTo(i + 1L);
            }
        });
        assertThat(events).extracting(RunEvent::lane).contains("support-7", "billing-3");
        assertThat(byRun.keySet()).anySatisfy(runId -> assertThat(runId).startsWith("lane:support-7@"))
                .anySatisfy(runId -> assertThat(runId).startsWith("lane:billing-3@"));
    }

    private static Set<String> names(JsonNode json) {
        Set<String> names = new TreeSet<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static byte[] resource(String name) {
        try (InputStream in = EventCatalogueTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("No test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What {@code docs/events.md} says: event types are {@code ### `caravan...`} headings, each followed by a table
     * of its data fields ({@code | `field` | ... |}) and one {@code json} example; the attributes are the rows of the
     * table under {@code ## CloudEvents attributes}.
     */
    record EventsPage(Set<String> types, Map<String, Set<String>> fieldsByType, Map<String, String> examples,
            List<String> otherExamples, Set<String> attributes) {

        private static final Pattern TYPE_HEADING = Pattern.compile("^### `(caravan\\.[a-z.]+)`\\s*$");
        private static final Pattern ROW = Pattern.compile("^\\| `([A-Za-z0-9]+)` \\|");

        Set<String> fields(String type) {
            return fieldsByType.getOrDefault(type, Set.of());
        }

        /** The page in the repository that holds the module: tests read nothing outside it. */
        static Path locate() {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve("mvnw"))) {
                    return dir.resolve("docs/events.md");
                }
            }
            throw new IllegalStateException("No repository root (mvnw) above " + Path.of("").toAbsolutePath());
        }

        static EventsPage read(Path file) throws IOException {
            Set<String> types = new LinkedHashSet<>();
            Map<String, Set<String>> fields = new LinkedHashMap<>();
            Map<String, String> examples = new LinkedHashMap<>();
            List<String> others = new ArrayList<>();
            Set<String> attributes = new TreeSet<>();
            String type = null;
            String section = null;
            StringBuilder block = null;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (block != null) {
                    if (line.startsWith("```")) {
                        if (type != null) {
                            assertThat(examples.put(type, block.toString())).as("a second example of %s", type)
                                    .isNull();
                        } else {
                            others.add(block.toString());
                        }
                        block = null;
                    } else {
                        block.append(line).append('\n');
                    }
                    continue;
                }
                if (line.startsWith("```json")) {
                    block = new StringBuilder();
                    continue;
                }
                if (line.startsWith("#")) {
                    Matcher m = TYPE_HEADING.matcher(line);
                    type = m.matches() ? m.group(1) : null;
                    if (type != null) {
                        assertThat(types.add(type)).as("%s documented twice", type).isTrue();
                    }
                    if (line.startsWith("## ")) {
                        section = line.substring(3).trim();
                    }
                    continue;
                }
                Matcher row = ROW.matcher(line);
                if (row.find()) {
                    if (type != null) {
                        fields.computeIfAbsent(type, k -> new TreeSet<>()).add(row.group(1));
                    } else if ("CloudEvents attributes".equals(section)) {
                        attributes.add(row.group(1));
                    }
                }
            }
            return new EventsPage(types, fields, examples, others, attributes);
        }
    }
}
