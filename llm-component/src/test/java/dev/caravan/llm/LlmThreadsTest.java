package dev.caravan.llm;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.caravan.llm.provider.ChatModelFactory;
import dev.langchain4j.data.message.AiMessage;
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

/** Which thread a blocking model call runs on, and how the producer completes. */
class LlmThreadsTest extends CamelTestSupport {

    private final ThreadRecordingFactory bounded = new ThreadRecordingFactory("bounded", true);
    private final ThreadRecordingFactory unbounded = new ThreadRecordingFactory("unbounded", false);

    @Override
    protected void bindToRegistry(Registry registry) {
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

    private static final String BOUNDED = "caravan-llm:chat?model=bounded:m";
    private static final String UNBOUNDED = "caravan-llm:chat?model=unbounded:m";

    @Test
    void aModelThatEnforcesTheTimeoutIsCalledOnTheCallersThreadAndTheExchangeCompletesSynchronously() throws Exception {
        Producer producer = context.getEndpoint(BOUNDED).createProducer();
        producer.start();
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("Hi");
        List<Boolean> doneSync = new CopyOnWriteArrayList<>();

        boolean sync = ((AsyncProcessor) producer).process(exchange, doneSync::add);

        assertThat(sync).isTrue();
        assertThat(doneSync).containsExactly(true);
        assertThat(exchange.getException()).isNull();
        assertThat(exchange.getMessage().getBody()).isEqualTo("from bounded");
        assertThat(bounded.threads).containsExactly(Thread.currentThread().getName());
        producer.stop();
    }

    @Test
    void aModelThatMayWaitWithoutATimeoutOfItsOwnIsWatchedFromTheComponentsExecutor() {
        Exchange out = template.request(UNBOUNDED, e -> e.getMessage().setBody("Hi"));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getBody()).isEqualTo("from unbounded");
        assertThat(unbounded.threads).singleElement().asString().startsWith("caravan-llm");
    }

    @Test
    void withToolsTheConversationRunsOnTheExecutorAndCallsTheModelThereWithoutASecondHandOff() {
        Exchange out = template.request(BOUNDED, e -> {
            e.getMessage().setBody("Hi");
            e.setProperty(LlmConstants.TOOLS_PROPERTY, List.of(new LlmTool("weather", "w", null, "direct:weather")));
        });

        assertThat(out.getException()).isNull();
        assertThat(bounded.threads).singleElement().asString().startsWith("caravan-llm");
    }

    /** Replies at once and records the thread of each call; "waits" and enforces the timeout as told. */
    static final class ThreadRecordingFactory implements ChatModelFactory {
        final List<String> threads = new CopyOnWriteArrayList<>();
        private final String provider;
        private final boolean enforcesTimeout;

        ThreadRecordingFactory(String provider, boolean enforcesTimeout) {
            this.provider = provider;
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
            return true;
        }

        @Override
        public boolean enforcesTimeout(LlmConfiguration cfg) {
            return enforcesTimeout;
        }
    }
}
