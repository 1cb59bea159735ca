package dev.caravan.app.serve;

import dev.caravan.json.Json;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.regex.Pattern;

/**
 * The HTTP server's own refusals under {@code /api/}, as {@code application/problem+json} like the API's: a body over
 * the cap (refused by Vert.x while it reads it, before any route sees it), no such path, a method a path does not take.
 * They are a failure handler and a last route on the platform-http router: Vert.x uses only the root router's error
 * pages, which Camel keeps to itself, so the API's paths get their own.
 */
final class HttpErrorPages {

    private static final Logger LOG = LoggerFactory.getLogger(HttpErrorPages.class);

    private static final String API_PATHS = "/api/*";

    private HttpErrorPages() {
    }

    /**
     * Adds the handlers to the router of the platform-http server on {@code port}.
     *
     * @param knownPaths the API's paths, whatever the method ({@link ApiRoutes#knownPaths}): a request on one of them
     *                   that no route took is 405, on any other 404
     */
    static void install(CamelContext camel, int port, long maxBodyBytes, Pattern knownPaths) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camel,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            throw new IllegalStateException("the platform-http server on port " + port + " has no router");
        }
        router.route(API_PATHS).failureHandler(ctx -> {
            if (ctx.statusCode() == 413) {
                send(ctx, ApiRoutes.tooLarge(maxBodyBytes));
            } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
                send(ctx, new ApiException(ctx.statusCode(), "REQUEST_INVALID", "Invalid request",
                        "the server cannot read this request"));
            } else {
                LOG.warn("Unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), ctx.failure());
                send(ctx, new ApiException(500, "INTERNAL", "Internal error",
                        "the server failed to answer; its log says why"));
            }
        });
        router.route(API_PATHS).last().handler(ctx -> {
            if (knownPaths.matcher(ctx.request().path()).matches()) {
                send(ctx, new ApiException(405, "METHOD_NOT_ALLOWED", "Method not allowed",
                        ctx.request().method() + " is not allowed on " + ctx.request().path()));
            } else {
                send(ctx, new ApiException(404, "NOT_FOUND", "Not found", "no resource at " + ctx.request().path()));
            }
        });
    }

    /** Answers with the problem, unless an answer was sent or the client went away. */
    static void send(RoutingContext ctx, ApiException problem) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response()
                .setStatusCode(problem.status())
                .putHeader(HttpHeaders.CONTENT_TYPE, ApiRoutes.PROBLEM_JSON)
                .end(Json.write(ApiRoutes.problemBody(problem)));
    }
}
