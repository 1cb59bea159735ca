package dev.caravan.llm.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.llm.LlmComponent;
import dev.caravan.llm.LlmConstants;
import dev.caravan.llm.LlmException;
import dev.caravan.llm.LlmListener;
import dev.caravan.llm.LlmTool;
import dev.caravan.llm.MutableClock;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the caravan-llm endpoint against a {@link ProviderStub}: the provider's base URL and API key come from Camel
 * properties, as in production. The component waits before retries on a {@link MutableClock}, not in real time: each
 * wait is recorded in {@link #waits} and advances the clock by as much.
 */
abstract class ProviderTestSupport extends CamelTestSupport {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCRIPTED_FALLBACK = "fallback=scripted&scriptedReplies=RAW([\"from scripted\"])&retryInitialDelay=1";
    static final String CITY_SCHEMA
            = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}";

    /** Started, with its clock, from the constructor (CamelTestSupport reads the properties there): no initializers. */
    ProviderStub stub;
    /** The component's clock; the stub stamps each request with its time. */
    MutableClock clock;
    /** The waits before retries the component asked for, in milliseconds. */
    final List<Long> waits = new CopyOnWriteArrayList<>();

    /** The provider prefix, as in caravan.llm.PROVIDER.api-key. */
    abstract String provider();

    /** The base URL of the provider on the stub. */
    abstract String baseUrl();

    /** The API key used; the stub must receive it, nothing else may show it. */
    String apiKey() {
        return "sk-test-" + provider() + "-Secr3tKeyValue0123456789";
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        startStub();
        Properties p = new Properties();
        p.setProperty("caravan.llm." + provider() + ".base-url", baseUrl());
        if (apiKey() != null) {
            p.setProperty("caravan.llm." + provider() + ".api-key", apiKey());
        }
        return p;
    }

    private void startStub() {
        if (stub == null) {
            clock = new MutableClock();
            stub = new ProviderStub(() -> clock.millis());
        }
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        startStub();
        LlmComponent component = new LlmComponent();
        component.setClock(clock);
        component.setRetryTimer((millis, retry) -> {
            waits.add(millis);
            clock.advance(Duration.ofMillis(millis));
            retry.run();
        });
        registry.bind("caravan-llm", component);
    }

    @AfterEach
    void stopStub() {
        stub.close();
    }

    Exchange call(String uri, Object body) {
        return call(uri, body, List.of());
    }

    Exchange call(String uri, Object body, List<LlmTool> tools) {
        return template.request(uri, e -> {
            e.getMessage().setBody(body);
            if (!tools.isEmpty()) {
                e.setProperty(LlmConstants.TOOLS_PROPERTY, tools);
            }
        });
    }

    Exchange call(String uri, Object body, LlmListener listener) {
        return template.request(uri, e -> {
            e.getMessage().setBody(body);
            e.setProperty(LlmConstants.LISTENER_PROPERTY, listener);
        });
    }

    /** Records what a listener is told, in order: {@code delta <text>} and {@code discarded <n> <kind>}. */
    static final class RecordingListener implements LlmListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onDelta(String text) {
            events.add("delta " + text);
        }

        @Override
        public void onDeltasDiscarded(int deltas, LlmException failure) {
            events.add("discarded " + deltas + " " + failure.kind());
        }
    }

    /**
     * A recorded reply with its text (at {@code pointer}) replaced, for a test that needs the model to say something
     * else in the same wire format, such as JSON for structured output.
     */
    static String withText(String fixturePath, String pointer, String text) {
        try {
            JsonNode root = JSON.readTree(ProviderStub.fixture(fixturePath));
            int slash = pointer.lastIndexOf('/');
            ((ObjectNode) root.at(pointer.substring(0, slash)))
                    .put(pointer.substring(slash + 1), text);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode requestBody(int index) {
        return json(stub.received.get(index).body());
    }

    /** Asserts that the API key appears nowhere in what the exchange carries out: body, headers, properties, exception chain. */
    void assertNoKeyIn(Exchange out) {
        String key = apiKey();
        if (key == null) {
            return;
        }
        List<String> seen = new ArrayList<>();
        seen.add(String.valueOf(out.getMessage().getBody()));
        for (Map.Entry<String, Object> h : out.getMessage().getHeaders().entrySet()) {
            seen.add(h.getKey() + "=" + h.getValue());
        }
        out.getProperties().forEach((k, v) -> seen.add(k + "=" + v));
        collect(out.getException(), seen);
        seen.add(String.valueOf(out));
        seen.add(String.valueOf(context.getEndpoints()));
        for (String s : seen) {
            assertThat(s).doesNotContain(key).doesNotContain(key.substring(8));
        }
    }

    private static void collect(Throwable t, List<String> seen) {
        for (; t != null; t = t.getCause() == t ? null : t.getCause()) {
            seen.add(t.toString());
            seen.add(String.valueOf(t.getMessage()));
            for (Throwable s : t.getSuppressed()) {
                collect(s, seen);
            }
        }
    }
}
