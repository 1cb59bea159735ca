package dev.caravan.app.serve;

import dev.caravan.run.Engine;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /api/v1/workflows/{runId}/events} asked for {@code text/event-stream}: a run's events as Server-Sent
 * Events ({@link RunEventStream}), authenticated and refused as the API's other operations are. A Vert.x route on the
 * platform-http router, ahead of the API's route for the same path: a Camel exchange answers once, a stream answers
 * for as long as the run goes on. Any other request of the path goes on to the API's route (the JSON page).
 */
final class EventStreams {

    static final String EVENT_STREAM = "text/event-stream";
    private static final String LAST_EVENT_ID = "Last-Event-ID";

    private final Engine engine;
    private final ApiKeys keys;
    private final RunEventsApi api;
    private final Duration poll;
    private final Duration heartbeat;

    private EventStreams(Engine engine, ApiKeys keys, Duration poll, Duration heartbeat) {
        this.engine = engine;
        this.keys = keys;
        this.api = new RunEventsApi(() -> engine);
        this.poll = poll;
        this.heartbeat = heartbeat;
    }

    /**
     * Adds the route to the router of the platform-http server on {@code port}.
     *
     * @param poll      how often a stream reads the run's events from the store, for those this member's event bus
     *                  does not see (a run executing on another member)
     * @param heartbeat how often a stream sends a comment, so proxies and clients see it alive while the run waits
     */
    static void install(CamelContext camel, int port, Engine engine, ApiKeys keys, Duration poll,
            Duration heartbeat) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camel,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            throw new IllegalStateException("the platform-http server on port " + port + " has no router");
        }
        EventStreams streams = new EventStreams(engine, keys, poll, heartbeat);
        // order: before the API's route of the same path, which the server added when Camel started
        router.route(HttpMethod.GET, RunEventsApi.path(":runId")).order(-1).handler(streams::handle);
    }

    private void handle(RoutingContext ctx) {
        if (!asksForEventStream(ctx.request().getHeader(HttpHeaders.ACCEPT))) {
            ctx.next();
            return;
        }
        String runId = ctx.pathParam("runId");
        String tenant;
        long after;
        try {
            tenant = ApiRoutes.tenant(keys, ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
            after = resumeAfter(ctx);
        } catch (ApiException e) {
            HttpErrorPages.send(ctx, e);
            return;
        }
        // the run's record is read off the event loop: a member may have to ask another, or the database
        ctx.vertx().executeBlocking(() -> api.owned(tenant, runId), false).onComplete(owned -> {
            if (owned.failed()) {
                HttpErrorPages.send(ctx, ApiRoutes.problem(owned.cause()));
            } else if (!ctx.response().closed()) {
                new RunEventStream(ctx.vertx(), ctx.response(), engine.store(), engine.values(),
                        listener -> engine.events().subscribe(runId, listener), runId, after, poll, heartbeat)
                        .start();
            }
        });
    }

    /**
     * Where the stream starts: after the {@code Last-Event-ID} a reconnecting client sends (the last sequence number
     * it got), else after the query's {@code after}, else at the first event.
     */
    private static long resumeAfter(RoutingContext ctx) {
        String lastEventId = ctx.request().getHeader(LAST_EVENT_ID);
        if (lastEventId != null) {
            return RunEventsApi.sequence(lastEventId, LAST_EVENT_ID);
        }
        Map<String, String> query = ApiRoutes.query(ctx.request().query());
        return RunEventsApi.sequence(query.get("after"), "after");
    }

    /** Whether an {@code Accept} header lists {@code text/event-stream} (what an EventSource sends). */
    static boolean asksForEventStream(String accept) {
        if (accept == null) {
            return false;
        }
        for (String range : accept.split(",")) {
            if (range.split(";", 2)[0].strip().toLowerCase(Locale.ROOT).equals(EVENT_STREAM)) {
                return true;
            }
        }
        return false;
    }
}
