package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.kafka.EmbeddedKafka;
import dev.caravan.run.Engine;
import dev.caravan.state.JdbcMapStore;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The exported Integrations of {@code integrations/} against an embedded Kafka broker and an embedded PostgreSQL
 * ({@code wal_level=logical}):
 * <ul>
 * <li>the cdc Integration (order-followup) in a Camel Main of this JVM, as {@link ExportedIntegrationRunsTest} runs
 * the others: a row inserted into {@code public.orders} gets the run result {@code caravan run} gives the row;</li>
 * <li>each Integration in a JVM of its own whose class path holds only what its own {@code spec.dependencies}
 * declare and what Camel K's runtime brings (module {@code integration-runtime/<name>}, one per Integration, the
 * runtime inherited from their parent), its environment the one the environment trait gives: a record, a delivery or
 * a row gets the result {@code caravan run} gives. That JVM runs nothing but the export and Camel Main; what it ran is
 * read from the database it records runs in (the property {@code caravan.store.jdbc-url}, as the server's members
 * record theirs), once it says so. Without a dependency it declares (camel-kafka for the Kafka-triggered one) the
 * Integration does not start.</li>
 * <li>the Pipe the same way (module {@code integration-runtime/ticket-intake-pipe}), as Camel K 2.6 and later make an
 * Integration of it: its source-to-sink route only, so the engine compiles and deploys the workflow's routes from the
 * mounted file on the Pipe's declared class path.</li>
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportedIntegrationsIT {

    /** The parent of the modules writing each Integration's class path, {@code <name>/target/integration.classpath}. */
    private static final Path RUNTIME = Path.of(System.getProperty("caravan.integration.runtime",
            "../integration-runtime"));
    private static final List<String> INTEGRATIONS = List.of("issue-triage", "order-followup", "ticket-intake");
    /** The slot the cdc Integration's Debezium reads, dropped after each run so that each starts from now. */
    private static final String SLOT = "caravan_order_followup_cdc";
    private static final String TICKET = "{\"subject\": \"Printer on fire\", \"customer\": \"ada\"}";
    /** The topic the Pipe's source consumes here, not the Integration's: each test sees only its own records. */
    private static final String PIPE_TOPIC = "pipe-tickets";
    /** The module of each exported Pipe's class path: its folder's name with this suffix. */
    private static final String PIPE_MODULE = "-pipe";

    @TempDir
    static Path dir;

    private EmbeddedKafka kafka;
    private EmbeddedPostgres pg;

    @BeforeAll
    void startKafkaAndPostgres() throws Exception {
        kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
        // as k8s/topics does on a cluster: the broker creates no topic on first use
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("tickets", 1, (short) 1),
                    new NewTopic("tickets.dlq", 1, (short) 1), new NewTopic(PIPE_TOPIC, 1, (short) 1))).all().get();
        }
        pg = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "4")
                .setServerConfig("max_wal_senders", "4")
                .start();
        sql("CREATE TABLE public.orders (id INT PRIMARY KEY, customer TEXT NOT NULL, total DOUBLE PRECISION)");
    }

    @AfterAll
    void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void theCdcIntegrationRunsANewRowAsCaravanRunDoes() throws Exception {
        String order = "{\"id\": 5, \"customer\": \"Bo\", \"total\": 12.5}";
        String expected = IntegrationRuns.caravanRun(workflow("order-followup"), order);
        assertThat(expected).isEqualTo("Thank you for your order, Bo!");

        Export export = Export.of("order-followup");
        Map<String, String> properties = CamelKRuntime.properties(export.traits(), export.configMap(),
                dir.resolve("cdc"), values());
        Path flows = export.routes(dir.resolve("cdc-flows.yaml"));
        Main main = CamelKRuntime.start(properties, List.of(flows));
        try {
            await().atMost(Duration.ofSeconds(60)).until(this::slotActive);
            sql("INSERT INTO public.orders VALUES (5, 'Bo', 12.5)");

            Engine engine = main.getCamelContext().getRegistry().findSingleByType(Engine.class);
            RunQuery completed = new RunQuery(null, "order-followup", List.of(RunStatus.COMPLETED), 10, null, null);
            await().atMost(Duration.ofSeconds(60)).until(() -> !engine.queries().page(completed).runs().isEmpty());
            RunRecord run = engine.queries().page(completed).runs().get(0);
            IntegrationRuns.assertSameOutput(run.output(), expected);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(order));
        } finally {
            main.stop();
            dropSlot();
        }
    }

    @Test
    void integrationRuntimeHasAModuleForEachIntegrationAndTheRuntimeInTheirParent() throws IOException {
        List<String> folders;
        try (Stream<Path> list = Files.list(IntegrationRuns.INTEGRATIONS)) {
            folders = list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(folders).isEqualTo(INTEGRATIONS);
        List<String> modules = new ArrayList<>();
        for (String folder : folders) {
            modules.add(folder);
            if (Files.exists(IntegrationRuns.INTEGRATIONS.resolve(folder).resolve("pipe.yaml"))) {
                modules.add(folder + PIPE_MODULE);
            }
        }
        assertThat(modules).as("an Integration of each folder and the one Pipe").hasSize(INTEGRATIONS.size() + 1);
        String parent = Files.readString(RUNTIME.resolve("pom.xml"));
        assertThat(elements(between(parent, "modules"), "module")).as("the modules of integration-runtime/pom.xml")
                .isEqualTo(modules);
        assertThat(pomDependencies(RUNTIME.resolve("pom.xml"))).as("the dependencies of integration-runtime/pom.xml")
                .containsExactlyInAnyOrderElementsOf(CAMEL_K_RUNTIME);
    }

    @ParameterizedTest
    @ValueSource(strings = {"issue-triage", "order-followup", "ticket-intake", "ticket-intake-pipe"})
    void eachIntegrationsClassPathHoldsWhatItDeclaresAndTheRuntime(String name) throws Exception {
        Set<String> declared = new TreeSet<>();
        for (JsonNode d : Export.of(name).resource().at("/spec/dependencies")) {
            declared.add(artifact(d.asText()));
        }
        assertThat(new TreeSet<>(pomDependencies(RUNTIME.resolve(name).resolve("pom.xml"))))
                .as("the dependencies of integration-runtime/%s/pom.xml", name).isEqualTo(declared);
        List<Path> classPath = classPath(name);
        assertThat(classPath).as("the class path of %s", name).allMatch(Files::exists);
        // the artifact of each trigger's scheme is on the class path of the Integrations that declare it, only
        for (String scheme : List.of("kafka", "debezium-postgres", "kamelet")) {
            boolean declares = declared.contains("org.apache.camel:camel-" + scheme);
            assertThat(classPath.stream().anyMatch(p -> p.getFileName().toString().startsWith("camel-" + scheme + "-")))
                    .as("camel-%s on the class path of %s", scheme, name).isEqualTo(declares);
        }
        assertThat(classPath).noneMatch(p -> p.toString().contains("caravan-app") || p.toString().contains("junit"));
    }

    @Test
    void theKafkaIntegrationDoesNotStartWithoutTheKafkaComponentItDeclares() throws Exception {
        List<Path> withoutKafka = classPath("ticket-intake").stream()
                .filter(p -> !p.getFileName().toString().startsWith("camel-kafka-")).toList();
        assertThat(withoutKafka).hasSize(classPath("ticket-intake").size() - 1);
        try (Child child = Child.start(Export.of("ticket-intake"), withoutKafka, dir.resolve("child-no-kafka"),
                store("no_kafka"), values(), Map.of())) {
            assertThat(child.process().waitFor(90, TimeUnit.SECONDS)).as("the child JVM stopped").isTrue();
            assertThat(child.process().exitValue()).isNotZero();
            assertThat(Files.readString(child.log())).contains("cannot find component with name kafka");
        }
    }

    @Test
    void theKafkaIntegrationRunsOnItsDeclaredDependenciesAlone() throws Exception {
        String expected = IntegrationRuns.caravanRun(workflow("ticket-intake"), TICKET);
        try (Child child = Child.start(Export.of("ticket-intake"), dir.resolve("child-kafka"), store("kafka"),
                values(), Map.of())) {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                producer.send(new ProducerRecord<>("tickets", "T-1", TICKET)).get(30, TimeUnit.SECONDS);
            }
            RunRecord run = child.awaitRun("ticket-intake", RunStatus.COMPLETED);
            IntegrationRuns.assertSameOutput(run.output(), expected);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(TICKET));
        }
    }

    @Test
    void thePipeRunsOnItsDeclaredDependenciesAloneDeployingTheWorkflowFromTheMountedFile() throws Exception {
        String expected = IntegrationRuns.caravanRun(workflow("ticket-intake"), TICKET);
        try (Child child = Child.start(Export.of("ticket-intake" + PIPE_MODULE), dir.resolve("child-pipe"),
                store("pipe"), values(), Map.of())) {
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
                producer.send(new ProducerRecord<>(PIPE_TOPIC, "T-2", TICKET)).get(30, TimeUnit.SECONDS);
            }
            RunRecord run = child.awaitRun("ticket-intake", RunStatus.COMPLETED);
            IntegrationRuns.assertSameOutput(run.output(), expected);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(TICKET));
        }
    }

    @Test
    void theWebhookIntegrationRunsOnItsDeclaredDependenciesAlone() throws Exception {
        // The child's run waits at the gate approve; this JVM cannot decide it there (it would join the child's
        // Hazelcast cluster, as the server does on Kubernetes). So it compares at the gate: the nodes before it, and
        // the gate's message, are what caravan run records for the same input before --approve decides it.
        String approved = IntegrationRuns.caravanRun(workflow("issue-triage"), IntegrationRuns.ISSUE,
                "--approve", "approve");
        JsonNode after = Examples.JSON.readTree(approved);
        int port = IntegrationRuns.freePort();
        try (Child child = Child.start(Export.of("issue-triage"), dir.resolve("child-webhook"), store("webhook"),
                values(), CamelKRuntime.httpServer(port))) {
            HttpResponse<String> accepted = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(
                    () -> IntegrationRuns.deliverIssue(URI.create("http://127.0.0.1:" + port + "/hooks/issues"),
                            IntegrationRuns.ISSUE_OPENED, "export-it-7", IntegrationRuns.WEBHOOK_SECRET),
                    r -> r.statusCode() != 404);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);

            RunRecord run = child.awaitRun("issue-triage", RunStatus.AWAITING_APPROVAL);
            assertThat(run.runId()).isEqualTo(Examples.JSON.readTree(accepted.body()).path("runId").asText());
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(IntegrationRuns.ISSUE));
            assertThat(run.node("triage").output()).isEqualTo(after.path("label").asText());
            assertThat(run.node("draft").output()).isEqualTo(after.path("comment").asText());
            assertThat(String.valueOf(run.node("approve").detail().get("message"))).isEqualTo("Post on issue #7 ("
                    + after.path("label").asText() + ")? " + after.path("comment").asText());
        }
    }

    @Test
    void theCdcIntegrationRunsOnItsDeclaredDependenciesAlone() throws Exception {
        String order = "{\"id\": 6, \"customer\": \"Cy\", \"total\": 3.0}";
        String expected = IntegrationRuns.caravanRun(workflow("order-followup"), order);
        try (Child child = Child.start(Export.of("order-followup"), dir.resolve("child-cdc"), store("cdc"), values(),
                Map.of())) {
            await().atMost(Duration.ofSeconds(60)).until(this::slotActive);
            sql("INSERT INTO public.orders VALUES (6, 'Cy', 3.0)");

            RunRecord run = child.awaitRun("order-followup", RunStatus.COMPLETED);
            IntegrationRuns.assertSameOutput(run.output(), expected);
            assertThat(Examples.tree(run.input())).isEqualTo(Examples.JSON.readTree(order));
        } finally {
            dropSlot();
        }
    }

    /**
     * What Camel K's runtime brings every Integration, by groupId:artifactId, as integration-runtime/pom.xml lists it
     * (its comments say why each): Camel Main, the YAML DSL, the HTTP server platform-http runs on, a logging binding.
     */
    private static final Set<String> CAMEL_K_RUNTIME = Set.of("org.apache.camel:camel-main",
            "org.apache.camel:camel-yaml-dsl", "org.apache.camel:camel-platform-http-main",
            "org.apache.logging.log4j:log4j-slf4j2-impl", "org.apache.logging.log4j:log4j-core");

    /** groupId:artifactId of a Camel K dependency: camel:X is Apache Camel's camel-X, mvn:G:A:V is as it says. */
    private static String artifact(String dependency) {
        if (dependency.startsWith("camel:")) {
            return "org.apache.camel:camel-" + dependency.substring("camel:".length());
        }
        assertThat(dependency).startsWith("mvn:");
        String[] gav = dependency.substring("mvn:".length()).split(":");
        assertThat(gav[2]).as(dependency).isEqualTo(System.getProperty("caravan.version"));
        return gav[0] + ":" + gav[1];
    }

    /** groupId:artifactId of each dependency a pom of integration-runtime declares, after the versions it manages. */
    private static List<String> pomDependencies(Path pom) throws IOException {
        String xml = Files.readString(pom);
        String own = xml.contains("</dependencyManagement>")
                ? xml.substring(xml.indexOf("</dependencyManagement>")) : xml;
        List<String> out = new ArrayList<>();
        for (String d : between(own, "dependencies").split("<dependency>")) {
            if (d.contains("<artifactId>")) {
                out.add(between(d, "groupId") + ":" + between(d, "artifactId"));
            }
        }
        return out;
    }

    /** The text of the first element of the tag in the XML. */
    private static String between(String xml, String tag) {
        return xml.substring(xml.indexOf("<" + tag + ">") + tag.length() + 2, xml.indexOf("</" + tag + ">"));
    }

    /** The text of each element of the tag in the XML. */
    private static List<String> elements(String xml, String tag) {
        List<String> out = new ArrayList<>();
        for (String e : xml.split("<" + tag + ">")) {
            if (e.contains("</" + tag + ">")) {
                out.add(e.substring(0, e.indexOf("</" + tag + ">")));
            }
        }
        return out;
    }

    /** The jars (and class folders of this build) of the Integration's class path, as its module wrote it. */
    static List<Path> classPath(String integration) throws IOException {
        Path file = RUNTIME.resolve(integration).resolve("target/integration.classpath");
        assertThat(file).as("written by the build of integration-runtime/%s", integration).isRegularFile();
        return List.of(Files.readString(file).strip().split(File.pathSeparator)).stream().map(Path::of).toList();
    }

    private static Path workflow(String name) {
        return TriggerExamplesTest.FOLDER.resolve(name + ".caravan.yaml");
    }

    /**
     * What the environment variables of the exports take from the ConfigMap caravan-settings and the Secrets: here
     * the embedded broker and database, and the webhook's secret.
     */
    private Map<String, String> values() {
        return Map.of("CARAVAN_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GITHUB_WEBHOOK_SECRET", IntegrationRuns.WEBHOOK_SECRET,
                "CARAVAN_TRIGGERS_CDC_HOSTNAME", "127.0.0.1",
                "CARAVAN_TRIGGERS_CDC_PORT", String.valueOf(pg.getPort()),
                "CARAVAN_TRIGGERS_CDC_DATABASE", "postgres",
                "CARAVAN_TRIGGERS_CDC_USER", "postgres",
                "CARAVAN_TRIGGERS_CDC_PASSWORD", "postgres");
    }

    /** A new database of its own for a child's runs. */
    private Store store(String name) throws SQLException {
        sql("CREATE DATABASE runs_" + name);
        return new Store(pg.getJdbcUrl("postgres", "runs_" + name), "postgres", "postgres",
                pg.getDatabase("postgres", "runs_" + name));
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Debezium streams once its replication slot is active. */
    private boolean slotActive() throws SQLException {
        return slot().orElse(false);
    }

    /** Whether the slot is active, if it exists. */
    private Optional<Boolean> slot() throws SQLException {
        try (Connection c = pg.getPostgresDatabase().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, SLOT);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBoolean(1)) : Optional.empty();
            }
        }
    }

    /** Drops the slot once Debezium has let go of it, so that the next cdc test starts from its own row. */
    private void dropSlot() throws SQLException {
        await().atMost(Duration.ofSeconds(30)).until(() -> !slotActive());
        if (slot().isPresent()) {
            sql("SELECT pg_drop_replication_slot('" + SLOT + "')");
        }
    }

    /**
     * An exported Integration or Pipe and its workflow ConfigMap.
     *
     * @param name the module of integration-runtime with its class path: the folder of integrations/ for its
     *             Integration, with {@value #PIPE_MODULE} for its Pipe
     */
    private record Export(String name, JsonNode resource, JsonNode configMap) {

        static Export of(String name) {
            boolean pipe = name.endsWith(PIPE_MODULE);
            Path folder = IntegrationRuns.INTEGRATIONS.resolve(pipe ? name.substring(0,
                    name.length() - PIPE_MODULE.length()) : name);
            JsonNode configMap = CamelKRuntime.resource(folder.resolve("integration.yaml"), "ConfigMap");
            return new Export(name, pipe ? CamelKRuntime.resource(folder.resolve("pipe.yaml"), "Pipe")
                    : CamelKRuntime.resource(folder.resolve("integration.yaml"), "Integration"), configMap);
        }

        boolean isPipe() {
            return resource.path("kind").asText().equals("Pipe");
        }

        JsonNode traits() {
            return resource.at("/spec/traits");
        }

        /** The routes Camel K runs: an Integration's flows, or what it makes of a Pipe (its source on its own topic). */
        Path routes(Path file) throws IOException {
            return isPipe() ? CamelKRuntime.pipeRoutes(resource, PIPE_TOPIC, file)
                    : CamelKRuntime.flowsFile(resource.at("/spec/flows"), file);
        }
    }

    /** The database a child records its runs in, and this JVM reads them from. */
    private record Store(String url, String user, String password, DataSource dataSource) {
    }

    /**
     * An Integration (or Pipe) in a JVM of its own: {@code java -cp <the class path of integration-runtime/<name>>
     * org.apache.camel.main.Main}, the routes file and the camel trait's properties as system properties, the
     * environment trait's variables as its environment, its output in a log file.
     */
    private record Child(Process process, Path log, Store store) implements AutoCloseable {

        static Child start(Export export, Path dir, Store store, Map<String, String> values,
                Map<String, String> more) throws IOException {
            return start(export, classPath(export.name()), dir, store, values, more);
        }

        static Child start(Export export, List<Path> classPath, Path dir, Store store, Map<String, String> values,
                Map<String, String> more) throws IOException {
            Files.createDirectories(dir);
            Map<String, String> properties = new LinkedHashMap<>(CamelKRuntime.camelProperties(export.traits(),
                    export.configMap(), dir));
            if (export.isPipe()) {
                // Camel K writes the properties of a Pipe's Kamelets into the Integration's properties file: Kamelets
                // read theirs from the property sources, which system properties are not
                Path sink = dir.resolve("pipe.properties");
                StringBuilder text = new StringBuilder();
                CamelKRuntime.pipeSinkProperties(export.resource())
                        .forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
                Files.writeString(sink, text);
                properties.put("camel.component.properties.location", "file:" + sink.toAbsolutePath());
            }
            Path flows = export.routes(dir.resolve("flows.yaml"));
            properties.put("camel.main.routesIncludePattern", "file:" + flows.toAbsolutePath());
            // where this test reads the runs from; not an export's property
            properties.put("caravan.store.jdbc-url", store.url());
            properties.put("caravan.store.user", store.user());
            properties.put("caravan.store.password", store.password());
            properties.putAll(more);

            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList()),
                    "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Dhazelcast.phone.home.enabled=false"));
            command.addAll(List.of(System.getProperty("caravan.hazelcast.jvm.args", "").split(" ")).stream()
                    .filter(a -> !a.isBlank()).toList());
            properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
            command.add("org.apache.camel.main.Main");
            Path log = dir.resolve("child.log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().putAll(CamelKRuntime.environment(export.traits(), values));
            return new Child(builder.start(), log, store);
        }

        /** The run of the workflow, once the child records it with the status. */
        RunRecord awaitRun(String workflow, RunStatus status) throws Exception {
            try {
                String id = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                        .ignoreExceptions().failFast(() -> !process.isAlive())
                        .until(() -> runId(store.dataSource(), workflow, status), found -> found != null);
                return JdbcMapStore.runs(store.dataSource()).load(id);
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("the child JVM did not record a run of " + workflow + " " + status
                        + "; its log:\n" + Files.readString(log), e);
            }
        }

        private static String runId(DataSource pool, String workflow, RunStatus status) throws SQLException {
            try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
                    "SELECT id FROM caravan_runs WHERE workflow = ? AND status = ?")) {
                s.setString(1, workflow);
                s.setString(2, status.name());
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            // SIGTERM: Camel Main's shutdown hook stops the routes and the engine
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
