package dev.caravan.app.kafka;

import dev.caravan.app.kafka.StallWatch.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stall watch's decisions, on made-up clocks: seconds as nanoseconds from an arbitrary origin. */
class StallWatchTest {

    private static final long ORIGIN = -7_000_000_000L;

    private static long at(double seconds) {
        return ORIGIN + (long) (seconds * 1e9);
    }

    private static long seconds(double seconds) {
        return (long) (seconds * 1e9);
    }

    @Test
    void flowsWhileNoRunWaitedTheTimeout() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        assertThat(watch.look(10, 0, at(0))).isEqualTo(Verdict.FLOWING);
        assertThat(watch.look(20, seconds(59.9), at(5))).isEqualTo(Verdict.FLOWING);
        assertThat(watch.waitedTooLong(at(0), at(59.9))).isFalse();
        assertThat(watch.waitedTooLong(at(0), at(60))).isTrue();
    }

    @Test
    void aPartitionStuckWhileOthersAreAcknowledgedIsStalled() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        watch.look(100, 0, at(0));
        // the run sent at 0 waits; other partitions' acks (and their responses) keep coming
        watch.acknowledged(at(64));
        assertThat(watch.look(200, seconds(65), at(65))).isEqualTo(Verdict.STALLED);
        assertThat(watch.acknowledgedSince(at(0))).isTrue();
    }

    @Test
    void aClusterThatAnswersOnlyWithErrorsIsStalled() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        watch.look(100, 0, at(0));
        // no acknowledgement at all, but responses (NOT_ENOUGH_REPLICAS, OUT_OF_ORDER_SEQUENCE_NUMBER) go on
        watch.look(150, seconds(55), at(55));
        assertThat(watch.look(160, seconds(60), at(60))).isEqualTo(Verdict.STALLED);
        assertThat(watch.acknowledgedSince(at(0))).isFalse();
    }

    @Test
    void aBrokerThatStoppedAnsweringIsAnOutageNotAStall() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        watch.look(100, 0, at(0));
        // the last responses came at 5 s, the broker went away after
        watch.look(120, seconds(5), at(5));
        for (int s = 10; s <= 300; s += 5) {
            assertThat(watch.look(120, seconds(s), at(s))).as("at %d s", s)
                    .isEqualTo(s < 60 ? Verdict.FLOWING : Verdict.KAFKA_AWAY);
        }
    }

    @Test
    void withNoResponseCountKafkaIsNeverTakenForAnswering() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(1));
        for (int s = 0; s <= 10; s++) {
            assertThat(watch.look(Double.NaN, seconds(s), at(s))).isNotEqualTo(Verdict.STALLED);
        }
    }

    @Test
    void replacementsThatBringNoAcknowledgementWaitTwiceAsLongEachUpToTenMinutes() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        long replaced = at(0);
        watch.look(0, 0, replaced);
        watch.replaced(replaced);
        // the cluster refuses everything and answers every second; each new producer's sends wait from its start
        long expectedGap = seconds(60);
        double responses = 0;
        for (int i = 0; i < 8; i++) {
            long stalledAt = 0;
            for (long now = replaced + seconds(1); stalledAt == 0; now += seconds(1)) {
                responses += 3;
                Verdict v = watch.look(responses, now - replaced, now);
                if (v == Verdict.STALLED) {
                    stalledAt = now;
                } else if (now - replaced >= seconds(60)) {
                    assertThat(v).isEqualTo(Verdict.HELD_OFF);
                }
            }
            assertThat(stalledAt - replaced).as("replacement %d", i + 2).isEqualTo(expectedGap);
            watch.replaced(stalledAt);
            replaced = stalledAt;
            expectedGap = Math.min(expectedGap * 2, seconds(600));
        }
    }

    @Test
    void anAcknowledgementAfterAReplacementEndsTheHoldOff() {
        StallWatch watch = new StallWatch(Duration.ofSeconds(60));
        watch.look(0, 0, at(0));
        watch.replaced(at(0));
        watch.look(10, seconds(60), at(60));
        watch.replaced(at(60));
        // the next replacement would wait 120 s, but the new producer got an acknowledgement
        watch.acknowledged(at(61));
        assertThat(watch.look(20, seconds(60), at(121))).isEqualTo(Verdict.STALLED);
        watch.replaced(at(121));
        assertThat(watch.look(30, seconds(60), at(181))).isEqualTo(Verdict.STALLED);
    }

    @Test
    void refusesATimeoutOfZero() {
        assertThatThrownBy(() -> new StallWatch(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("stall timeout: expected a duration above 0, not PT0S");
        assertThatThrownBy(() -> new StallWatch(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected a duration above 0");
    }
}
