package dev.caravan.component.map;

import dev.caravan.state.RunRecord;
import dev.caravan.state.RunStatus;
import dev.caravan.test.CaravanEngineExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static dev.caravan.test.TestWorkflows.header;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code caravan-map}: the body runs once per item, a bounded number at a time, and the outputs keep item order. */
class MapComponentTest {

    private static final AtomicInteger running = new AtomicInteger();
    private static final AtomicInteger mostAtOnce = new AtomicInteger();
    /** Counted down by each item that arrives: an item waits until as many as expected run at once. */
    private static volatile CountDownLatch together = new CountDownLatch(0);

    @RegisterExtension
    static final CaravanEngineExtension caravan = CaravanEngineExtension.builder()
            .routes(rb -> rb.from("direct:busy").process(e -> {
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                together.countDown();
                together.await(5, TimeUnit.SECONDS);
                running.decrementAndGet();
                e.getMessage().setBody("item " + e.getMessage().getBody(String.class));
            }))
            .build();

    /** Runs {@code items} items through a map with this {@code concurrency} line; returns how many ran at once. */
    private static int mostAtOnce(String name, String concurrency, int items, int expected) throws Exception {
        caravan.deploy(header(name) + """
                    - id: each
                      map:
                        items: ${{ input.items }}
                        %s
                        nodes:
                          - id: work
                            call: { uri: "direct:busy", body: "${{ item }}" }
                        output: ${{ nodes.work.output }}
                """.formatted(concurrency));
        mostAtOnce.set(0);
        together = new CountDownLatch(expected);
        RunRecord r = caravan.run(name, Map.of("items", IntStream.range(0, items).boxed().toList()));
        assertThat(r.status()).as(String.valueOf(r.error())).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").output()).isEqualTo(IntStream.range(0, items)
                .mapToObj(i -> "item " + i).toList());
        return mostAtOnce.get();
    }

    @Test
    void theOutputIsTheListOfItemOutputsInItemOrder() throws Exception {
        caravan.deploy(header("ordered") + """
                    - id: each
                      map:
                        items: ${{ input.items }}
                        nodes:
                          - id: shout
                            set: { text: "${{ item + '!' }}", at: "${{ index }}" }
                    - id: texts
                      map:
                        items: ${{ input.items }}
                        nodes:
                          - id: shout
                            set: { text: "${{ item + '!' }}" }
                        output: ${{ nodes.shout.output.text }}
                """);

        RunRecord r = caravan.run("ordered", Map.of("items", List.of("a", "b", "c")));

        assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(r.node("each").output()).isEqualTo(List.of(Map.of("shout", Map.of("text", "a!", "at", 0L)),
                Map.of("shout", Map.of("text", "b!", "at", 1L)), Map.of("shout", Map.of("text", "c!", "at", 2L))));
        assertThat(r.node("each").detail()).isEqualTo(Map.of("items", 3));
        assertThat(r.node("each[1].shout").output()).isEqualTo(Map.of("text", "b!", "at", 1L));
        assertThat(r.node("texts").output()).isEqualTo(List.of("a!", "b!", "c!"));
    }

    @Test
    void fourItemsRunAtOnceByDefault() throws Exception {
        assertThat(mostAtOnce("four", "", 8, 4)).isEqualTo(4);
    }

    @Test
    void concurrencyBoundsTheItemsRunningAtOnce() throws Exception {
        assertThat(mostAtOnce("two", "concurrency: 2", 5, 2)).isEqualTo(2);
    }

    @Test
    void itemsThatAreNotAListFailTheNode() throws Exception {
        caravan.deploy(header("scalar") + """
                    - id: each
                      map:
                        items: ${{ input.items }}
                        nodes:
                          - id: shout
                            set: { text: "${{ item }}" }
                """);

        RunRecord r = caravan.run("scalar", Map.of("items", "a, b"));

        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.node("each").error()).isEqualTo("map each: items must be a list but was String");
    }
}
