package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;
import dev.caravan.app.CaravanCli;
import dev.caravan.app.export.ComponentArtifacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code caravan export --camel-k} and what it wrote into {@code integrations/}: the examples there are what the
 * command writes now, every Integration and Pipe (and every example Pipe of {@code kamelets/pipes/}) is valid against
 * Camel K's CRDs, strictly, the dependencies cover every endpoint the routes use, and no secret value is written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportTest {

    private static final Path INTEGRATIONS = Path.of("../integrations");
    private static final Path TRIGGERS = Path.of("../routes/examples/triggers");
    private static final Path KAMELETS = Path.of("../kamelets");
    private static final Path TOPICS = Path.of("../k8s/topics/topics.yaml");
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures/k8s");
    private static final String VERSION = System.getProperty("caravan.version");

    private KubernetesSchemas schemas;
    /** The Kamelets Pipes here refer to, by name: this repository's and the Apache ones the fixtures hold. */
    private final Map<String, JsonNode> kamelets = new HashMap<>();

    record Result(int code, String out, String err) {
    }

    @BeforeAll
    void loadTheSchemasAndKamelets() {
        schemas = new KubernetesSchemas(FIXTURES.resolve("schemas/core"),
                KubernetesSchemas.files(FIXTURES.resolve("crds")));
        for (Path dir : List.of(KAMELETS, FIXTURES.resolve("kamelets"))) {
            for (Path f : KubernetesSchemas.files(dir)) {
                if (f.getFileName().toString().endsWith(".kamelet.yaml")) {
                    JsonNode k = KubernetesSchemas.yamlDocuments(f).get(0);
                    kamelets.put(k.at("/metadata/name").asText(), k);
                }
            }
        }
    }

    private static Result export(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"issue-triage", "order-followup", "ticket-intake"})
    void theExportedExampleIsWhatExportWritesNow(String workflow, @TempDir Path dir) throws IOException {
        Result r = export("export", TRIGGERS.resolve(workflow + ".caravan.yaml").toString(), "--camel-k", "-o",
                dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        String regenerate = "integrations/" + workflow + " differs from what caravan export writes now; regenerate it "
                + "from the repository's root with: ./caravan export routes/examples/triggers/" + workflow
                + ".caravan.yaml --camel-k -o integrations/" + workflow;
        Path committed = INTEGRATIONS.resolve(workflow);
        assertThat(yamlFiles(committed)).as(regenerate).isEqualTo(yamlFiles(dir));
        for (String name : yamlFiles(dir)) {
            assertThat(Files.readString(committed.resolve(name))).as(regenerate + " (" + name + ")")
                    .isEqualTo(Files.readString(dir.resolve(name)));
        }
    }

    @Test
    void onlyTheKafkaTriggeredExampleHasAPipeAndExportSaysWhich(@TempDir Path dir) {
        Result kafka = export("export", TRIGGERS.resolve("ticket-intake.caravan.yaml").toString(), "--camel-k", "-o",
                dir.resolve("kafka").toString());
        assertThat(kafka.err()).contains("Pipe ticket-intake: the Kamelet kafka-source (topic tickets) to "
                + "caravan-run-action");
        assertThat(dir.resolve("kafka/pipe.yaml")).exists();
        Result webhook = export("export", TRIGGERS.resolve("issue-triage.caravan.yaml").toString(), "--camel-k", "-o",
                dir.resolve("webhook").toString());
        assertThat(webhook.err()).contains("no Pipe: the workflow has triggers of kind webhook");
        assertThat(dir.resolve("webhook/pipe.yaml")).doesNotExist();
        assertThat(yamlFiles(INTEGRATIONS.resolve("order-followup"))).containsExactly("integration.yaml");
    }

    @Test
    void everyIntegrationAndPipeIsValidAgainstItsSchema() {
        List<Path> files = resourceFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(7);
        Set<String> kinds = new TreeSet<>();
        for (Path file : files) {
            for (JsonNode resource : KubernetesSchemas.yamlDocuments(file)) {
                String kind = resource.path("kind").asText();
                kinds.add(kind);
                assertThat(schemas.of(resource)).as("%s: a schema for %s", file, kind).isPresent();
                assertThat(schemas.of(resource).orElseThrow().validate(resource))
                        .as("%s: %s %s", file, kind, resource.at("/metadata/name").asText()).isEmpty();
            }
        }
        assertThat(kinds).containsExactly("ConfigMap", "Integration", "Pipe");
    }

    @Test
    void theIntegrationSchemaRefusesATraitFieldCamelKDoesNotKnow() {
        JsonNode integration = KubernetesSchemas.yamlDocuments(INTEGRATIONS.resolve("ticket-intake/integration.yaml"))
                .get(0);
        ((ObjectNode) integration.at("/spec/traits/container")).put("memoryLimit", "1Gi");
        Set<ValidationMessage> problems = schemas.of(integration).orElseThrow().validate(integration);
        assertThat(problems).extracting(ValidationMessage::getMessage).anyMatch(m -> m.contains("memoryLimit"));
    }

    @Test
    void everyKameletHasAnExamplePipeThatBindsItsProperties() {
        Map<String, List<Path>> used = new HashMap<>();
        for (Path file : resourceFiles()) {
            for (JsonNode resource : KubernetesSchemas.yamlDocuments(file)) {
                if (!resource.path("kind").asText().equals("Pipe")) {
                    continue;
                }
                List<JsonNode> endpoints = new ArrayList<>();
                endpoints.add(resource.at("/spec/source"));
                resource.at("/spec/steps").forEach(endpoints::add);
                endpoints.add(resource.at("/spec/sink"));
                for (JsonNode endpoint : endpoints) {
                    String name = endpoint.at("/ref/name").asText();
                    JsonNode kamelet = kamelets.get(name);
                    assertThat(kamelet).as("%s: the Kamelet %s is here or among the fixtures", file, name).isNotNull();
                    Set<String> bound = new TreeSet<>();
                    endpoint.path("properties").fieldNames().forEachRemaining(bound::add);
                    Set<String> declared = new TreeSet<>();
                    kamelet.at("/spec/definition/properties").fieldNames().forEachRemaining(declared::add);
                    assertThat(declared).as("%s: properties of %s", file, name).containsAll(bound);
                    kamelet.at("/spec/definition/required").forEach(req -> assertThat(bound)
                            .as("%s: required property of %s", file, name).contains(req.asText()));
                    used.computeIfAbsent(name, k -> new ArrayList<>()).add(file);
                }
            }
        }
        for (Path f : KubernetesSchemas.files(KAMELETS)) {
            String name = f.getFileName().toString().replace(".kamelet.yaml", "");
            if (f.getFileName().toString().endsWith(".kamelet.yaml")) {
                assertThat(used).as("an example Pipe of %s", name).containsKey(name);
            }
        }
    }

    @Test
    void everyPipeFedFromATopicDeadLettersWhatItsSinkCannotTakeToATopicOfK8s() {
        Set<String> topics = new TreeSet<>();
        KubernetesSchemas.yamlDocuments(TOPICS).forEach(t -> topics.add(t.at("/spec/topicName").asText()));
        int fedFromTopics = 0;
        for (Path file : resourceFiles()) {
            for (JsonNode pipe : KubernetesSchemas.yamlDocuments(file)) {
                String source = pipe.at("/spec/source/ref/name").asText();
                if (!pipe.path("kind").asText().equals("Pipe")
                        || !Set.of("kafka-source", "caravan-events-source").contains(source)) {
                    continue;
                }
                fedFromTopics++;
                JsonNode deadLetter = pipe.at("/spec/errorHandler/sink");
                String uri = deadLetter.at("/endpoint/uri").asText();
                assertThat(uri).as("%s: the dead-letter endpoint", file).startsWith("kafka:");
                assertThat(topics).as("%s: its dead-letter topic is among k8s/topics'", file)
                        .contains(uri.substring("kafka:".length()));
                assertThat(deadLetter.at("/parameters/maximumRedeliveries").asInt()).as(file.toString()).isPositive();
                List<String> properties = new ArrayList<>();
                pipe.at("/spec/traits/camel/properties").forEach(p -> properties.add(p.asText()));
                assertThat(properties).as("%s: the brokers of the dead-letter topic's producer", file)
                        .contains("camel.component.kafka.brokers={{caravan.kafka.bootstrap-servers}}");
            }
        }
        assertThat(fedFromTopics).isEqualTo(3);
    }

    @Test
    void theDependenciesCoverEveryEndpointTheFlowsUse() {
        int pipes = 0;
        for (Path file : resourceFiles()) {
            for (JsonNode resource : KubernetesSchemas.yamlDocuments(file)) {
                JsonNode flows = resource.at("/spec/flows");
                if (resource.path("kind").asText().equals("Pipe") && file.startsWith(INTEGRATIONS)) {
                    // an exported Pipe carries no routes: its pods deploy the workflow's, which the Integration beside
                    // it carries after its trigger routes
                    flows = workflowFlows(file.resolveSibling("integration.yaml"));
                    pipes++;
                }
                if (flows.isMissingNode()) {
                    continue;
                }
                Set<String> schemes = new TreeSet<>();
                collectSchemes(flows, schemes);
                assertThat(schemes).as(file.toString()).contains("caravan-run", "direct");
                Set<String> dependencies = new TreeSet<>();
                resource.at("/spec/dependencies").forEach(d -> dependencies.add(d.asText()));
                for (String scheme : schemes) {
                    assertThat(ComponentArtifacts.of(scheme, VERSION)).as("%s: the artifact of %s", file, scheme)
                            .isPresent();
                    assertThat(dependencies).as("%s: a dependency for %s", file, scheme)
                            .contains(ComponentArtifacts.of(scheme, VERSION).orElseThrow());
                }
            }
        }
        assertThat(pipes).as("the exported Pipes").isEqualTo(1);
    }

    @Test
    void theExportedPipeCarriesNoRoutesAndItsPodsDeployTheWorkflowFromTheMountedFiles() {
        JsonNode pipe = KubernetesSchemas.yamlDocuments(INTEGRATIONS.resolve("ticket-intake/pipe.yaml")).get(0);
        assertThat(pipe.at("/spec/integration").isMissingNode())
                .as("Camel K 2.6 and later ignore a Pipe's spec.integration").isTrue();
        List<String> properties = new ArrayList<>();
        pipe.at("/spec/traits/camel/properties").forEach(p -> properties.add(p.asText()));
        assertThat(properties).contains("caravan.workflows=/etc/caravan/workflows", "caravan.workflows.deploy=true")
                .noneMatch(p -> p.startsWith("caravan.triggers.enabled"));
    }

    /** The Integration's flows without its trigger routes: the workflow's own, and those of the ones it runs. */
    private static JsonNode workflowFlows(Path integration) {
        JsonNode flows = KubernetesSchemas.yamlDocuments(integration).get(0).at("/spec/flows");
        ArrayNode workflowFlows = Examples.JSON.createArrayNode();
        flows.forEach(f -> {
            if (!f.at("/route/id").asText().startsWith("caravan-trigger-")) {
                workflowFlows.add(f);
            }
        });
        assertThat(workflowFlows).as("the workflow routes of %s", integration).isNotEmpty();
        return workflowFlows;
    }

    @Test
    void theArtifactTableNamesTheComponentOfEachTriggerAndCaravanScheme() {
        assertThat(ComponentArtifacts.of("kafka", "1.0")).contains("camel:kafka");
        assertThat(ComponentArtifacts.of("platform-http", "1.0")).contains("camel:platform-http");
        assertThat(ComponentArtifacts.of("debezium-postgres", "1.0")).contains("camel:debezium-postgres");
        assertThat(ComponentArtifacts.of("quartz", "1.0")).contains("camel:quartz");
        assertThat(ComponentArtifacts.of("https", "1.0")).contains("camel:http");
        assertThat(ComponentArtifacts.of("caravan-agent", "1.0")).contains("mvn:dev.caravan:caravan-components:1.0");
        assertThat(ComponentArtifacts.of("caravan-webhook", "1.0")).contains("mvn:dev.caravan:caravan-components:1.0");
        assertThat(ComponentArtifacts.of("no-such-scheme", "1.0")).isEmpty();
    }

    @Test
    void keysAreReferencedFromSecretsAndNoSecretValueIsWritten(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("support.caravan.yaml");
        Files.writeString(file, """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: support
                spec:
                  defaults:
                    model: openai:gpt-4o-mini
                    fallback: [anthropic:claude-haiku-4-5]
                  triggers:
                    - webhook: { path: /hooks/support, signature: github, secret: SUPPORT_HOOK_SECRET }
                  nodes:
                    - id: answer
                      agent: { prompt: "Answer ${{ input.question }}" }
                """);
        String llmKey = "sk-test-0123456789abcdef";
        String hookSecret = "whsec-0123456789abcdef";
        Result r = export("export", file.toString(), "--camel-k", "-o", dir.resolve("out").toString(),
                "-p", "caravan.llm.openai.api-key=" + llmKey, "-p", "SUPPORT_HOOK_SECRET=" + hookSecret);
        assertThat(r.code()).as(r.err()).isZero();
        String integration = Files.readString(dir.resolve("out/integration.yaml"));
        assertThat(integration).contains("OPENAI_API_KEY=secret:caravan-llm/OPENAI_API_KEY",
                "ANTHROPIC_API_KEY=secret:caravan-llm/ANTHROPIC_API_KEY",
                "SUPPORT_HOOK_SECRET=secret:caravan-webhooks/SUPPORT_HOOK_SECRET");
        assertThat(integration).doesNotContain(llmKey, hookSecret);
        // nor any secret of this machine's environment
        List<String> secretValues = System.getenv().entrySet().stream()
                .filter(e -> e.getKey().matches("(?i).*(key|secret|password|token).*") && e.getValue().length() >= 8)
                .map(Map.Entry::getValue).toList();
        List<Path> written = Stream.concat(resourceFiles().stream(), Stream.of(dir.resolve("out/integration.yaml")))
                .toList();
        for (Path f : written) {
            String text = Files.readString(f);
            assertThat(secretValues).as(f.toString()).noneMatch(text::contains);
        }
    }

    @Test
    void anInvalidWorkflowIsReportedAtItsPositionAndNothingIsWritten(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.caravan.yaml");
        Files.writeString(file, """
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: broken
                spec:
                  nodes:
                    - id: a
                      needs: [nowhere]
                      set: { x: 1 }
                """);
        Result r = export("export", file.toString(), "--camel-k", "-o", dir.resolve("out").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).containsPattern("broken\\.caravan\\.yaml:8:\\d+: .*nowhere");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void exportNeedsTheFormatNamed() {
        Result r = export("export", TRIGGERS.resolve("ticket-intake.caravan.yaml").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--camel-k");
    }

    private static void collectSchemes(JsonNode node, Set<String> schemes) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if ((e.getKey().equals("uri") || e.getKey().equals("to")) && e.getValue().isTextual()) {
                    String uri = e.getValue().asText();
                    schemes.add(uri.substring(0, uri.indexOf(':')));
                } else {
                    collectSchemes(e.getValue(), schemes);
                }
            }
        } else if (node.isArray()) {
            node.forEach(n -> collectSchemes(n, schemes));
        }
    }

    /** The exported resources of integrations/ and the example Pipes of kamelets/pipes/. */
    private static List<Path> resourceFiles() {
        List<Path> files = new ArrayList<>();
        for (Path dir : subfolders(INTEGRATIONS)) {
            KubernetesSchemas.files(dir).stream().filter(f -> f.toString().endsWith(".yaml")).forEach(files::add);
        }
        KubernetesSchemas.files(KAMELETS.resolve("pipes")).stream().filter(f -> f.toString().endsWith(".pipe.yaml"))
                .forEach(files::add);
        return files;
    }

    private static List<Path> subfolders(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> yamlFiles(Path dir) {
        return KubernetesSchemas.files(dir).stream().map(f -> f.getFileName().toString())
                .filter(n -> n.endsWith(".yaml")).toList();
    }
}
