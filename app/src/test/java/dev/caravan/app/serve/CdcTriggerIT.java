package dev.caravan.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.caravan.app.triggers.TriggerLags;
import dev.caravan.app.triggers.TriggerSupervisor;
import dev.caravan.compile.TriggerRoutes;
import dev.caravan.event.EventTypes;
import dev.caravan.event.RunEvent;
import dev.caravan.state.RunPage;
import dev.caravan.state.RunQuery;
import dev.caravan.state.RunRecord;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A cdc trigger on embedded PostgreSQL ({@code wal_level=logical}): inserts, updates and deletes start the runs the
 * trigger names, with the row as input; a change made while the server is down starts its run after the restart,
 * and nothing seen before starts again; the slot's lag is reported, and a trigger whose Debezium engine ended is
 * started again.
 */
class CdcTriggerIT {

    private static final String ORDERS = """
            apiVersion: caravan.dev/v1
            kind: Workflow
            metadata:
              name: orders
            spec:
              triggers:
                - cdc: { table: public.orders, operations: [c, u, d], input: { op: "${{ op }}", row: "${{ body }}" } }
              nodes:
                - id: seen
                  set: { op: "${{ input.op }}" }
            """;

    @TempDir
    Path dir;

    private CaravanServer start(EmbeddedPostgres pg, Path workflows) throws Exception {
        return start(pg, workflows, Map.of());
    }

