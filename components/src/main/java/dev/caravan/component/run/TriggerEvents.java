package dev.caravan.component.run;

import dev.caravan.component.webhook.WebhookConstants;
import dev.caravan.dsl.Trigger;
import dev.caravan.expr.Expressions;
import dev.caravan.expr.Template;
import dev.caravan.json.Json;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a trigger's route hands the run producer, read as the trigger's expressions see it: the event's variables,
 * whether its filter lets it through, the input it maps to and the key that makes a second delivery of the same event
 * start no second run. The expressions are the deployed workflow's, compiled once per endpoint.
 */
final class TriggerEvents {

    /** The headers Camel's consumers set that the variables are read from (names, so no component is needed). */
    static final String KAFKA_KEY = "kafka.KEY";
    static final String KAFKA_TOPIC = "kafka.TOPIC";
    static final String KAFKA_PARTITION = "kafka.PARTITION";
    static final String KAFKA_OFFSET = "kafka.OFFSET";
    static final String DEBEZIUM_OPERATION = "CamelDebeziumOperation";
    static final String DEBEZIUM_BEFORE = "CamelDebeziumBefore";
    static final String DEBEZIUM_KEY = "CamelDebeziumKey";
    static final String DEBEZIUM_SOURCE = "CamelDebeziumSourceMetadata";
    static final String QUARTZ_SCHEDULED = "scheduledFireTime";
    static final String TIMER_FIRED = "CamelTimerFiredTime";

    private final Trigger trigger;
    private final String workflow;
    private final Template filter;
    private final Template input;
    private final Template idempotencyKey;

    TriggerEvents(String workflow, Trigger trigger, Expressions expressions) {
        this.workflow = workflow;
        this.trigger = trigger;
        this.filter = trigger.filter() == null ? null : expressions.compile(trigger.filter(), trigger.variables());
        this.input = trigger.input() == null ? null : expressions.compile(trigger.input(), trigger.variables());
        this.idempotencyKey = trigger.idempotencyKey() == null ? null
                : expressions.compile(trigger.idempotencyKey(), trigger.variables());
    }

    /** One event: its variables, read from the exchange once. */
    Event read(Exchange exchange) {
        Message m = exchange.getMessage();
        Map<String, Object> vars = new LinkedHashMap<>();
        Object body = body(exchange);
        vars.put(Trigger.BODY, body);
        vars.put(Trigger.HEADERS, headers(m));
        if (trigger instanceof Trigger.Kafka) {
            vars.put(Trigger.Kafka.KEY, text(m.getHeader(KAFKA_KEY)));
            vars.put(Trigger.Kafka.TOPIC, m.getHeader(KAFKA_TOPIC, String.class));
            vars.put(Trigger.Kafka.PARTITION, m.getHeader(KAFKA_PARTITION, Long.class));
            vars.put(Trigger.Kafka.OFFSET, m.getHeader(KAFKA_OFFSET, Long.class));
        } else if (trigger instanceof Trigger.Cdc) {
            // Debezium's body is the row after the change: none for a delete, whose body is then the row before
            Object before = plain(exchange, m.getHeader(DEBEZIUM_BEFORE));
            vars.put(Trigger.Cdc.BEFORE, before);
            vars.put(Trigger.Cdc.AFTER, body);
            if (body == null) {
                vars.put(Trigger.BODY, before);
            }
            vars.put(Trigger.Cdc.OPERATION, m.getHeader(DEBEZIUM_OPERATION, String.class));
            vars.put(Trigger.Cdc.TABLE, ((Trigger.Cdc) trigger).table());
        } else if (trigger instanceof Trigger.Cron) {
            vars.put(Trigger.Cron.FIRED_AT, firedAt(m).toString());
        }
        return new Event(exchange, vars);
    }

    /** An event as the trigger's expressions see it. */
    final class Event {
        private final Exchange exchange;
        private final Map<String, Object> vars;

        private Event(Exchange exchange, Map<String, Object> vars) {
            this.exchange = exchange;
            this.vars = vars;
        }

        /** Whether the trigger's filter lets it start a run (a CDC trigger also by its operations). */
        boolean accepted() {
            if (trigger instanceof Trigger.Cdc c && !c.operations().contains(vars.get(Trigger.Cdc.OPERATION))) {
                return false;
            }
            return filter == null || filter.evaluateBoolean(vars);
        }

        /** The run's input: the trigger's mapping, else the event's body (a CDC trigger's row after the change). */
        Object input() {
            if (input != null) {
                return input.evaluate(vars);
            }
            Object body = vars.get(Trigger.BODY);
            return body == null ? Map.of() : body;
        }

