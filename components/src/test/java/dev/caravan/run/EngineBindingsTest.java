package dev.caravan.run;

import dev.caravan.expr.Expressions;
import dev.caravan.spi.Timers;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** What an application binds in the Camel registry before the engine starts serves the engine instead of its own. */
class EngineBindingsTest {

    /** Timers that record what is asked of them and run nothing until told. */
    static final class RecordingTimers implements Timers {
        final List<Long> delays = new CopyOnWriteArrayList<>();
        final List<Long> periods = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public Timer schedule(Runnable task, long delayMillis) {
            if (closed) {
                throw new RejectedExecutionException("closed");
            }
            delays.add(delayMillis);
            return () -> { };
        }

        @Override
        public Timer every(Runnable task, long periodMillis) {
            periods.add(periodMillis);
            return () -> { };
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void boundTimersKeepTheEnginesTimeAndStayTheApplications() throws Exception {
        RecordingTimers timers = new RecordingTimers();
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("timers", Timers.class, timers);
        camel.start();
        Engine engine = Engine.of(camel);
        assertThat(engine.timers()).isSameAs(timers);
        // the reaper's sweeps are the engine's first periodic timer
        assertThat(timers.periods).isNotEmpty();
        engine.runTimers().scheduleWake("some-run", "pause", System.currentTimeMillis() + 60_000);
        assertThat(timers.delays).anySatisfy(d -> assertThat(d).isBetween(50_000L, 60_000L));
        camel.close();
        assertThat(timers.closed).as("the application closes what it bound").isFalse();
    }

    @Test
    void boundExpressionsAreTheEnginesSoWhatALoaderCheckedIsNotCompiledAgain() throws Exception {
        Expressions expressions = new Expressions();
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getRegistry().bind("expressions", Expressions.class, expressions);
        camel.start();
        try {
            assertThat(Engine.of(camel).expressions()).isSameAs(expressions);
        } finally {
            camel.close();
        }
    }
}
