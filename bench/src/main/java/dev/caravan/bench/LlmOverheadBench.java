package dev.caravan.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The overhead of the caravan-llm component over a raw LangChain4j OpenAiChatModel call, both against a local JDK
 * HttpServer serving a recorded OpenAI reply (non-streaming) and a recorded SSE stream (streaming).
 *
 * <pre>java --add-modules java.se --add-opens java.base/java.lang=ALL-UNNAMED \
 *   -cp "bench/target/caravan-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
 *   org.openjdk.jmh.Main LlmOverheadBench -wi 2 -w 1 -i 3 -r 1</pre>
 *
 * Run from the repository root, or set {@code -p fixtures=/path/to/shared/fixtures/llm}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// TCP_NODELAY on the stub: without it the JDK server's separate header and body writes meet delayed ACKs (~40 ms a call)
@Fork(value = 1, jvmArgsAppend = { "--add-modules", "java.se", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "-Dsun.net.httpserver.nodelay=true" })
public class LlmOverheadBench {

    private static final String PROMPT = "Say hello";

    /** The LLM fixtures folder, relative to the working directory. */
    @Param("../shared/fixtures/llm")
    public String fixtures;

    private HttpServer server;
    private DefaultCamelContext camel;
    private ProducerTemplate template;
    private ChatModel raw;
    private StreamingChatModel rawStreaming;
    private String chatUri;
    private String streamUri;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        byte[] json = Files.readAllBytes(Path.of(fixtures, "openai/chat-completion-response.json"));
        byte[] sse = Files.readAllBytes(Path.of(fixtures, "openai/chat-completion-stream-recorded.sse"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", exchange -> handle(exchange, json, sse));
        server.start();
        String baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";

        raw = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey("test").modelName("gpt-4o-mini").build();
        rawStreaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey("test").modelName("gpt-4o-mini").build();

        camel = new DefaultCamelContext();
        camel.start();
        template = camel.createProducerTemplate();
        chatUri = "caravan-llm:chat?model=openai:gpt-4o-mini&baseUrl=" + baseUrl + "&apiKey=test";
        streamUri = chatUri + "&streaming=true";
        // resolve and start both endpoints outside the measurement
        caravanLlmComponent();
        caravanLlmComponentStreaming();
    }

    private static void handle(HttpExchange exchange, byte[] json, byte[] sse) throws IOException {
        byte[] request;
        try (InputStream in = exchange.getRequestBody()) {
            request = in.readAllBytes();
        }
        boolean stream = new String(request, java.nio.charset.StandardCharsets.UTF_8).contains("\"stream\":true")
                         || new String(request, java.nio.charset.StandardCharsets.UTF_8).contains("\"stream\" : true");
        exchange.getResponseHeaders().set("Content-Type", stream ? "text/event-stream" : "application/json");
        exchange.sendResponseHeaders(200, stream ? 0 : json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(stream ? sse : json);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (template != null) {
            template.stop();
        }
        if (camel != null) {
            camel.stop();
        }
        if (server != null) {
            server.stop(0);
            ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        }
    }

    @Benchmark
    public String rawLangChain4j() {
        return raw.chat(PROMPT);
    }

    @Benchmark
    public String caravanLlmComponent() {
        return template.requestBody(chatUri, PROMPT, String.class);
    }

    @Benchmark
    public String rawLangChain4jStreaming() throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        rawStreaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done.get(30, TimeUnit.SECONDS).aiMessage().text();
    }

    @Benchmark
    public String caravanLlmComponentStreaming() {
        return template.requestBody(streamUri, PROMPT, String.class);
    }
}
