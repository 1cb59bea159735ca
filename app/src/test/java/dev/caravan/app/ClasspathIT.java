package dev.caravan.app;

import com.sun.net.httpserver.HttpExchange;
import dev.caravan.app.CaravanCliTest.Result;
import dev.caravan.json.Json;
import dev.caravan.test.LocalHttpServer;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import static dev.caravan.app.CliProcessIT.cliProcess;
import static dev.caravan.app.CaravanCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** What is on the class path of caravan run, and what --dep and lib/ add to it. */
class ClasspathIT {

    static final String SHOUT = "src/test/resources/dependencies/shout.caravan.yaml";

    @Test
    void bundlesTheComponentsWorkflowsCallMost() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            for (String scheme : List.of("http", "https", "kafka", "file", "sql")) {
                assertThat(camel.getComponent(scheme)).as(scheme).isNotNull();
            }
        }
    }

    @Test
    void callsSqlAndFileEndpoints(@TempDir Path dir) throws Exception {
        Result r = run("run", "src/test/resources/components/bundled.caravan.yaml", "-q",
                "--input", Json.write(Map.of("n", 41, "dir", dir.toString())));

        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("42" + System.lineSeparator());
        assertThat(dir.resolve("next.txt")).hasContent("next is 42");
    }

    @Test
    void callsAnHttpEndpointWithABodyOfEveryJsonType(@TempDir Path dir) throws Exception {
        try (LocalHttpServer server = LocalHttpServer.start("/", ClasspathIT::answer)) {
            Path wf = dir.resolve("http.caravan.yaml");
            Files.writeString(wf, httpWorkflow(server.url()));
            Result r = run("run", wf.toString(), "-q");

            assertThat(r.code()).as(r.err()).isZero();
            Map<?, ?> out = Json.MAPPER.readValue(r.out(), Map.class);
            assertThat(out.get("sent")).isEqualTo(List.of(
                    Map.of("method", "POST", "type", "application/json", "body", "{\"a\":1,\"b\":[true,null]}"),
                    Map.of("method", "POST", "type", "application/json", "body", "[1,\"two\"]")));
            List<?> scalars = (List<?>) out.get("scalars");
            assertThat(scalars.stream().map(s -> (Object) ((Map<?, ?>) s).get("body")).toList())
                    .containsExactly("plain text", "42", "true", "");
            assertThat(scalars.stream().map(s -> (Object) ((Map<?, ?>) s).get("method")).toList())
                    .as("no body is a GET, as camel-http does").containsExactly("POST", "POST", "POST", "GET");
            assertThat(out.get("replies")).as("JSON replies become data")
                    .isEqualTo(Arrays.asList(Map.of("a", 1), List.of(1, "two"), "text", 42, true, null));
        }
    }

    @Test
    void callsAnHttpsEndpointWhoseCertificateTheJvmTrusts(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("server.p12");
        Path trust = dir.resolve("trust.p12");
        Path cert = dir.resolve("server.cer");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
                "-keystore", keys.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        keytool("-exportcert", "-alias", "server", "-keystore", keys.toString(), "-storepass", "changeit",
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "server", "-file", cert.toString(),
                "-keystore", trust.toString(), "-storetype", "PKCS12", "-storepass", "changeit");

        try (LocalHttpServer server = LocalHttpServer.startHttps(sslContext(keys), "/", ClasspathIT::answer)) {
            Path wf = dir.resolve("https.caravan.yaml");
            Files.writeString(wf, httpWorkflow(server.url()));
            // as a user would: CARAVAN_JAVA_OPTS="-Djavax.net.ssl.trustStore=..." ./caravan run ...
            Process p = cliProcess(List.of("-Djavax.net.ssl.trustStore=" + trust,
                    "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12"),
                    "run", wf.toString(), "-q", "--ephemeral");
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

            assertThat(p.exitValue()).as(output).isZero();
            Map<?, ?> out = Json.MAPPER.readValue(output, Map.class);
            assertThat(((List<?>) out.get("sent")).get(0)).isEqualTo(
                    Map.of("method", "POST", "type", "application/json", "body", "{\"a\":1,\"b\":[true,null]}"));
            assertThat(((List<?>) out.get("replies")).get(0)).isEqualTo(Map.of("a", 1));
        }
    }

    @Test
    void addsAComponentFromAJarGivenWithDep(@TempDir Path dir) throws Exception {
        Result without = run("run", SHOUT, "--input", "{\"word\": \"hey\"}");
        assertThat(without.code()).isEqualTo(2);
        assertThat(without.err()).contains("shout");

        Path jar = shoutJar(dir.resolve("build"));
        Result r = run("run", SHOUT, "-q", "--input", "{\"word\": \"hey\"}", "--dep", jar.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("HEY!" + System.lineSeparator());

        Result folder = run("run", SHOUT, "-q", "--input", "{\"word\": \"ho\"}", "--dep", jar.getParent().toString());
        assertThat(folder.code()).as(folder.err()).isZero();
        assertThat(folder.out()).isEqualTo("HO!" + System.lineSeparator());
    }

    @Test
    void addsTheJarsOfALibFolderBesideTheWorkflow(@TempDir Path dir) throws Exception {
        Path project = dir.resolve("project");
        Files.createDirectories(project);
        Path wf = Files.copy(Path.of(SHOUT), project.resolve("shout.caravan.yaml"));
        Path lib = project.resolve("lib");
        Files.createDirectories(lib);
        Files.copy(shoutJar(dir.resolve("build")), lib.resolve("shout.jar"));

        Result r = run("run", wf.toString(), "-q", "--input", "{\"word\": \"lib\"}");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("LIB!" + System.lineSeparator());
    }

    @Test
    void resolvesDepCoordinatesFromAMavenRepository(@TempDir Path dir) throws Exception {
        Path remote = mavenRepository(dir.resolve("remote"));
        // its own local repository, so that the test leaves nothing in ~/.m2
        Process p = cliProcess(List.of("-Dmaven.repo.local=" + dir.resolve("m2")), "run", SHOUT, "--ephemeral",
                "--input", "{\"word\": \"maven\"}", "--repo", remote.toUri().toString(), "--dep", "demo:shout:1.0");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("downloaded demo:shout:1.0 from " + remote.toUri().toString().replaceAll("/$", ""))
                .endsWith("MAVEN!" + System.lineSeparator());
        assertThat(dir.resolve("m2/demo/shout/1.0/shout-1.0.jar")).exists();
    }

    @Test
    void refusesADepThatCannotBeResolved(@TempDir Path dir) throws Exception {
        Path remote = mavenRepository(dir.resolve("remote"));
        Process p = cliProcess(List.of("-Dmaven.repo.local=" + dir.resolve("m2")), "run", SHOUT, "--ephemeral",
                "--input", "{\"word\": \"x\"}", "--repo", remote.toUri().toString(), "--dep", "demo:whisper:1.0");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();

        assertThat(p.exitValue()).as(output).isEqualTo(2);
        assertThat(output).contains("caravan: --dep demo:whisper:1.0: cannot resolve it from ")
                .contains(remote.toUri().toString().replaceAll("/$", "")).doesNotContain("\tat ");
    }

    @Test
    void refusesADepThatIsNeitherAJarNorCoordinates() {
        Result missing = run("run", SHOUT, "--input", "{\"word\": \"x\"}", "--dep", "lib/nothing.jar");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("caravan: --dep lib/nothing.jar: no such file" + System.lineSeparator());

        Result noVersion = run("run", SHOUT, "--input", "{\"word\": \"x\"}", "--dep", "demo:shout");
        assertThat(noVersion.code()).isEqualTo(2);
        assertThat(noVersion.err()).contains("--dep demo:shout: expected a jar, a folder of jars, "
                + "groupId:artifactId:version");
    }

    // --- helpers ---

    /** Replies to /echo with what it got, and to /reply/KIND with a JSON value of that kind. */
    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String reply;
        if (path.equals("/echo")) {
            Map<String, Object> got = new LinkedHashMap<>();
            got.put("method", exchange.getRequestMethod());
            got.put("type", exchange.getRequestHeaders().getFirst("Content-Type"));
            got.put("body", body);
            reply = Json.write(got);
        } else {
            reply = switch (path.substring("/reply/".length())) {
                case "object" -> "{\"a\": 1}";
                case "array" -> "[1, \"two\"]";
                case "string" -> "\"text\"";
                case "number" -> "42";
                case "boolean" -> "true";
                default -> "null";
            };
        }
        LocalHttpServer.reply(exchange, "application/json", reply.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a body of each JSON type to /echo, and reads a reply of each JSON type. */
    private static String httpWorkflow(String base) {
        StringBuilder y = new StringBuilder("""
                apiVersion: caravan.dev/v1
                kind: Workflow
                metadata:
                  name: http-bodies
                spec:
                  nodes:
                """);
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("object", "{ a: 1, b: [true, null] }");
        bodies.put("array", "[1, \"two\"]");
        bodies.put("string", "\"plain text\"");
        bodies.put("number", "42");
        bodies.put("boolean", "true");
        bodies.put("none", "null");
        bodies.forEach((id, body) -> y.append("    - id: send_").append(id).append('\n')
                .append("      call: { uri: \"").append(base).append("/echo\", body: ").append(body).append(" }\n"));
        for (String kind : List.of("object", "array", "string", "number", "boolean", "null")) {
            y.append("    - id: reply_").append(kind).append('\n')
                    .append("      call: { uri: \"").append(base).append("/reply/").append(kind).append("\" }\n");
        }
        y.append("  output: \"${{ {"
                + "'sent': [nodes.send_object.output, nodes.send_array.output], "
                + "'scalars': [nodes.send_string.output, nodes.send_number.output, nodes.send_boolean.output, "
                + "nodes.send_none.output], "
                + "'replies': [nodes.reply_object.output, nodes.reply_array.output, nodes.reply_string.output, "
                + "nodes.reply_number.output, nodes.reply_boolean.output, nodes.reply_null.output]} }}\"\n");
        return y.toString();
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }

    private static SSLContext sslContext(Path keys) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keys)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        return ssl;
    }

    /**
     * A jar with a Camel component, scheme {@code shout}, that upper-cases the body and adds "!": compiled here, so
     * that it is on no class path but the one --dep or lib/ makes.
     */
    static Path shoutJar(Path dir) throws IOException {
        Path src = dir.resolve("src/demo/ShoutComponent.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, """
                package demo;

                import java.util.Map;
                import org.apache.camel.Consumer;
                import org.apache.camel.Endpoint;
                import org.apache.camel.Exchange;
                import org.apache.camel.Processor;
                import org.apache.camel.Producer;
                import org.apache.camel.support.DefaultComponent;
                import org.apache.camel.support.DefaultEndpoint;
                import org.apache.camel.support.DefaultProducer;

                public class ShoutComponent extends DefaultComponent {
                    @Override
                    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
                        return new DefaultEndpoint(uri, this) {
                            @Override
                            public Producer createProducer() {
                                return new DefaultProducer(this) {
                                    @Override
                                    public void process(Exchange exchange) {
                                        exchange.getMessage().setBody(
                                                exchange.getMessage().getBody(String.class).toUpperCase() + "!");
                                    }
                                };
                            }

                            @Override
                            public Consumer createConsumer(Processor processor) {
                                throw new UnsupportedOperationException("shout only sends");
                            }
                        };
                    }
                }
                """);
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "--release", "17", "-classpath",
                System.getProperty("java.class.path"), "-d", classes.toString(), src.toString());
        assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        Path jar = dir.resolve("jars/shout-1.0.jar");
        Files.createDirectories(jar.getParent());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            add(out, "demo/ShoutComponent.class", Files.readAllBytes(classes.resolve("demo/ShoutComponent.class")));
            List<Path> anonymous;
            try (Stream<Path> files = Files.list(classes.resolve("demo"))) {
                anonymous = files.filter(f -> f.toString().contains("$")).sorted().toList();
            }
            for (Path inner : anonymous) {
                add(out, "demo/" + inner.getFileName(), Files.readAllBytes(inner));
            }
            // how Camel finds a component by its scheme
            add(out, "META-INF/services/org/apache/camel/component/shout",
                    "class=demo.ShoutComponent\n".getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static void add(JarOutputStream jar, String name, byte[] content) throws IOException {
        jar.putNextEntry(new JarEntry(name));
        jar.write(content);
        jar.closeEntry();
    }

    /** A Maven repository (file: URL) holding demo:shout:1.0, the shout component. */
    private static Path mavenRepository(Path root) throws IOException {
        Path version = root.resolve("demo/shout/1.0");
        Files.createDirectories(version);
        Files.copy(shoutJar(root.resolveSibling("build")), version.resolve("shout-1.0.jar"));
        Files.writeString(version.resolve("shout-1.0.pom"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>demo</groupId>
                  <artifactId>shout</artifactId>
                  <version>1.0</version>
                </project>
                """);
        return root;
    }
}
