package dev.netstack.examples.echo;

import dev.netstack.socket.SocketException;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An echo server on the blocking socket API: one listening socket, one virtual thread per
 * accepted connection, plain blocking receive and send.
 */
public final class VirtualThreadEchoServer implements AutoCloseable {

    private final StreamSocket listener;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /** Listens on {@code port} of every address of the stack behind {@code sockets} and starts accepting. */
    public VirtualThreadEchoServer(Sockets sockets, int port) {
        listener = sockets.openStream();
        listener.setReuseAddress(true);
        listener.bind(0, port);
        listener.listen(128);
        threads.execute(this::acceptLoop);
    }

    private void acceptLoop() {
        try {
            while (true) {
                StreamSocket connection = listener.accept();
                threads.execute(() -> echo(connection));
            }
        } catch (SocketException closed) {
            // close() ends the loop.
        }
    }

    private static void echo(StreamSocket connection) {
        byte[] buffer = new byte[16 * 1024];
        try (connection) {
            int n;
            while ((n = connection.receive(buffer, 0, buffer.length)) > 0) {
                connection.send(buffer, 0, n);
            }
        } catch (SocketException e) {
            // The peer went away; nothing to echo to.
        }
    }

    @Override
    public void close() {
        listener.close();
        threads.shutdownNow();
    }
}
