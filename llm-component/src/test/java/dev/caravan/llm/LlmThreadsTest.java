package dev.caravan.llm;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.Producer;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which thread a model call runs on, how the producer completes, and that a waiting call holds no thread. */
class LlmThreadsTest extends CamelTestSupport {

    private final ThreadRecordingFactory instant = new ThreadRecordingFactory("instant", false, false);
    private final ThreadRecordingFactory bounded = new ThreadRecordingFactory("bounded", true, true);
    private final ThreadRecordingFactory unbounded = new ThreadRecordingFactory("unbounded", true, false);

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("instantFactory", instant);
        registry.bind("boundedFactory", bounded);
        registry.bind("unboundedFactory", unbounded);
    }

    @Override
    protected RouteBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:weather").setBody(constant(Map.of("forecast", "sunny")));
            }
        };
    }

    private static final String INSTANT = "caravan-llm:chat?model=instant:m";
    private static final String BOUNDED = "caravan-llm:chat?model=bounded:m";
    private static final String UNBOUNDED = "caravan-llm:chat?model=unbounded:m";

    @Test
    void aModelThatNeverWaitsIsCalledOnTheCallersThreadAndTheExchangeCompletesSynchronously() throws Exception {
        Producer producer = context.getEndpoint(INSTANT).createProducer();
        producer.start();
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("Hi");
        List<Boolean> doneSync = new CopyOnWriteArrayList<>();

        boolean sync = ((AsyncProcessor) producer).process(exchange, doneSync::add);

        assertThat(sync).isTrue();
        assertThat(doneSync).containsExactly(true);
        assertThat(exchange.getException()).isNull();
        assertThat(exchange.getMessage().getBody()).isEqualTo("from instant");
        assertThat(instant.threads).containsExactly(Thread.currentThread().getName());
        producer.stop();
    }

    @Test
    void aBlockingModelThatMayWaitRunsOnTheComponentsExecutor() throws Exception {
        Producer producer = context.getEndpoint(BOUNDED).createProducer();
        producer.start();
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("Hi");
        CompletableFuture<Boolean> done = new CompletableFuture<>();

        boolean sync = ((AsyncProcessor) producer).process(exchange, done::complete);

        // the reply may be in before process returns: then the exchange completes synchronously, and says so once
        assertThat(done.get(10, TimeUnit.SECONDS)).isEqualTo(sync);
        assertThat(exchange.getMessage().getBody()).isEqualTo("from bounded");
        assertThat(bounded.threads).singleElement().asString().startsWith("caravan-llm");
        producer.stop();
    }

    @Test
    void aModelWithoutATimeoutOfItsOwnIsEndedByTheComponentsTimer() {
        Exchange out = template.request(UNBOUNDED + "&timeout=200", e -> e.getMessage().setBody("hang"));

        assertThat(out.getException()).isInstanceOf(LlmException.class);
        assertThat(((LlmException) out.getException()).kind()).isEqualTo(LlmException.Kind.TIMEOUT);
        assertThat(out.getException()).hasMessageContaining("did not answer within 200 ms");
        assertThat(unbounded.interrupted).succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void toolsThatCompleteAtOnceKeepTheConversationOnTheCallersThread() throws Exception {
        Producer producer = context.getEndpoint("caravan-llm:chat?model=scripted&scriptedReplies=RAW("
                + "[{\"toolCalls\":[{\"name\":\"weather\"}]},\"Sunny: {tool}\"])").createProducer();
        producer.start();
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("Weather?");
        exchange.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(new LlmTool("weather", "w", null, "direct:weather")));
        List<Boolean> doneSync = new CopyOnWriteArrayList<>();

        boolean sync = ((AsyncProcessor) producer).process(exchange, doneSync::add);

        assertThat(sync).isTrue();
        assertThat(doneSync).containsExactly(true);
        assertThat(exchange.getMessage().getBody()).isEqualTo("Sunny: {\"forecast\":\"sunny\"}");
        producer.stop();
    }

    @Test
    void callsWaitingOnAScriptedLatencyHoldNoThread() throws Exception {
        // more than a Camel scheduled pool's queue takes (1,000): every waiting call has its timeout on the timer
        int calls = 1500;
        Producer producer = context.getEndpoint("caravan-llm:chat?model=scripted&scriptedLatency=1000"
                                                + "&scriptedReplies=RAW([\"later\"])").createProducer();
        producer.start();
        CountDownLatch done = new CountDownLatch(calls);
        List<Exchange> exchanges = new ArrayList<>();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        for (int i = 0; i < calls; i++) {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setBody("Hi " + i);
            exchanges.add(exchange);
            assertThat(((AsyncProcessor) producer).process(exchange, doneSync -> done.countDown())).isFalse();
        }
        // every call was started and waits now: a thread per call would show here
        int threadsWaiting = ManagementFactory.getThreadMXBean().getThreadCount();

        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(exchanges).allSatisfy(e -> {
            assertThat(e.getException()).isNull();
            assertThat(e.getMessage().getBody()).isEqualTo("later");
        });
        assertThat(threadsWaiting - threadsBefore).isLessThan(10);
        producer.stop();
    }

    /**
     * Replies at once and records the thread of each call (a prompt "hang" waits until interrupted); "waits" and
     * enforces the timeout as told.
     */
    static final class ThreadRecordingFactory implements ChatModelFactory {
        final List<String> threads = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> interrupted = new CompletableFuture<>();
        private final String provider;
        private final boolean waits;
        private final boolean enforcesTimeout;

        ThreadRecordingFactory(String provider, boolean waits, boolean enforcesTimeout) {
            this.provider = provider;
            this.waits = waits;
            this.enforcesTimeout = enforcesTimeout;
        }

        @Override
        public String provider() {
            return provider;
        }

        @Override
        public ChatModel chatModel(String modelName, LlmConfiguration cfg) {
            return new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    threads.add(Thread.currentThread().getName());
                    if (request.messages().get(0) instanceof UserMessage user && "hang".equals(user.singleText())) {
                        try {
                            new CountDownLatch(1).await();
                        } catch (InterruptedException e) {
                            interrupted.complete(null);
                            Thread.currentThread().interrupt();
                        }
                    }
                    return ChatResponse.builder().aiMessage(AiMessage.from("from " + provider))
                            .tokenUsage(new TokenUsage(1, 1)).build();
                }
            };
        }

        @Override
        public StreamingChatModel streamingChatModel(String modelName, LlmConfiguration cfg) {
            throw new UnsupportedOperationException("blocking only");
        }

        @Override
        public boolean waits(LlmConfiguration cfg) {
            return waits;
        }

        @Override
        public boolean enforcesTimeout(LlmConfiguration cfg) {
            return enforcesTimeout;
        }
    }
}
