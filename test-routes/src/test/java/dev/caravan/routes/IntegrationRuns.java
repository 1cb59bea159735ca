package dev.caravan.routes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.caravan.app.CaravanCli;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the tests of the exported Integrations compare and send: the output {@code caravan run} prints for an input,
 * and a webhook delivery signed as GitHub signs one.
 */
final class IntegrationRuns {

    static final Path INTEGRATIONS = Path.of("../integrations");
    /** What the GitHub webhook of issue-triage signs its deliveries with (the Secret caravan-webhooks). */
    static final String WEBHOOK_SECRET = "export-test-webhook-secret";
    /** An issue opened, as GitHub delivers it (the fields issue-triage's trigger reads)... */
    static final JsonNode ISSUE_OPENED = Examples.JSON.valueToTree(Map.of("action", "opened", "issue",
            Map.of("number", 7, "title", "Crash on start", "body", "Stack trace attached")));
    /** ...and the input the trigger maps it to. */
    static final String ISSUE = "{\"title\": \"Crash on start\", \"body\": \"Stack trace attached\", \"number\": 7}";

    private IntegrationRuns() {
    }

    /** What {@code caravan run FILE -q --input INPUT} prints, with the options after, the command succeeding. */
    static String caravanRun(Path workflow, String input, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> args = new ArrayList<>(List.of("run", workflow.toString(), "-q", "--input", input));
        args.addAll(List.of(options));
        int code = new CaravanCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args.toArray(String[]::new));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    /** A run's output is what caravan run printed: a text as it is, anything else as JSON. */
    static void assertSameOutput(Object output, String printed) throws IOException {
        if (output instanceof String text) {
            assertThat(text).isEqualTo(printed);
        } else {
            assertThat(Examples.tree(output)).isEqualTo(Examples.JSON.readTree(printed));
        }
    }

    /** A GitHub issues delivery, signed with the secret, posted to the URL. */
    static HttpResponse<String> deliverIssue(URI url, JsonNode delivery, String id, String secret)
            throws IOException, InterruptedException {
        byte[] body = Examples.JSON.writeValueAsBytes(delivery);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                .header("Content-Type", "application/json")
                .header("X-GitHub-Event", "issues")
                .header("X-GitHub-Delivery", id)
                .header("X-Hub-Signature-256", githubSignature(body, secret))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GitHub's signature of a delivery: HMAC-SHA256 of the body with the webhook's secret, in hex. */
    private static String githubSignature(byte[] body, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
