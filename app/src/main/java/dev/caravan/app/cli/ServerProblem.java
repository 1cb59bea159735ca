package dev.caravan.app.cli;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A refusal the server answered with (an {@code application/problem+json} document), as the CLI reports it:
 * {@code <title>: <detail> (<code>)}, exiting with {@link ExitCodes#USAGE} for what the request got wrong (4xx) and
 * {@link ExitCodes#FAILED} for a fault of the server (5xx).
 */
record ServerProblem(int status, String title, String detail, String code, JsonNode body) {

    static ServerProblem of(int status, JsonNode body) {
        String title = text(body, "title", "HTTP " + status);
        return new ServerProblem(status, title, text(body, "detail", ""), text(body, "code", "HTTP_" + status), body);
    }

    String message() {
        return title + (detail.isEmpty() ? "" : ": " + detail) + " (" + code + ")";
    }

    int exitCode() {
        return status >= 500 ? ExitCodes.FAILED : ExitCodes.USAGE;
    }

    UserException exception() {
        return new UserException(exitCode(), message());
    }

    private static String text(JsonNode body, String member, String otherwise) {
        JsonNode n = body == null ? null : body.get(member);
        return n == null || n.isNull() ? otherwise : n.asText();
    }
}
