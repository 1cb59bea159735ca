package dev.caravan.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** The ports the app listens on, checked before anything starts on them. */
public final class Ports {

    private Ports() {
    }

    /**
     * The port to listen on at {@code host}: a free one for 0, else {@code port} once it is seen free (another process
     * may still take it before the listener binds it).
     *
     * @throws java.net.BindException when the port is in use
     */
    public static int bindable(String host, int port) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, port));
            return socket.getLocalPort();
        }
    }
}
