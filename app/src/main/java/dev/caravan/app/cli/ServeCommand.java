package dev.caravan.app.cli;

import dev.caravan.app.CaravanCli;
import dev.caravan.app.serve.CaravanServer;
import dev.caravan.app.serve.ServeOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code caravan serve}: the REST API over an engine, until Ctrl-C. */
@Command(name = "serve",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        sortOptions = false,
        header = "Serve the REST API: start runs and follow them over HTTP.",
        description = {
                "Starts Camel with an HTTP server (the API under /api/v1, health under /observe/health, Prometheus "
                        + "metrics at /observe/metrics), the engine "
                        + "with its embedded Hazelcast member, and an embedded Kafka broker on 127.0.0.1 unless "
                        + "caravan.kafka.bootstrap-servers names one. Deploys the *.caravan.yaml workflows of each "
                        + "--workflows folder (default ./workflows when it exists); a file with problems is reported "
                        + "and skipped. Runs until Ctrl-C (or SIGTERM), then stops cleanly.",
                "",
                "Binding to an address other than loopback needs API keys: -p caravan.api.keys=TENANT:SHA256HEX,...",
                ""},
        footer = {
                "",
                "Examples:",
                "  caravan serve --workflows routes/examples",
                "  curl -s localhost:8080/api/v1/workflows/run -H 'Content-Type: application/json' \\",
                "       -d '{\"workflow\": \"hello\", \"input\": {\"name\": \"Ada\"}}'",
                "  caravan serve --host 0.0.0.0 -p caravan.api.keys=acme:$(printf %%s \"$KEY\" | sha256sum | cut -c1-64)"})
public final class ServeCommand implements Callable<Integer> {

    @ParentCommand
    CaravanCli cli;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "The address to listen on. Default: ${DEFAULT-VALUE} (this machine only).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "The HTTP port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where runs (an embedded H2 database) and the embedded broker's data are kept. "
                    + "Default: .caravan in the working directory.")
    Path dataDir;

    @Option(names = "--workflows", paramLabel = "DIR",
            description = "A folder of *.caravan.yaml workflows to deploy (repeatable). Default: ./workflows when "
                    + "it exists.")
    List<Path> workflows = new ArrayList<>();

    @Option(names = {"-p", "--property"}, paramLabel = "KEY=VALUE",
            description = "Set a Camel property (repeatable): caravan.kafka.bootstrap-servers, "
                    + "caravan.kafka.embedded.port, caravan.api.keys, caravan.api.max-body-bytes, ...")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Logging.configure(cli.verbosity());
        if (port < 0 || port > 65_535) {
            throw new UserException(ExitCodes.USAGE, "--port: expected 0-65535, not " + port);
        }
        Path wd = cli.workingDir();
        List<Path> dirs = new ArrayList<>();
        for (Path w : workflows) {
            Path dir = wd.resolve(w).normalize();
            if (!Files.isDirectory(dir)) {
                throw new UserException(ExitCodes.USAGE, "--workflows " + w + ": no such folder");
            }
            dirs.add(dir);
        }
        if (workflows.isEmpty() && Files.isDirectory(wd.resolve("workflows"))) {
            dirs.add(wd.resolve("workflows"));
        }
        Path data = (dataDir != null ? wd.resolve(dataDir) : wd.resolve(".caravan")).toAbsolutePath().normalize();
        CaravanServer server = CaravanServer.start(new ServeOptions(host, port, data, dirs, properties, wd),
                cli.err());
        CountDownLatch stopped = new CountDownLatch(1);
        // Ctrl-C and SIGTERM end the JVM through its shutdown hooks: this one stops the server before it goes
        Thread stop = new Thread(() -> {
            cli.err().println("caravan serve: stopping");
            try {
                server.close();
            } catch (Exception e) {
                cli.err().println("caravan serve: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "caravan-serve-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        stopped.await();
        return ExitCodes.OK;
    }
}
