package dev.caravan.dsl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads {@code spec.triggers}: a list of one-key mappings, the key naming the trigger's kind. */
final class TriggerReader {

    static final List<String> KINDS = List.of("webhook", "kafka", "cdc", "cron");
    private static final List<String> COMMON_KEYS = List.of("id", "filter", "input", "idempotencyKey");
    private static final List<String> WEBHOOK_KEYS = keys("path", "signature", "secret", "header", "tolerance");
    private static final List<String> KAFKA_KEYS = keys("topic", "group", "deadLetterTopic");
    private static final List<String> CDC_KEYS = keys("table", "operations");
    private static final List<String> CRON_KEYS = keys("schedule", "every");
    private static final List<String> SIGNATURES = List.of("github", "stripe", "hmac", "none");

    /** A trigger id: it names a route and the trigger's state, so a DNS label. */
    private static final Pattern ID = Workflow.NAME;
    /** A path under the server's root, outside what the server itself serves. */
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*");
    private static final List<String> RESERVED_PATHS = List.of("/api", "/observe", "/ui");
    /** What an environment variable or property name looks like: never a secret's value. */
    private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}");
    /** Kafka's own rule for topic names. */
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*");
    private static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private final String workflow;

    TriggerReader(String workflow) {
        this.workflow = workflow;
    }

    private static List<String> keys(String... own) {
        List<String> all = new ArrayList<>(List.of(own));
        all.addAll(COMMON_KEYS);
        return List.copyOf(all);
    }

    List<Trigger> read(YamlValue value) {
        if (!value.isPresent()) {
            return List.of();
        }
        if (!value.isList()) {
            value.error("expected spec.triggers to be a list of triggers (webhook, kafka, cdc, cron), found "
                        + value.describe());
            return List.of();
        }
        List<Trigger> out = new ArrayList<>();
        Map<String, Integer> perKind = new HashMap<>();
        Map<String, YamlValue> ids = new HashMap<>();
        Set<String> paths = new HashSet<>();
        int index = 0;
        for (YamlValue item : value.items()) {
            index++;
            YamlValue named = item.named("trigger " + index);
            Fields f = named.fields(KINDS);
            if (f == null) {
                continue;
            }
            List<String> present = KINDS.stream().filter(f::has).toList();
            if (present.size() != 1) {
                named.error("expected trigger " + index + " to have exactly one of " + String.join(", ", KINDS)
                            + ", found " + (present.isEmpty() ? "none" : String.join(", ", present)));
                continue;
            }
            String kind = present.get(0);
            int ofKind = perKind.merge(kind, 1, Integer::sum);
            Trigger t = read(kind, f.get(kind).named(kind + " trigger " + index), ofKind == 1 ? kind
                    : kind + "-" + ofKind);
            if (t == null) {
                continue;
            }
            YamlValue earlier = ids.putIfAbsent(t.id(), named);
            if (earlier != null) {
                named.error("trigger id '" + t.id() + "' is used twice (first at " + earlier.position().line()
                            + ":" + earlier.position().column() + "); give one an id of its own");
                continue;
            }
            if (t instanceof Trigger.Webhook w && w.path() != null && !paths.add(w.path())) {
                named.error("webhook path " + w.path() + " is served twice in spec.triggers");
                continue;
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    private Trigger read(String kind, YamlValue value, String defaultId) {
        List<String> allowed = switch (kind) {
            case "webhook" -> WEBHOOK_KEYS;
            case "kafka" -> KAFKA_KEYS;
            case "cdc" -> CDC_KEYS;
            default -> CRON_KEYS;
        };
        Fields f = value.fields(allowed);
        if (f == null) {
            if (!value.isPresent()) {
                value.error("expected " + value.what() + " to be a mapping with keys " + String.join(", ", allowed)
                            + ", found nothing");
            }
            return null;
        }
        String id = defaultId;
        if (f.has("id")) {
            YamlValue idValue = f.get("id");
            id = idValue.string();
            if (id != null && !ID.matcher(id).matches()) {
                idValue.error("expected " + idValue.what() + " to be a DNS label (lowercase letters, digits and '-'), "
                              + "found '" + id + "'");
            }
        }
        Scope scope = new Scope(Trigger.variables(kind), new Scope.AllOf(Set.of()), null, Set.of(), Set.of());
        String filter = f.has("filter") ? f.get("filter").in(scope).condition() : null;
        Object input = f.has("input") ? f.get("input").in(scope).template() : null;
        String idempotencyKey = f.has("idempotencyKey") ? f.get("idempotencyKey").in(scope).stringTemplate() : null;
        Position at = value.position();
        return switch (kind) {
            case "webhook" -> webhook(f, id, filter, input, idempotencyKey, at);
            case "kafka" -> kafka(f, id, filter, input, idempotencyKey, at);
            case "cdc" -> cdc(f, id, filter, input, idempotencyKey, at);
            default -> cron(f, value, id, filter, input, idempotencyKey, at);
        };
    }

    private static Trigger webhook(Fields f, String id, String filter, Object input, String idempotencyKey,
            Position at) {
        YamlValue pathValue = f.required("path");
        String path = pathValue.string();
        if (path != null) {
            if (!PATH.matcher(path).matches()) {
                pathValue.error("expected " + pathValue.what() + " to be a path such as /hooks/issues (segments of "
                                + "letters, digits, '.', '_', '~' and '-'), found '" + path + "'");
            } else if (RESERVED_PATHS.stream().anyMatch(r -> path.equals(r) || path.startsWith(r + "/"))) {
                pathValue.error("expected " + pathValue.what() + " outside " + String.join(", ", RESERVED_PATHS)
                                + " (the server's own), found '" + path + "'");
            }
        }
        YamlValue signatureValue = f.required("signature");
        String signatureName = signatureValue.oneOf(SIGNATURES);
        Trigger.Signature signature = signatureName == null ? null : Trigger.Signature.valueOf(signatureName);
        String secret = null;
        if (signature != null && signature != Trigger.Signature.none) {
            YamlValue secretValue = f.required("secret");
            secret = secretValue.string();
            if (secret != null && !SECRET_NAME.matcher(secret).matches()) {
                // a value here would be a secret in a file: only its name belongs in the workflow
                secretValue.error("expected " + secretValue.what() + " to name the environment variable or "
                                  + "property that holds the secret (such as GITHUB_WEBHOOK_SECRET), never the "
                                  + "secret itself");
                secret = null;
            }
        } else if (signature == Trigger.Signature.none && f.has("secret")) {
            f.get("secret").error("a webhook with signature none has no secret; remove it or name a signature");
        }
        String header = null;
        if (signature == Trigger.Signature.hmac) {
            YamlValue headerValue = f.required("header");
            header = headerValue.string();
            if (header != null && !HEADER.matcher(header).matches()) {
                headerValue.error("expected " + headerValue.what() + " to be an HTTP header name, found '" + header
                                  + "'");
            }
        } else if (f.has("header")) {
            f.get("header").error("header names where an hmac signature is; github and stripe have their own");
        }
        Duration tolerance = null;
        if (signature == Trigger.Signature.stripe) {
            tolerance = f.has("tolerance") ? f.get("tolerance").duration(true) : DEFAULT_TOLERANCE;
        } else if (f.has("tolerance")) {
            f.get("tolerance").error("tolerance applies to stripe signatures only");
        }
        return new Trigger.Webhook(id, path, signature, secret, header, tolerance, filter, input, idempotencyKey, at);
    }

    private Trigger kafka(Fields f, String id, String filter, Object input, String idempotencyKey, Position at) {
        String topic = topic(f.required("topic"));
        String group = f.has("group") ? f.get("group").string() : "caravan-" + workflow + "-" + id;
        String deadLetters = f.has("deadLetterTopic") ? topic(f.get("deadLetterTopic"))
                : topic == null ? null : topic + ".dlq";
        if (topic != null && topic.equals(deadLetters)) {
            f.get("deadLetterTopic").error("the dead-letter topic must not be the topic the trigger reads");
        }
        return new Trigger.Kafka(id, topic, group, deadLetters, filter, input, idempotencyKey, at);
    }

    private static String topic(YamlValue value) {
        String topic = value.string();
        if (topic != null && !TOPIC.matcher(topic).matches()) {
            value.error("expected " + value.what() + " to be a Kafka topic name (letters, digits, '.', '_', '-'), "
                        + "found '" + topic + "'");
            return null;
        }
        return topic;
    }

    private static Trigger cdc(Fields f, String id, String filter, Object input, String idempotencyKey, Position at) {
        YamlValue tableValue = f.required("table");
        String table = tableValue.string();
        if (table != null && !TABLE.matcher(table).matches()) {
            tableValue.error("expected " + tableValue.what() + " to be schema.table such as public.orders, found '"
                             + table + "'");
        }
        List<String> operations = Trigger.Cdc.OPERATIONS;
        if (f.has("operations")) {
            YamlValue opsValue = f.get("operations");
            List<String> ops = opsValue.stringOrList();
            if (ops != null) {
                for (String op : ops) {
                    if (!Trigger.Cdc.OPERATIONS.contains(op)) {
                        opsValue.error("expected " + opsValue.what() + " to list operations among c (insert), "
                                       + "u (update) and d (delete), found '" + op + "'");
                    }
                }
                if (ops.isEmpty()) {
                    opsValue.error("expected " + opsValue.what() + " to list at least one operation");
                }
                operations = List.copyOf(new LinkedHashSet<>(ops));
            }
        }
        return new Trigger.Cdc(id, table, operations, filter, input, idempotencyKey, at);
    }

    private static Trigger cron(Fields f, YamlValue value, String id, String filter, Object input,
            String idempotencyKey, Position at) {
        String schedule = null;
        Duration every = null;
        if (f.has("schedule") == f.has("every")) {
            value.error("expected " + value.what() + " to have either schedule (a Quartz cron expression) or every "
                        + "(an interval such as 5m), " + (f.has("every") ? "found both" : "found neither"));
        } else if (f.has("schedule")) {
            YamlValue s = f.get("schedule");
            schedule = s.string();
            if (schedule != null) {
                int fields = schedule.trim().split("\\s+").length;
                if (fields < 6 || fields > 7) {
                    s.error("expected " + s.what() + " to be a Quartz cron expression of 6 or 7 fields (seconds "
                            + "minutes hours day-of-month month day-of-week [year]) such as \"0 0/5 * * * ?\", found "
                            + fields + " fields");
                }
            }
        } else {
            YamlValue e = f.get("every");
            every = e.duration(true);
            if (every != null && every.toMillis() < 1_000) {
                e.error("expected " + e.what() + " to be at least 1s, found '" + e.text() + "'");
            }
        }
        return new Trigger.Cron(id, schedule, every, filter, input, idempotencyKey, at);
    }
}