    private CaravanServer start(EmbeddedPostgres pg, Path workflows, Map<String, String> more) throws Exception {
        Map<String, String> properties = new HashMap<>(Map.of("caravan.kafka.embedded.port", "0",
                "caravan.triggers.cdc.hostname", "127.0.0.1",
                "caravan.triggers.cdc.port", String.valueOf(pg.getPort()),
                "caravan.triggers.cdc.user", "postgres",
                "caravan.triggers.cdc.password", "postgres",
                "caravan.triggers.cdc.database", "postgres"));
        properties.putAll(more);
        return CaravanServer.start(new ServeOptions("127.0.0.1", ServerIT.freePort(), dir.resolve("data"),
                        List.of(workflows), properties, workflows),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    private static void sql(EmbeddedPostgres pg, String... statements) throws SQLException {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Debezium streams once its replication slot is active. */
    private static boolean slotActive(EmbeddedPostgres pg) throws SQLException {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = "
                                           + "'caravan_orders_cdc'")) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static List<String> changes(CaravanServer server) {
        List<String> out = new ArrayList<>();
        RunQuery query = new RunQuery(null, "orders", List.of(), RunQuery.MAX_LIMIT, null);
        RunPage page = server.engine().queries().page(query);
        for (RunRecord r : page.runs()) {
            Map<?, ?> input = (Map<?, ?>) r.input();
            out.add(input.get("op") + " " + ((Map<?, ?>) input.get("row")).get("id") + " "
                    + ((Map<?, ?>) input.get("row")).get("total"));
        }
        return out;
    }

    /** The orders trigger as {@code GET /api/v1/triggers} shows it. */
    private static JsonNode ordersTrigger(CaravanServer server) throws Exception {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                server.url() + "/api/v1/triggers")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode triggers = new ObjectMapper().readTree(answer.body()).get("triggers");
        assertThat(triggers).as(answer.body()).hasSize(1);
        assertThat(triggers.get(0).get("kind").asText()).isEqualTo("cdc");
        return triggers.get(0);
    }

    @Test
    void insertsUpdatesAndDeletesStartRunsWithTheRowAndARestartNeitherRepeatsNorMissesAChange() throws Exception {
        Path workflows = Files.createDirectories(dir.resolve("workflows"));
        Files.writeString(workflows.resolve("orders.caravan.yaml"), ORDERS);
        try (EmbeddedPostgres pg = ordersDatabase()) {
            try (CaravanServer server = start(pg, workflows)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> slotActive(pg));
                sql(pg, "INSERT INTO public.orders VALUES (1, 10)", "UPDATE public.orders SET total = 11 WHERE id = 1",
                        "DELETE FROM public.orders WHERE id = 1");
                await().atMost(Duration.ofSeconds(60)).until(() -> changes(server).size() == 3);
                assertThat(changes(server)).containsExactlyInAnyOrder("c 1 10", "u 1 11", "d 1 11");

                // the slot's lag is read from the database (a read is reused for a few seconds): a number of
                // bytes, with the slot read by Debezium
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode slotLag = ordersTrigger(server).get("slotLag");
                    assertThat(slotLag.get("slot").asText()).isEqualTo("caravan_orders_cdc");
                    assertThat(slotLag.get("bytes").isIntegralNumber()).as(slotLag.toString()).isTrue();
                    assertThat(slotLag.get("bytes").asLong()).isNotNegative();
                    assertThat(slotLag.get("active").asBoolean()).isTrue();
                    assertThat(slotLag.get("error").isNull()).isTrue();
                });
                System.out.printf("orders/cdc slot lag: %s%n", ordersTrigger(server).get("slotLag"));
                assertThat(ordersTrigger(server).get("lag").isNull()).isTrue();
            }
            // while the server is away
            sql(pg, "INSERT INTO public.orders VALUES (2, 20)");
            try (CaravanServer again = start(pg, workflows)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> changes(again).size() == 4);
                sql(pg, "INSERT INTO public.orders VALUES (3, 30)");
                await().atMost(Duration.ofSeconds(60)).until(() -> changes(again).size() == 5);
                assertThat(changes(again)).containsExactlyInAnyOrder("c 1 10", "u 1 11", "d 1 11", "c 2 20",
                        "c 3 30");
            }
        }
    }

    @Test
    void aCdcTriggerWhoseDebeziumEngineEndedIsStartedAgainAndMissesNoChange() throws Exception {
        Path workflows = Files.createDirectories(dir.resolve("workflows"));
        Files.writeString(workflows.resolve("orders.caravan.yaml"), ORDERS);
        try (EmbeddedPostgres pg = ordersDatabase()) {
            try (CaravanServer server = start(pg, workflows, Map.of(TriggerSupervisor.CDC_GRACE_MILLIS, "3000",
                    TriggerLags.CACHE_MILLIS, "200"))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> slotActive(pg));
                sql(pg, "INSERT INTO public.orders VALUES (1, 10)");
                await().atMost(Duration.ofSeconds(60)).until(() -> changes(server).size() == 1);

                List<RunEvent> seen = new CopyOnWriteArrayList<>();
                String runId = TriggerSupervisor.eventRunId(server.engine(), "orders", "cdc");
                try (AutoCloseable subscription = server.engine().events().subscribe(e -> {
                    if (e.runId().equals(runId)) {
                        seen.add(e);
                    }
                })) {
                    // Debezium's engine ends (as on an error it does not retry) while the route goes on as started
                    Route route = server.engine().camelContext().getRoute(TriggerRoutes.ROUTE_PREFIX + "orders-cdc");
                    Field engine = route.getConsumer().getClass().getDeclaredField("dbzEngine");
                    engine.setAccessible(true);
                    ((AutoCloseable) engine.get(route.getConsumer())).close();
                    await().atMost(Duration.ofSeconds(30)).until(() -> !slotActive(pg));
                    sql(pg, "INSERT INTO public.orders VALUES (2, 20)");

                    await().atMost(Duration.ofSeconds(60)).until(() -> seen.stream().anyMatch(e -> e.type().equals(
                            EventTypes.TRIGGER_RESTARTED)));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> changes(server).size() == 2);
                assertThat(changes(server)).containsExactlyInAnyOrder("c 1 10", "c 2 20");
                assertThat(seen).extracting(RunEvent::type).containsExactly(EventTypes.TRIGGER_FAILED,
                        EventTypes.TRIGGER_RESTARTED);
                assertThat(String.valueOf(((Map<?, ?>) seen.get(0).data()).get("reason")))
                        .contains("caravan_orders_cdc");
                assertThat(ordersTrigger(server).get("restarts").asLong()).isEqualTo(1);
                await().atMost(Duration.ofSeconds(30)).until(() -> slotActive(pg));
            }
        }
    }

    /** A PostgreSQL that logical decoding can read, with the table {@code public.orders} the workflow watches. */
    private static EmbeddedPostgres ordersDatabase() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "4")
                .setServerConfig("max_wal_senders", "4")
                .start();
        try {
            sql(pg, "CREATE TABLE public.orders (id INT PRIMARY KEY, total INT NOT NULL)",
                    "ALTER TABLE public.orders REPLICA IDENTITY FULL");
        } catch (SQLException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }
}
