package dev.caravan.routes;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dev.caravan.component.run.RunConstants;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.RunRecords;
import dev.caravan.state.NodeStatus;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static dev.caravan.routes.Examples.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The examples of the component pages (components/src/main/docs) run as they are written: every page's workflow
 * files are registered with one engine and its routes loaded into the engine's Camel context, then each page's
 * example is run with the input its text gives. A page whose example stops working fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComponentDocsTest {

    private static final String COMPONENT_LIST = "META-INF/services/org/apache/camel/component.properties";

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            // the secret of caravan-webhook's example, by the name its route gives
            .property("GITHUB_WEBHOOK_SECRET", "It's a Secret to Everybody")
            .build();

    private ProducerTemplate producer;

    @BeforeAll
    void loadEveryExample() throws Exception {
        CamelContext camel = caravan.camelContext();
        WorkflowLoader loader = new WorkflowLoader();
        List<ComponentDocs> pages = ComponentDocs.all();
        // definitions first: a route's endpoints read theirs when it starts
        for (ComponentDocs page : pages) {
            page.workflows().forEach((file, text) -> caravan.engine().catalog().register(loader.load(file, text)));
        }
        for (ComponentDocs page : pages) {
            for (Map.Entry<String, String> routes : page.routes().entrySet()) {
                PluginHelper.getRoutesLoader(camel)
                        .loadRoutes(ResourceHelper.fromString(routes.getKey(), routes.getValue()));
            }
        }
        producer = caravan.camelContext().createProducerTemplate();
    }

    @Test
    void everyComponentHasAPageWithAUsageSectionAndAnExampleThatUsesIt() {
        List<ComponentDocs> pages = ComponentDocs.all();
        assertThat(pages).extracting(ComponentDocs::scheme).containsExactlyInAnyOrderElementsOf(listedSchemes());
        for (ComponentDocs page : pages) {
            assertThat(page.usage()).as("%s has == Usage", page.scheme()).isTrue();
            assertThat(page.workflows()).as("%s: workflow files of its example", page.scheme()).isNotEmpty();
            assertThat(page.routes()).as("%s: routes of its example", page.scheme()).isNotEmpty();
            assertThat(String.join("\n", page.routes().values())).as(page.scheme())
                    .contains("uri: " + page.scheme() + ":");
        }
    }

    @Test
    void exampleRoutesAreValidCamelYaml() throws IOException {
        JsonSchema schema;
        try (InputStream in = Objects.requireNonNull(
                YamlRoutesBuilderLoader.class.getResourceAsStream("/schema/camelYamlDsl.json"))) {
            schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        for (ComponentDocs page : ComponentDocs.all()) {
            page.routes().forEach((file, yaml) -> {
                Object parsed = new Load(LoadSettings.builder().build()).loadFromString(yaml);
                assertThat(schema.validate(Examples.JSON.valueToTree(parsed))).as(file).isEmpty();
            });
        }
    }

    @Test
    void setComputesTheTotalsOfAnOrder() {
        Exchange done = send("direct:caravan-workflow-order-totals",
                Map.of("items", List.of(Map.of("sku", "A-1"), Map.of("sku", "B-2"), Map.of("sku", "C-3"))));
        assertThat(tree(done.getMessage().getBody()))
                .isEqualTo(tree("{\"count\": 3, \"first\": \"A-1\", \"label\": \"3 items\"}"));
    }

    @Test
    void callAsksTheStockRoute() {
        Exchange done = send("direct:caravan-workflow-stock-check", Map.of("sku", "A-1"));
        assertThat(tree(done.getMessage().getBody()))
                .isEqualTo(tree("{\"sku\": \"A-1\", \"stock\": \"north: 12 of A-1\"}"));
    }

    @Test
    void gatePausesTheRefundUntilApprovedAndSkipsThePaymentWhenRejected() throws Exception {
        Exchange paused = send("direct:caravan-workflow-refund", Map.of("order", "A-17", "amount", 40));
        assertThat(paused.getMessage().getBody()).isNull();
        String runId = runId(paused);
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
        assertThat(caravan.queries().get(runId).node("approve").detail().get("message"))
                .isEqualTo("Refund 40 on order A-17?");

        RunRecord approved = caravan.runs().resolveGate(runId, "approve", true, "amy", "ok").get(30, TimeUnit.SECONDS);
        assertThat(approved.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(tree(approved.output()))
                .isEqualTo(tree("{\"order\": \"A-17\", \"refunded\": 40, \"approvedBy\": \"amy\"}"));

        String other = runId(send("direct:caravan-workflow-refund", Map.of("order", "B-2", "amount", 900)));
        RunRecord rejected = caravan.runs().resolveGate(other, "approve", false, "amy", "no").get(30, TimeUnit.SECONDS);
        assertThat(rejected.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(rejected.node("pay").status()).isEqualTo(NodeStatus.SKIPPED);
        assertThat(rejected.output()).isNull();
    }

    @Test
    void mapLabelsEveryDocument() {
        Exchange done = send("direct:caravan-workflow-label-docs", Map.of("docs", List.of("a", "b", "c")));
        assertThat(tree(done.getMessage().getBody())).isEqualTo(tree("""
                {"labels": [{"doc": "a", "position": 1}, {"doc": "b", "position": 2}, {"doc": "c", "position": 3}],
                 "total": 3}"""));
    }

    @Test
    void loopDraftsUntilTheReviewIsHappy() {
        Exchange done = send("direct:caravan-workflow-drafts", Map.of("topic", "camels"));
        assertThat(done.getMessage().getBody()).isEqualTo("camels, draft 3");
        assertThat(caravan.queries().get(runId(done)).nodes()).containsKeys("refine[0].draft", "refine[2].review")
                .doesNotContainKey("refine[3].draft");
    }

    @Test
    void agentGreetsWithTheScriptedModel() {
        Exchange done = send("direct:caravan-workflow-greeting", Map.of("name", "Ada"));
        assertThat(done.getMessage().getBody()).isEqualTo("Hello, Ada!");
    }

    @Test
    void emitPublishesTheClassifiedTicket() throws Exception {
        Exchange done = send("direct:caravan-workflow-ticket-intake", Map.of("ticket", "urgent: printer on fire"));
        String expected = "{\"ticket\": \"urgent: printer on fire\", \"urgent\": true}";
        assertThat(tree(done.getMessage().getBody())).isEqualTo(tree(expected));
        String runId = runId(done);
        assertThat(caravan.eventBus().drain(5_000)).isTrue();
        assertThat(caravan.events()).filteredOn(e -> e.runId().equals(runId) && e.type().equals("ticket.classified"))
                .singleElement().satisfies(e -> {
                    assertThat(e.node()).isEqualTo("notify");
                    assertThat(tree(e.data())).isEqualTo(tree(expected));
                });
    }

    @Test
    void failStopsARefundOverTheLimit() {
        Exchange paid = send("direct:caravan-workflow-refund-limit", Map.of("amount", 40));
        assertThat(paid.getException()).isNull();
        assertThat(tree(paid.getMessage().getBody())).isEqualTo(tree("{\"refunded\": 40}"));

        Exchange stopped = send("direct:caravan-workflow-refund-limit", Map.of("amount", 5000));
        assertThat(stopped.getException()).hasMessageContaining("a refund of 5000 needs a manager");
        RunRecord r = caravan.queries().get(runId(stopped));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.errorCode()).isEqualTo("NEEDS_MANAGER");
        assertThat(r.errorNode()).isEqualTo("guard");
    }

    @Test
    void waitRemindsOnceTheDelayIsOver() {
        Exchange paused = send("direct:caravan-workflow-reminder", Map.of("to", "bob", "delay", "1s"));
        assertThat(paused.getException()).isNull();
        assertThat(paused.getMessage().getBody()).isNull();
        String runId = runId(paused);
        await().atMost(Duration.ofSeconds(30)).until(() -> caravan.queries().get(runId).status() == RunStatus.COMPLETED);
        assertThat(tree(caravan.queries().get(runId).output()))
                .isEqualTo(tree("{\"to\": \"bob\", \"text\": \"A reminder for bob\"}"));
    }

    @Test
    void workflowFilesTheNoteByItsChildsSummary() {
        // many times: a child that finishes before its parent waits on it once made a second execution of the
        // parent race the first, and the route answered with the child's output
        for (int i = 0; i < 100; i++) {
            Exchange done = send("direct:caravan-workflow-file-note", Map.of("text", "Call Ada back"));
            assertThat(tree(done.getMessage().getBody())).as("send %d", i)
                    .isEqualTo(tree("{\"folder\": \"short\", \"length\": 13}"));
            RunRecord child = caravan.queries().get(runId(done) + ":summarize");
            assertThat(child.workflow()).isEqualTo("summarize-note");
            assertThat(child.status()).isEqualTo(RunStatus.COMPLETED);
        }
    }

    @Test
    void runStartsARunFromATriggerRouteAndRepliesWithItsId() {
        Object runId = producer.requestBody("direct:signups", Map.of("name", "Ada"));
        assertThat(runId).isInstanceOf(String.class);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> caravan.queries().get((String) runId).status() == RunStatus.COMPLETED);
        assertThat(caravan.queries().get((String) runId).output()).isEqualTo("Welcome, Ada!");
        // the workflow's own route answers at once with the output
        assertThat(producer.requestBody("direct:caravan-workflow-welcome", Map.of("name", "Bo")))
                .isEqualTo("Welcome, Bo!");
    }

    @Test
    void runWaitsForTheGreetingAndStartsOneRunPerName() {
        Exchange first = send("direct:greetings", Map.of("name", "Cy"));
        Exchange again = send("direct:greetings", Map.of("name", "Cy"));

        assertThat(first.getMessage().getBody()).isEqualTo("Welcome, Cy!");
        assertThat(again.getMessage().getBody()).isEqualTo("Welcome, Cy!");
        String runId = first.getMessage().getHeader(RunConstants.RUN_ID, String.class);
        assertThat(again.getMessage().getHeader(RunConstants.RUN_ID)).isEqualTo(runId);
        assertThat(caravan.queries().get(runId).status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void webhookStartsARunForASignedDeliveryOnceAndRefusesOthers() {
        String body = "{\"action\": \"opened\", \"issue\": {\"title\": \"Printer on fire\"}}";
        Map<String, Object> signed = Map.of("X-Hub-Signature-256",
                "sha256=11a5073c01e94fb9de5fd8315b99672fe19664d0350408714475458854bbe214", "X-GitHub-Delivery", "1");

        Exchange first = deliver(body, signed);
        assertThat(first.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(202);
        String runId = first.getMessage().getBody(String.class);
        RunRecord run = await().atMost(Duration.ofSeconds(30))
                .until(() -> caravan.queries().get(runId), r -> r.status().isTerminal());
        assertThat(run.status()).as(run.error()).isEqualTo(RunStatus.COMPLETED);
        assertThat(run.output()).isEqualTo("opened: Printer on fire");

        Exchange again = deliver(body, signed);
        assertThat(again.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(202);
        assertThat(tree(again.getMessage().getBody(String.class))).isEqualTo(tree("{\"runId\": \"" + runId + "\"}"));

        for (Exchange refused : List.of(deliver(body, Map.of("X-Hub-Signature-256", "sha256=" + "0".repeat(64))),
                deliver(body, Map.of()))) {
            assertThat(refused.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(401);
            assertThat(refused.getMessage().getBody(String.class)).isEmpty();
        }
    }

    private Exchange deliver(String body, Map<String, Object> headers) {
        return producer.send("direct:github-issues", e -> {
            e.getMessage().setBody(body.getBytes(StandardCharsets.UTF_8));
            e.getMessage().getHeaders().putAll(headers);
        });
    }

    private Exchange send(String uri, Object input) {
        return producer.send(uri, e -> e.getMessage().setBody(input));
    }

    private static String runId(Exchange exchange) {
        String runId = exchange.getProperty(RunRecords.RUN_ID, String.class);
        assertThat(runId).as("the run the exchange executed").isNotNull();
        return runId;
    }

    /** The schemes of caravan-components' component list. */
    private static List<String> listedSchemes() {
        try {
            for (URL url : Collections.list(ComponentDocsTest.class.getClassLoader().getResources(COMPONENT_LIST))) {
                Properties list = new Properties();
                try (InputStream in = url.openStream()) {
                    list.load(in);
                }
                if ("caravan-components".equals(list.getProperty("artifactId"))) {
                    return Arrays.asList(list.getProperty("components", "").trim().split("\\s+"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new AssertionError("no " + COMPONENT_LIST + " of caravan-components on the class path");
    }
}
