package dev.caravan.app.triggers;

import dev.caravan.app.triggers.TriggerStatus.ConsumerLag;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads the consumer lag of Kafka triggers with an Admin client: the topic's log-end offsets against the group's
 * committed offsets. Asked for by the health check and the API, never per record; a broker that does not answer
 * within the timeout gives a lag unknown with the reason, not a hung health check.
 */
final class ConsumerLags implements AutoCloseable {

    private final String bootstrapServers;
    private final Duration timeout;
    private Admin admin;

    ConsumerLags(String bootstrapServers, Duration timeout) {
        this.bootstrapServers = bootstrapServers;
        this.timeout = timeout;
    }

    /** The lag of {@code group} on {@code topic}. */
    ConsumerLag read(String topic, String group) {
        try {
            Admin a = admin();
            long deadline = System.nanoTime() + timeout.toNanos();
            TopicDescription description = a.describeTopics(List.of(topic)).allTopicNames()
                    .get(remaining(deadline), TimeUnit.NANOSECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartitionInfo p : description.partitions()) {
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = a.listOffsets(latest).all()
                    .get(remaining(deadline), TimeUnit.NANOSECONDS);
            Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(remaining(deadline), TimeUnit.NANOSECONDS);
            Map<Integer, Long> partitions = new TreeMap<>();
            long total = 0;
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end : ends.entrySet()) {
                OffsetAndMetadata at = committed.get(end.getKey());
                long lag = Math.max(0, end.getValue().offset() - (at == null ? 0 : at.offset()));
                partitions.put(end.getKey().partition(), lag);
                total += lag;
            }
            return new ConsumerLag(total, partitions, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unknown("interrupted");
        } catch (TimeoutException e) {
            return unknown("Kafka at " + bootstrapServers + " did not answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return unknown(e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        } catch (RuntimeException e) {
            return unknown(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static ConsumerLag unknown(String why) {
        return new ConsumerLag(null, Map.of(), why);
    }

    private static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
    }

    /** One client for every read: it keeps its connections, so a read is a few requests, not a handshake. */
    private synchronized Admin admin() {
        if (admin == null) {
            int millis = (int) timeout.toMillis();
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis,
                    AdminClientConfig.CLIENT_ID_CONFIG, "caravan-trigger-lag"));
        }
        return admin;
    }

    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(1));
            admin = null;
        }
    }
}