        /** The key naming this event among the trigger's, or null when the event carries none. */
        String idempotencyKey() {
            String own = idempotencyKey != null ? String.valueOf(idempotencyKey.evaluate(vars)) : defaultKey();
            return own == null ? null : "trigger:" + workflow + "/" + trigger.id() + "/" + own;
        }

        private String defaultKey() {
            Message m = exchange.getMessage();
            if (trigger instanceof Trigger.Webhook) {
                // set by caravan-webhook once the delivery's signature holds
                return m.getHeader(WebhookConstants.DELIVERY, String.class);
            }
            if (trigger instanceof Trigger.Kafka k) {
                return k.group() + "/" + vars.get(Trigger.Kafka.TOPIC) + "/" + vars.get(Trigger.Kafka.PARTITION)
                       + "/" + vars.get(Trigger.Kafka.OFFSET);
            }
            if (trigger instanceof Trigger.Cdc) {
                // the change's place in the write-ahead log and the row it changed: the same change read again (a
                // restart before the offsets were flushed) has the same key
                Object source = plain(exchange, m.getHeader(DEBEZIUM_SOURCE));
                Object lsn = source instanceof Map<?, ?> s ? s.get("lsn") : null;
                return lsn == null ? null : lsn + "/" + vars.get(Trigger.Cdc.OPERATION) + "/"
                                                 + Json.write(plain(exchange, m.getHeader(DEBEZIUM_KEY)));
            }
            return trigger instanceof Trigger.Cron c ? fireSlot(c, firedAt(m)) : null;
        }
    }

    /**
     * A fire's slot: every member fires, and the fires of one time share the slot, so the cluster starts one run. A
     * cron fire is named by its scheduled time; an interval's by the interval it fell in.
     */
    private static String fireSlot(Trigger.Cron c, Instant firedAt) {
        if (c.every() == null) {
            return firedAt.toString();
        }
        long every = c.every().toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(firedAt.toEpochMilli(), every) * every).toString();
    }

    private static Instant firedAt(Message m) {
        Date scheduled = m.getHeader(QUARTZ_SCHEDULED, Date.class);
        if (scheduled == null) {
            scheduled = m.getHeader(TIMER_FIRED, Date.class);
        }
        return scheduled == null ? Instant.now() : scheduled.toInstant();
    }

    /** The body as plain JSON values: parsed when it is JSON text or bytes, a map when Camel can make one. */
    private static Object body(Exchange exchange) {
        Message m = exchange.getMessage();
        Object body = m.getBody();
        if (body == null) {
            return null;
        }
        if (!(body instanceof String) && !(body instanceof byte[]) && !(body instanceof Map)
            && !(body instanceof List)) {
            // a Debezium row (a Kafka Connect Struct) becomes a map; anything else is read as any start's body is
            Map<?, ?> row = exchange.getContext().getTypeConverter().tryConvertTo(Map.class, exchange, body);
            if (row != null) {
                return plain(exchange, row);
            }
        }
        return plain(exchange, RunEndpoint.plainInput(m));
    }

    /**
     * A value as JSON has them: maps, lists, text, numbers, booleans. A row (a Kafka Connect Struct) becomes a map by
     * Camel's Debezium converter, its columns converted the same way; a decimal column stays exact.
     */
    private static Object plain(Exchange exchange, Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Long
            || value instanceof Integer || value instanceof Double || value instanceof BigDecimal) {
            return value;
        }
        if (value instanceof Number n) {
            return n instanceof Float || n instanceof BigInteger ? new BigDecimal(n.toString()) : n.longValue();
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(String.valueOf(k), plain(exchange, v)));
            return out;
        }
        if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>(items.size());
            items.forEach(v -> out.add(plain(exchange, v)));
            return out;
        }
        if (value instanceof byte[] bytes) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        if (value instanceof Date date) {
            return date.toInstant().toString();
        }
        Map<?, ?> row = exchange.getContext().getTypeConverter().tryConvertTo(Map.class, exchange, value);
        return row != null ? plain(exchange, row) : String.valueOf(value);
    }

    /** Header values as text, names in lower case: HTTP's are case-insensitive, Kafka's values are bytes. */
    private static Map<String, Object> headers(Message m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.getHeaders().forEach((name, value) -> {
            String text = text(value);
            if (text != null && !name.startsWith("Camel")) {
                out.put(name.toLowerCase(Locale.ROOT), text);
            }
        });
        return out;
    }

    private static String text(Object value) {
        if (value instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return value instanceof String || value instanceof Number || value instanceof Boolean
                ? String.valueOf(value) : null;
    }
}
