package dev.caravan.dsl;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A way the outside world starts runs of a workflow, from {@code spec.triggers}: each compiles into a Camel route
 * that ends in {@code caravan-run:start}. What every trigger has:
 * <ul>
 *   <li>{@link #id()}: names its route and its state; the kind's name unless the file sets one ({@code kafka},
 *   {@code kafka-2} for a second of the kind).</li>
 *   <li>{@link #filter()}: a condition; false skips the event. Null: every event starts a run.</li>
 *   <li>{@link #input()}: the run's input as a template; null: the event's body (the JSON payload, the record's
 *   value, the changed row).</li>
 *   <li>{@link #idempotencyKey()}: a string template naming the event, so the same event delivered twice starts one
 *   run; null: the kind's own (the delivery id of a webhook, the record's offset, the change's position, the
 *   fire time).</li>
 * </ul>
 * Expressions see the variables {@link #variables()} names.
 */
public sealed interface Trigger {

    /** What every trigger's expressions see: the event's body and headers. */
    String BODY = "body";
    String HEADERS = "headers";

    String id();

    String filter();

    Object input();

    String idempotencyKey();

    Position position();

    /** The kind's key in the file: {@code webhook}, {@code kafka}, {@code cdc}, {@code cron}. */
    String kind();

    /** The variables its expressions see. */
    default Set<String> variables() {
        return variables(kind());
    }

    /** The variables the expressions of a trigger of {@code kind} see. */
    static Set<String> variables(String kind) {
        return switch (kind) {
            case "kafka" -> Set.of(BODY, HEADERS, Kafka.KEY, Kafka.TOPIC, Kafka.PARTITION, Kafka.OFFSET);
            case "cdc" -> Set.of(BODY, HEADERS, Cdc.BEFORE, Cdc.AFTER, Cdc.OPERATION, Cdc.TABLE);
            case "cron" -> Set.of(BODY, HEADERS, Cron.FIRED_AT);
            default -> Set.of(BODY, HEADERS);
        };
    }

    /** How a webhook's sender signs its deliveries. */
    enum Signature {
        /** {@code X-Hub-Signature-256: sha256=<hex>} over the body. */
        github,
        /** {@code Stripe-Signature: t=<seconds>,v1=<hex>} over {@code <t>.<body>}, within a tolerance. */
        stripe,
        /** A header of the sender's choice holding the hex HMAC-SHA256 of the body. */
        hmac,
        /** Unsigned: only where something in front checks the caller. Must be said explicitly. */
        none
    }

    /**
     * A platform-http path on the server's port.
     *
     * @param secret    the name of the environment variable or Camel property holding the signing secret, never the
     *                  secret itself
     * @param header    the header carrying the signature ({@code hmac} only)
     * @param tolerance how old a Stripe signature's timestamp may be
     */
    record Webhook(String id, String path, Signature signature, String secret, String header, Duration tolerance,
            String filter, Object input, String idempotencyKey, Position position) implements Trigger {
        @Override
        public String kind() {
            return "webhook";
        }

    }

    /**
     * Records of a Kafka topic, read by a consumer group; a record that cannot start a run goes to
     * {@code deadLetterTopic} with the reason in a header, and the consumer goes on.
     */
    record Kafka(String id, String topic, String group, String deadLetterTopic, String filter, Object input,
            String idempotencyKey, Position position) implements Trigger {
        /** The record's key, and where it was read. */
        public static final String KEY = "key";
        public static final String TOPIC = "topic";
        public static final String PARTITION = "partition";
        public static final String OFFSET = "offset";

        @Override
        public String kind() {
            return "kafka";
        }

    }

    /** Row changes of a PostgreSQL table, as Debezium reads them from the write-ahead log. */
    record Cdc(String id, String table, List<String> operations, String filter, Object input,
            String idempotencyKey, Position position) implements Trigger {
        /** The row before and after the change (null for an insert and a delete), the operation and the table. */
        public static final String BEFORE = "before";
        public static final String AFTER = "after";
        public static final String OPERATION = "op";
        public static final String TABLE = "table";
        /** The operations a change may be: create, update, delete. */
        public static final List<String> OPERATIONS = List.of("c", "u", "d");

        @Override
        public String kind() {
            return "cdc";
        }

    }

    /**
     * A schedule: a Quartz cron expression or a fixed interval, firing once per time across a cluster (every member
     * fires; the run of one fire time is started once).
     */
    record Cron(String id, String schedule, Duration every, String filter, Object input, String idempotencyKey,
            Position position) implements Trigger {
        /** When the fire was due, as ISO-8601 text. */
        public static final String FIRED_AT = "firedAt";

        @Override
        public String kind() {
            return "cron";
        }

    }
}
