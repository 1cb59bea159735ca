package dev.caravan.compile;

import dev.caravan.component.run.RunConstants;
import dev.caravan.component.webhook.WebhookException;
import dev.caravan.dsl.Trigger;
import dev.caravan.dsl.Workflow;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiles a workflow's {@code spec.triggers} into Camel YAML DSL routes, one per trigger: a consumer of the outside
 * world (platform-http, kafka, debezium-postgres, quartz or timer) whose last step is
 * {@code caravan-run:start?workflow=W&trigger=ID}. The run producer reads the trigger's filter, input mapping and
 * idempotency key from the deployed workflow by that id: expressions never travel in a URI. Connection settings
 * (Kafka's bootstrap servers, the database) are property placeholders the server resolves, so the routes run
 * unchanged wherever those properties are set.
 */
public final class TriggerRoutes {

    /** Trigger route ids start with this: {@code caravan-trigger-<workflow>-<trigger id>}. */
    public static final String ROUTE_PREFIX = "caravan-trigger-";
    /** Where a CDC trigger keeps its Debezium offsets: under the server's data directory, never /tmp. */
    public static final String CDC_OFFSETS_PROPERTY = "caravan.triggers.cdc.offsets-dir";

    /** The connection settings of cdc triggers: properties of the server, never part of a workflow file. */
    public static final String CDC_HOSTNAME = "caravan.triggers.cdc.hostname";
    public static final String CDC_PORT = "caravan.triggers.cdc.port";
    public static final String CDC_USER = "caravan.triggers.cdc.user";
    public static final String CDC_PASSWORD = "caravan.triggers.cdc.password";
    public static final String CDC_DATABASE = "caravan.triggers.cdc.database";

    /** The properties the workflow's trigger routes need set (the port has a default). */
    public List<String> requiredProperties(Workflow wf) {
        return wf.triggers().stream().anyMatch(Trigger.Cdc.class::isInstance)
                ? List.of(CDC_HOSTNAME, CDC_USER, CDC_PASSWORD, CDC_DATABASE, CDC_OFFSETS_PROPERTY) : List.of();
    }

    /** The header a dead-lettered record carries its reason in (not Camel*: Kafka's header filter would drop it). */
    public static final String DEAD_LETTER_REASON = "CaravanDeadLetterReason";

    /** The id of a trigger's route. */
    public static String routeId(Workflow wf, Trigger t) {
        return ROUTE_PREFIX + wf.name() + "-" + t.id();
    }

    /** The replication slot (and publication) a cdc trigger reads through: {@code caravan_<workflow>_<id>}. */
    public static String slotName(Workflow wf, Trigger.Cdc c) {
        return ("caravan_" + wf.name() + "_" + c.id()).replace('-', '_');
    }

    /** The ids of the routes {@link #routes} makes. */
    public List<String> routeIds(Workflow wf) {
        return wf.triggers().stream().map(t -> routeId(wf, t)).toList();
    }

    /** The workflow's trigger routes in the Camel YAML DSL, or null when it declares none. */
    public String compile(Workflow wf) {
        if (wf.triggers().isEmpty()) {
            return null;
        }
        return "# Triggers of workflow " + wf.name() + " (" + Workflow.shortHash(wf.hash()) + "): each route starts "
               + "runs through caravan-run:start,\n# which reads the trigger's filter, input and idempotency key from "
               + "the deployed workflow.\n" + RouteCompiler.yaml(routes(wf));
    }

    /** The routes, as the maps the YAML DSL reads (with what a webhook's refusals answer, before them). */
    List<Object> routes(Workflow wf) {
        List<Object> routes = new ArrayList<>();
        if (wf.triggers().stream().anyMatch(t -> t instanceof Trigger.Webhook w
                                                 && w.signature() != Trigger.Signature.none)) {
            routes.add(webhookRefusals());
        }
        for (Trigger t : wf.triggers()) {
            routes.add(route(wf, t));
        }
        return routes;
    }

    private static Map<String, Object> route(Workflow wf, Trigger t) {
        List<Object> steps = new ArrayList<>();
        // headers the engine trusts are never read from outside callers (Camel's HTTP and Kafka header filters drop
        // Camel* headers too; this holds for any consumer)
        steps.add(Map.of("removeHeaders", Map.of("pattern", "CamelCaravan*")));
        Map<String, Object> from = from(wf, t, steps);
        Map<String, Object> start = Map.of("to", endpoint("caravan-run:start", params("workflow", wf.name(),
                "trigger", t.id())));
        if (t instanceof Trigger.Kafka k) {
            steps.add(deadLettered(start, k));
        } else {
            steps.add(start);
        }
        if (t instanceof Trigger.Webhook) {
            // nothing of the request goes back (its signature, its delivery id): only the outcome
            steps.add(Map.of("removeHeaders", params("pattern", "*", "excludePattern",
                    RunConstants.RUN_ID + "|" + RunConstants.SKIPPED)));
            steps.add(Map.of("setHeader", params("name", Exchange.CONTENT_TYPE, "constant", "application/json")));
            steps.add(webhookReply());
        }
        from.put("steps", steps);
        Map<String, Object> route = new LinkedHashMap<>();
        route.put("id", routeId(wf, t));
        route.put("from", from);
        return Map.of("route", route);
    }

    /**
     * A record that cannot start a run (not JSON where the workflow wants an object, an input its schema refuses, a
     * filter that fails) goes to the dead-letter topic with the reason in a header, and the consumer goes on; if even
     * that fails, the consumer stops at the record ({@code breakOnFirstError}) and reads it again.
     */
    private static Map<String, Object> deadLettered(Map<String, Object> start, Trigger.Kafka k) {
        Map<String, Object> doCatch = new LinkedHashMap<>();
        doCatch.put("exception", List.of("java.lang.Exception"));
        doCatch.put("steps", List.of(
                Map.of("setHeader", params("name", DEAD_LETTER_REASON, "simple", "${exception.message}")),
                Map.of("to", endpoint("kafka:" + k.deadLetterTopic(), params()))));
        Map<String, Object> doTry = new LinkedHashMap<>();
        doTry.put("steps", List.of(start));
        doTry.put("doCatch", List.of(doCatch));
        return Map.of("doTry", doTry);
    }

    /**
     * A delivery the signature check refuses gets 401 (or 409 for a replay still being handled) with nothing that says
     * why: the exception carries the answer, never the reason. Applies to the routes of this file only.
     */
    private static Map<String, Object> webhookRefusals() {
        Map<String, Object> onException = new LinkedHashMap<>();
        onException.put("exception", List.of(WebhookException.class.getName()));
        onException.put("handled", Map.of("constant", "true"));
        onException.put("steps", List.of(
                Map.of("removeHeaders", params("pattern", "*")),
                Map.of("setHeader", params("name", Exchange.HTTP_RESPONSE_CODE, "simple", "${exception.statusCode}")),
                Map.of("setHeader", params("name", Exchange.CONTENT_TYPE, "simple", "${exception.contentType}")),
                Map.of("setBody", Map.of("simple", "${exception.responseBody}"))));
        return Map.of("onException", onException);
    }

    /**
     * 202 with the run id (a delivery sent again gets the id of the run its first delivery started), or 200 saying
     * the filter skipped it: either way the sender is done with it.
     */
    private static Map<String, Object> webhookReply() {
        Map<String, Object> skipped = new LinkedHashMap<>();
        skipped.put("simple", "${header." + RunConstants.SKIPPED + "} == true");
        skipped.put("steps", List.of(
                Map.of("setHeader", params("name", Exchange.HTTP_RESPONSE_CODE, "constant", "200")),
                Map.of("setBody", Map.of("constant", "{\"skipped\": true}"))));
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("when", List.of(skipped));
        choice.put("otherwise", Map.of("steps", List.of(
                Map.of("setHeader", params("name", Exchange.HTTP_RESPONSE_CODE, "constant", "202")),
                Map.of("setBody", Map.of("simple", "{\"runId\": \"${header." + RunConstants.RUN_ID + "}\"}")))));
        return Map.of("choice", choice);
    }

    /** The trigger's consumer, and the steps that come before the run starts (a webhook's signature check). */
    private static Map<String, Object> from(Workflow wf, Trigger t, List<Object> steps) {
        if (t instanceof Trigger.Webhook w) {
            return webhook(w, steps);
        }
        if (t instanceof Trigger.Kafka k) {
            // the brokers are the component's (camel.component.kafka.brokers). Offsets are committed by the
            // consumer's next poll, after the records of this one were handled on its thread: the run exists (or
            // the record is in the dead-letter topic) before the group moves past it
            return endpoint("kafka:" + k.topic(), params("groupId", k.group(), "autoOffsetReset", "earliest",
                    "breakOnFirstError", true));
        }
        if (t instanceof Trigger.Cdc c) {
            String slot = slotName(wf, c);
            return endpoint("debezium-postgres:" + wf.name() + "-" + c.id(), params(
                    "databaseHostname", "{{" + CDC_HOSTNAME + "}}",
                    "databasePort", "{{" + CDC_PORT + ":5432}}",
                    "databaseUser", "{{" + CDC_USER + "}}",
                    "databasePassword", "{{" + CDC_PASSWORD + "}}",
                    "databaseDbname", "{{" + CDC_DATABASE + "}}",
                    "topicPrefix", "caravan",
                    "pluginName", "pgoutput",
                    "slotName", slot,
                    "publicationName", slot,
                    "tableIncludeList", c.table(),
                    "offsetStorageFileName", "{{" + CDC_OFFSETS_PROPERTY + "}}/" + wf.name() + "-" + c.id()
                                             + ".offsets",
                    // changes from when the trigger first starts, not a run per row already there
                    "snapshotMode", "no_data",
                    // Debezium's engine on Kafka Connect 4 asks for it; the file offset store never connects
                    "additionalProperties.bootstrap.servers", "127.0.0.1:9"));
        }
        Trigger.Cron c = (Trigger.Cron) t;
        return c.schedule() != null
                ? endpoint("quartz:caravan/" + wf.name() + "-" + c.id(), params("cron", c.schedule()))
                : endpoint("timer:" + routeId(wf, c), params("period", c.every().toMillis()));
    }

    private static Map<String, Object> webhook(Trigger.Webhook w, List<Object> steps) {
        if (w.signature() != Trigger.Signature.none) {
            Map<String, Object> verify = params("secret", w.secret());
            if (w.header() != null) {
                verify.put("header", w.header());
            }
            if (w.tolerance() != null) {
                verify.put("tolerance", w.tolerance().toSeconds() + "s");
            }
            steps.add(Map.of("to", endpoint("caravan-webhook:" + w.signature().name(), verify)));
        }
        return endpoint("platform-http:" + w.path(), params("httpMethodRestrict", "POST"));
    }

    private static Map<String, Object> endpoint(String uri, Map<String, Object> parameters) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("uri", uri);
        out.put("parameters", parameters);
        return out;
    }

    private static Map<String, Object> params(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return out;
    }
}
