package dev.caravan.dsl;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TriggersTest {

    /** Seven lines; the triggers given to {@link #problems} start on line 8. */
    private static final String HEAD = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: t
            spec:
              nodes: [{ id: a, set: { x: 1 } }]
              triggers:
            """;

    private final WorkflowLoader loader = new WorkflowLoader();

    private List<String> problems(String triggers) {
        return loader.validate("t.yaml", HEAD + triggers).stream().map(Problem::toString).toList();
    }

    @Test
    void loadsEveryKindOfTriggerWithItsDefaults() {
        Workflow wf = loader.load(WorkflowLoaderTest.resource("triggers.caravan.yaml"));

        assertThat(wf.triggers()).extracting(Trigger::id)
                .containsExactly("webhook", "payments", "kafka", "cdc", "cron", "cron-2");
        Trigger.Webhook github = (Trigger.Webhook) wf.triggers().get(0);
        assertThat(github.path()).isEqualTo("/hooks/issues");
        assertThat(github.signature()).isEqualTo(Trigger.Signature.github);
        assertThat(github.secret()).isEqualTo("GITHUB_WEBHOOK_SECRET");
        assertThat(github.filter()).isEqualTo("${{ body.action == \"opened\" }}");
        assertThat(github.input()).isEqualTo(Map.of("title", "${{ body.issue.title }}"));
        assertThat(github.tolerance()).isNull();
        assertThat(((Trigger.Webhook) wf.triggers().get(1)).tolerance()).isEqualTo(Duration.ofMinutes(2));
        Trigger.Kafka kafka = (Trigger.Kafka) wf.triggers().get(2);
        assertThat(kafka.group()).isEqualTo("triage");
        assertThat(kafka.deadLetterTopic()).isEqualTo("tickets.dlq");
        Trigger.Cdc cdc = (Trigger.Cdc) wf.triggers().get(3);
        assertThat(cdc.table()).isEqualTo("public.orders");
        assertThat(cdc.operations()).containsExactly("c", "u");
        assertThat(((Trigger.Cron) wf.triggers().get(4)).schedule()).isEqualTo("0 0/5 * * * ?");
        Trigger.Cron every = (Trigger.Cron) wf.triggers().get(5);
        assertThat(every.every()).isEqualTo(Duration.ofMinutes(10));
        assertThat(every.idempotencyKey()).isEqualTo("${{ firedAt }}");
    }

    @Test
    void aWorkflowWithoutTriggersHasNone() {
        assertThat(loader.load(WorkflowLoaderTest.resource("support-triage.caravan.yaml")).triggers()).isEmpty();
    }

    @Test
    void refusesASecretValueWhereItsNameBelongs() {
        assertThat(problems("""
                    - webhook: { path: /hooks/a, signature: github, secret: "It's a Secret to Everybody" }
                """)).containsExactly("t.yaml:8:61: expected webhook trigger 1.secret to name the environment "
                                      + "variable or property that holds the secret (such as GITHUB_WEBHOOK_SECRET), "
                                      + "never the secret itself");
    }

    @Test
    void requiresASignatureAndItsSecretUnlessNoneIsSaid() {
        assertThat(problems("""
                    - webhook: { path: /hooks/a }
                    - webhook: { path: /hooks/b, signature: github }
                    - webhook: { path: /hooks/c, signature: sha1, secret: S }
                    - webhook: { path: /hooks/d, signature: none }
                """)).containsExactly(
                "t.yaml:8:16: missing required key 'signature' in webhook trigger 1",
                "t.yaml:9:16: missing required key 'secret' in webhook trigger 2",
                "t.yaml:10:45: expected webhook trigger 3.signature to be one of github, stripe, hmac, none, found "
                + "the string 'sha1'");
    }

    @Test
    void checksEachSignaturesOwnKeys() {
        assertThat(problems("""
                    - webhook: { path: /hooks/a, signature: hmac, secret: S }
                    - webhook: { path: /hooks/b, signature: github, secret: S, header: X-Sig, tolerance: 1m }
                    - webhook: { path: /hooks/c, signature: none, secret: S }
                """)).containsExactly(
                "t.yaml:8:16: missing required key 'header' in webhook trigger 1",
                "t.yaml:9:72: header names where an hmac signature is; github and stripe have their own",
                "t.yaml:9:90: tolerance applies to stripe signatures only",
                "t.yaml:10:59: a webhook with signature none has no secret; remove it or name a signature");
    }

    @Test
    void keepsWebhookPathsOutOfTheServersOwnAndServesEachOnce() {
        assertThat(problems("""
                    - webhook: { path: /api/v1/hook, signature: none }
                    - webhook: { path: hooks, signature: none }
                    - webhook: { path: /hooks/x, signature: none }
                    - webhook: { id: again, path: /hooks/x, signature: none }
                """)).containsExactly(
                "t.yaml:8:24: expected webhook trigger 1.path outside /api, /observe, /ui (the server's own), found "
                + "'/api/v1/hook'",
                "t.yaml:9:24: expected webhook trigger 2.path to be a path such as /hooks/issues (segments of letters, "
                + "digits, '.', '_', '~' and '-'), found 'hooks'",
                "t.yaml:11:7: webhook path /hooks/x is served twice in spec.triggers");
    }

    @Test
    void namesEachTriggerOnce() {
        assertThat(problems("""
                    - kafka: { topic: a }
                    - kafka: { id: kafka, topic: b }
                    - cron: { id: Nightly, every: 1h }
                """)).containsExactly(
                "t.yaml:9:7: trigger id 'kafka' is used twice (first at 8:7); give one an id of its own",
                "t.yaml:10:19: expected cron trigger 3.id to be a DNS label (lowercase letters, digits and '-'), found "
                + "'Nightly'");
    }

    @Test
    void checksTopicsTablesOperationsAndSchedules() {
        assertThat(problems("""
                    - kafka: { topic: "bad topic", deadLetterTopic: x }
                    - kafka: { topic: same, deadLetterTopic: same }
                    - cdc: { table: orders, operations: [c, x] }
                    - cron: { schedule: "*/5 * * * *" }
                    - cron: { schedule: "0 * * * * ?", every: 5m }
                    - cron: { every: 10ms }
                """)).containsExactly(
                "t.yaml:8:23: expected kafka trigger 1.topic to be a Kafka topic name (letters, digits, '.', '_', "
                + "'-'), found 'bad topic'",
                "t.yaml:9:46: the dead-letter topic must not be the topic the trigger reads",
                "t.yaml:10:21: expected cdc trigger 3.table to be schema.table such as public.orders, found 'orders'",
                "t.yaml:10:41: expected cdc trigger 3.operations to list operations among c (insert), u (update) and "
                + "d (delete), found 'x'",
                "t.yaml:11:25: expected cron trigger 4.schedule to be a Quartz cron expression of 6 or 7 fields "
                + "(seconds minutes hours day-of-month month day-of-week [year]) such as \"0 0/5 * * * ?\", found 5 "
                + "fields",
                "t.yaml:12:13: expected cron trigger 5 to have either schedule (a Quartz cron expression) or every (an "
                + "interval such as 5m), found both",
                "t.yaml:13:22: expected cron trigger 6.every to be at least 1s, found '10ms'");
    }

    @Test
    void expressionsSeeTheEventNotTheRun() {
        List<String> found = problems("""
                    - kafka: { topic: t, filter: "${{ key != '' && input.x > 1 }}" }
                    - cdc: { table: public.t, input: { id: "${{ after.id }}", n: "${{ nodes.a.output }}" } }
                """);
        assertThat(found).hasSize(2);
        assertThat(found.get(0)).startsWith("t.yaml:8:").contains("input");
        assertThat(found.get(1)).startsWith("t.yaml:9:").contains("nodes");
    }

    @Test
    void expectsAListOfOneKindEach() {
        assertThat(problems("""
                    - { kafka: { topic: a }, cron: { every: 1m } }
                    - {}
                    - ftp: { host: x }
                """)).containsExactly(
                "t.yaml:8:7: expected trigger 1 to have exactly one of webhook, kafka, cdc, cron, found kafka, cron",
                "t.yaml:9:7: expected trigger 2 to have exactly one of webhook, kafka, cdc, cron, found none",
                "t.yaml:10:7: unknown key 'ftp' in trigger 3; expected one of: webhook, kafka, cdc, cron",
                "t.yaml:10:7: expected trigger 3 to have exactly one of webhook, kafka, cdc, cron, found none");
    }
}
