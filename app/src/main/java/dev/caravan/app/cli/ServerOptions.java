package dev.caravan.app.cli;

import picocli.CommandLine.Option;

/** The options every command that talks to a running {@code caravan serve} shares. */
public final class ServerOptions {

    /** Where a server started with {@code caravan serve} and no options listens. */
    public static final String DEFAULT_SERVER = "http://localhost:8080";

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:CARAVAN_SERVER:-" + DEFAULT_SERVER + "}",
            description = "The server's base URL (env CARAVAN_SERVER). Default: " + DEFAULT_SERVER + ".")
    String server;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:CARAVAN_API_KEY}",
            description = "The API key, sent as 'Authorization: Bearer KEY' (env CARAVAN_API_KEY, better than the "
                    + "command line, where other users can see it). Never printed.")
    String apiKey;

    @Option(names = "--json", description = "Print the server's JSON answer as it is, instead of text.")
    boolean json;

    public String server() {
        return server;
    }

    public boolean json() {
        return json;
    }
}
