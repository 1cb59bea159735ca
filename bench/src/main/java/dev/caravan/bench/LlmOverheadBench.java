package dev.caravan.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmListener;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.apache.camel.Endpoint;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The overhead of the caravan-llm component over a raw LangChain4j OpenAiChatModel call, both against a local JDK
 * HttpServer serving a recorded OpenAI reply (non-streaming) and a recorded SSE stream (streaming).
 * {@code caravanLlmComponent} sends through the endpoint URI, as {@code ProducerTemplate.requestBody(String, ...)}
 * does (Camel resolves the URI on every call); {@code caravanLlmComponentResolvedEndpoint} through the endpoint
 * resolved once, as a route does. The streaming benchmarks also print the median time to the first token of their
 * measured calls when the trial ends.
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
    private Endpoint chatEndpoint;

    /** Whether the current iteration is measured (warm-up calls do not count for the time to first token). */
    private boolean measuring;
    /** Nanoseconds from the start of each measured streaming call to its first token. */
    private long[] firstTokenNanos = new long[1024];
    private int firstTokens;

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
        chatEndpoint = camel.getEndpoint(chatUri);
        // resolve and start both endpoints outside the measurement
        caravanLlmComponent();
        caravanLlmComponentStreaming();
    }

    @Setup(Level.Iteration)
    public void iteration(IterationParams params) {
        measuring = params.getType() == IterationType.MEASUREMENT;
    }

    private void firstToken(long startNanos, long firstNanos) {
        if (measuring && firstNanos > 0) {
            if (firstTokens == firstTokenNanos.length) {
                firstTokenNanos = Arrays.copyOf(firstTokenNanos, firstTokens * 2);
            }
            firstTokenNanos[firstTokens++] = firstNanos - startNanos;
        }
    }

    private static void handle(HttpExchange exchange, byte[] json, byte[] sse) throws IOException {
        byte[] request;
        try (InputStream in = exchange.getRequestBody()) {
            request = in.readAllBytes();
        }
        boolean stream = new String(request, StandardCharsets.UTF_8).contains("\"stream\":true")
                         || new String(request, StandardCharsets.UTF_8).contains("\"stream\" : true");
        exchange.getResponseHeaders().set("Content-Type", stream ? "text/event-stream" : "application/json");
        exchange.sendResponseHeaders(200, stream ? 0 : json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(stream ? sse : json);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (firstTokens > 0) {
            long[] sorted = Arrays.copyOf(firstTokenNanos, firstTokens);
            Arrays.sort(sorted);
            System.out.printf("%nTime to first token: median %.1f us over %d measured calls%n",
                    sorted[firstTokens / 2] / 1000.0, firstTokens);
        }
        if (template != null) {
            template.stop();
        }
        if (camel != null) {
            camel.stop();
        }
        if (server != null) {
            server.stop(0);
            ((ExecutorService) server.getExecutor()).shutdownNow();
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
    public String caravanLlmComponentResolvedEndpoint() {
        return template.requestBody(chatEndpoint, PROMPT, String.class);
    }

    @Benchmark
    public String rawLangChain4jStreaming() throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        long start = System.nanoTime();
        long[] first = new long[1];
        rawStreaming.chat(PROMPT, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                if (first[0] == 0) {
                    first[0] = System.nanoTime();
                }
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
        String text = done.get(30, TimeUnit.SECONDS).aiMessage().text();
        firstToken(start, first[0]);
        return text;
    }

    @Benchmark
    public String caravanLlmComponentStreaming() {
        long start = System.nanoTime();
        long[] first = new long[1];
        LlmListener listener = new LlmListener() {
            @Override
            public void onDelta(String text) {
                if (first[0] == 0) {
                    first[0] = System.nanoTime();
                }
            }
        };
        String text = template.request(streamUri, e -> {
            e.getMessage().setBody(PROMPT);
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        }).getMessage().getBody(String.class);
        firstToken(start, first[0]);
        return text;
    }
}
