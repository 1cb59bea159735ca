package dev.caravan.app.cli;

import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The terminal's account of a run's events. */
class ProgressTest {

    @Test
    void aRetriedRunSaysWhichNodeItRetriesFrom() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "r1");
        // the data caravan.run.retrying carries (docs/events.md): the node retried from and the nodes cleared
        progress.accept(new RunEvent(EventTypes.RUN_RETRYING, "r1", 9, 0, "wf", "default", null, "b", null,
                Map.of("from", "b", "cleared", List.of("b", "c"))));
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("run retrying from node b");
    }
}
