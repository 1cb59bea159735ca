package dev.caravan.run;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.topic.ITopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/**
 * Asks the member that owns a running run to execute it (again): an approval, a finished sub-workflow or a timer
 * that reaches another member continues the run where it runs, rather than racing its owner. A request that is
 * lost (the owner died meanwhile) is made good by the {@link Reaper}, which takes the run over.
 */
final class RunRequests implements AutoCloseable {

    static final String TOPIC = "caravan.run.requests";

    private static final Logger LOG = LoggerFactory.getLogger(RunRequests.class);

    private final ITopic<String> topic;
    private final UUID registration;

    RunRequests(HazelcastInstance hazelcast, String memberId, RunExecutor runs) {
        this.topic = hazelcast.getTopic(TOPIC);
        this.registration = topic.addMessageListener(message -> {
            // "<member> <run|check> <runId>": every member hears every request and takes its own
            String[] parts = message.getMessageObject().split(" ", 3);
            if (parts.length == 3 && parts[0].equals(memberId)) {
                LOG.debug("Member {} asks for {} of run {}", message.getPublishingMember(), parts[1], parts[2]);
                if (parts[1].equals("run") || !runs.isExecuting(parts[2])) {
                    runs.execute(parts[2]);
                }
            }
        });
    }

    /** Asks {@code owner} to execute the run, or to go round once more if it is executing it. */
    void send(String owner, String runId) {
        topic.publish(owner + " run " + runId);
    }

    /** Asks {@code owner} to execute the run unless it is executing it: the run made no progress for a while. */
    void check(String owner, String runId) {
        topic.publish(owner + " check " + runId);
    }

    @Override
    public void close() {
        try {
            topic.removeMessageListener(registration);
        } catch (RuntimeException stopped) {
            // the member is already down
        }
    }
}
