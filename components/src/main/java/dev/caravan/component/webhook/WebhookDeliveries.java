package dev.caravan.component.webhook;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The webhook deliveries received within their replay window, cluster-wide: a Hazelcast map from each key of a
 * delivery (its delivery id, its signature) to the run it started, to a mark that it was handled without starting one,
 * or to nothing while it is being handled. Entries expire with the window. A delivery sent again to any member finds
 * its keys taken.
 */
public final class WebhookDeliveries {

    public static final String MAP_NAME = "caravan.webhook.deliveries";
    /** The value of a key whose delivery is being handled. */
    private static final String IN_FLIGHT = "";
    /** The value of a key whose delivery was handled without starting a run (run ids are never this). */
    private static final String NO_RUN = "-";

    private final IMap<String, String> received;

    public WebhookDeliveries(HazelcastInstance hazelcast) {
        this.received = hazelcast.getMap(MAP_NAME);
    }

    /** What a delivery found: nothing (it is new, and its keys are now taken), or the run it started the first time. */
    public sealed interface Claim {

        /** A new delivery: its keys are taken until {@link #started}, {@link #release} or the window ends. */
        record Taken(List<String> keys) implements Claim {
        }

        /**
         * A delivery received before: the run it started then, if any, and whether it is still being handled.
         */
        record Seen(Optional<String> runId, boolean inFlight) implements Claim {
        }
    }

    /**
     * Takes every key of a delivery, each atomically; when one is taken already, the keys taken here are let go again
     * and the delivery is {@link Claim.Seen seen}.
     */
    public Claim claim(List<String> keys, Duration window) {
        List<String> taken = new ArrayList<>(keys.size());
        for (String key : keys) {
            String before = received.putIfAbsent(key, IN_FLIGHT, window.toMillis(), TimeUnit.MILLISECONDS);
            if (before != null) {
                release(taken);
                boolean ran = !before.equals(IN_FLIGHT) && !before.equals(NO_RUN);
                return new Claim.Seen(ran ? Optional.of(before) : Optional.empty(), before.equals(IN_FLIGHT));
            }
            taken.add(key);
        }
        return new Claim.Taken(List.copyOf(taken));
    }

    /** Records the run a delivery started: the same delivery again is answered with it. */
    public void started(List<String> keys, String runId, Duration window) {
        for (String key : keys) {
            received.set(key, runId, window.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Records that a delivery was handled without starting a run (a trigger's filter skipped it). */
    public void handled(List<String> keys, Duration window) {
        started(keys, NO_RUN, window);
    }

    /** Lets a delivery's keys go when it failed: the sender's retry is then a new delivery. */
    public void release(List<String> keys) {
        for (String key : keys) {
            received.remove(key, IN_FLIGHT);
        }
    }
}
