package dev.caravan.llm.provider;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class CallDeadlineTest {

    @Test
    void aCallThatEndsInTimeIsNeverInterrupted() {
        CallDeadline deadline = new CallDeadline(Duration.ofSeconds(30));

        assertThat(deadline.end()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void interruptsACallThatOutlivesItsLimitAndClearsTheInterruptWhenItEnds() {
        CallDeadline deadline = new CallDeadline(Duration.ofMillis(50));

        // stands for HttpClient.send, which throws InterruptedException when interrupted
        Throwable waited = catchThrowable(() -> new CountDownLatch(1).await(30, TimeUnit.SECONDS));

        assertThat(waited).isInstanceOf(InterruptedException.class);
        assertThat(deadline.end()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void aLimitThatPassesJustAfterTheCallLeavesNoInterruptBehind() {
        CallDeadline deadline = new CallDeadline(Duration.ofMillis(1));
        // the call returned, and the interrupt comes while the caller is not waiting
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Thread.currentThread().isInterrupted() && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
        }

        assertThat(deadline.end()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }
}
