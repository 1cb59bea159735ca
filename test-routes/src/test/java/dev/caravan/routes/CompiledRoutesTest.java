package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.caravan.compile.RouteCompiler;
import dev.caravan.dsl.Workflow;
import dev.caravan.dsl.WorkflowLoader;
import dev.caravan.run.Engine;
import dev.caravan.run.RunService.StartRequest;
import dev.caravan.run.WorkflowCatalog;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.caravan.routes.Examples.tree;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compiler's output is ordinary Camel YAML DSL: it validates against Camel's own JSON Schema, and it runs in a
 * plain {@link DefaultCamelContext} with nothing bound, giving the same result as the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompiledRoutesTest {

    private static final String CAMEL_SCHEMA = "/schema/camelYamlDsl.json";
    private static final Path CAMEL_EXAMPLES = Path.of("src/test/resources/fixtures/camel-yaml");
    private static final Path KB_SEARCH = Examples.FOLDER.resolve("kb-search.camel.yaml");

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder().build();

    private final WorkflowLoader loader = new WorkflowLoader();
    private final RouteCompiler compiler = new RouteCompiler();
    private JsonSchema camelSchema;

    @BeforeAll
    void setUp() throws IOException {
        // Camel's own schema, from the camel-yaml-dsl jar the engine runs with
        try (InputStream in = Objects.requireNonNull(YamlRoutesBuilderLoader.class
                .getResourceAsStream(CAMEL_SCHEMA), "no " + CAMEL_SCHEMA + " in the camel-yaml-dsl jar")) {
            camelSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(in);
        }
        for (String name : Examples.names()) {
            caravan.engine().catalog().deploy(Examples.file(name));
        }
    }

    static List<String> examples() {
        return Examples.names();
    }

    private String compile(String name) {
        return compiler.compile(loader.load(Examples.file(name)));
    }

    private static JsonNode yamlToJson(String yaml) {
        Object parsed = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        return Examples.JSON.valueToTree(parsed);
    }

    private Set<ValidationMessage> validate(String yaml) {
        return camelSchema.validate(yamlToJson(yaml));
    }

    @Test
    void camelSchemaAcceptsCamelsOwnExamplesAndRejectsABrokenRoute() throws IOException {
        try (Stream<Path> fixtures = Files.list(CAMEL_EXAMPLES)) {
            // Two upstream examples write scalars loosely (aggregate.completionTimeout as a YAML integer,
            // jsonpath writeAsString as the string "true"); Camel's loader coerces them, its schema does not.
            Set<String> loose = Set.of("jbang-log-analyzer-openai.camel.yaml", "jbang-logs-mapper-split-jsonpath.camel.yaml");
            List<Path> routes = fixtures.filter(p -> p.toString().endsWith(".camel.yaml"))
                    .filter(p -> !loose.contains(p.getFileName().toString()))
                    .toList();
            assertThat(routes).isNotEmpty();
            for (Path f : routes) {
                assertThat(validate(Files.readString(f))).as(f.getFileName().toString()).isEmpty();
            }
        }
        assertThat(validate(Files.readString(KB_SEARCH))).isEmpty();
        assertThat(validate("""
                - route:
                    from:
                      uri: direct:x
                      steps:
                        - noSuchEip: { foo: 1 }
                """)).isNotEmpty();
    }

    @Test
    void everyKameletsTemplateRouteValidatesAgainstCamelSchema() throws IOException {
        List<Path> kamelets;
        try (Stream<Path> files = Files.list(Path.of("../kamelets"))) {
            kamelets = files.filter(p -> p.toString().endsWith(".kamelet.yaml")).sorted().toList();
        }
        assertThat(kamelets).hasSizeGreaterThanOrEqualTo(4);
        for (Path kamelet : kamelets) {
            // a template is a route's from: what Camel builds the Kamelet's route from
            JsonNode template = yamlToJson(Files.readString(kamelet)).at("/spec/template");
            JsonNode route = Examples.JSON.createArrayNode()
                    .add(Examples.JSON.createObjectNode().set("route", template));
            assertThat(camelSchema.validate(route)).as(kamelet.getFileName().toString()).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void compiledRoutesValidateAgainstCamelSchema(String name) {
        String yaml = compile(name);
        assertThat(validate(yaml)).as("schema violations of the compiled %s:%n%s", name, yaml).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void compiledRoutesRunInPlainCamelWithTheEngineResult(String name) throws Exception {
        Map<String, Object> input = Examples.input(name);
        List<String> yamls = new ArrayList<>();
        yamls.add(compile(name));
        yamls.add(Files.readString(KB_SEARCH));
        Workflow wf = loader.load(Examples.file(name));
        if (name.equals("subflow")) {
            yamls.add(compile("summarize-ticket"));
        }

        CamelContext plain = new DefaultCamelContext();
        try {
            assertThat(plain.getRegistry().findSingleByType(Engine.class)).as("nothing bound up front").isNull();
            // the routes name their workflow and nodes; the node definitions come from the workflow files
            plain.getPropertiesComponent().addInitialProperty(WorkflowCatalog.LOCATIONS_PROPERTY,
                    Examples.FOLDER.toAbsolutePath().toString());
            plain.start();
            int i = 0;
            for (String yaml : yamls) {
                PluginHelper.getRoutesLoader(plain).loadRoutes(ResourceHelper.fromString("r" + i++ + ".camel.yaml", yaml));
            }

            ProducerTemplate producer = plain.createProducerTemplate();
            Object reply = producer.requestBody("direct:caravan-workflow-" + wf.name(), input);

            if (name.equals("gate")) {
                assertThat(reply).isNull();
                List<RunRecord> runs = Engine.of(plain).queries().page(RunQuery.of(List.of(), 10)).runs();
                assertThat(runs).singleElement().satisfies(r -> {
                    assertThat(r.workflow()).isEqualTo("gate");
                    assertThat(r.status()).isEqualTo(RunStatus.AWAITING_APPROVAL);
                });
                return;
            }

            RunRecord viaEngine = caravan.runs().start(StartRequest.of(name, input)).get(30, TimeUnit.SECONDS);
            assertThat(viaEngine.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(tree(reply)).as("reply of plain Camel vs engine output").isEqualTo(tree(viaEngine.output()));
        } finally {
            plain.stop();
        }
    }
}
