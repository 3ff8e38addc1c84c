package dev.netstack.socket;

import java.util.List;

/**
 * Readiness of many sockets, both ways IPAugenblick offers: ask one socket
 * ({@link #readyOps(Socket)}, or {@link Socket#readyOps()}), or wait and iterate over the ready
 * set ({@link #select(long)} then {@link #readyKeys()}).
 *
 * <p>Keys are level-triggered, like NIO: a key stays in the ready set at every select while its
 * socket is ready for one of its interest operations. The shard signals a selector when a
 * socket's readiness rises (data, send space, an accepted connection, connect done, close or
 * error); select re-checks only signalled keys and those ready last time, so a select costs in
 * proportion to the ready sockets, not the registered ones.
 *
 * <p>Threads: one thread selects; {@link #register}, {@link SocketKey#interestOps(int)},
 * {@link SocketKey#cancel()} and {@link #wakeup()} are safe from any thread.
 */
public interface SocketSelector extends AutoCloseable {

    /** Same values as {@code java.nio.channels.SelectionKey}. */
    int OP_READ = 1;
    int OP_WRITE = 4;
    int OP_CONNECT = 8;
    int OP_ACCEPT = 16;

    /** Registers {@code socket} for {@code interestOps}; one key per socket and selector. */
    SocketKey register(Socket socket, int interestOps, Object attachment);

    /**
     * Waits until a key is ready, {@link #wakeup()} is called, or {@code timeoutMs} passes (0 =
     * no limit, negative = do not wait).
     *
     * @return the number of ready keys
     */
    int select(long timeoutMs);

    /** {@code select(-1)}. */
    int selectNow();

    /**
     * The keys found ready by the last select, with their {@link SocketKey#readyOps()}. A list the
     * selector reuses: read it before the next select.
     */
    List<SocketKey> readyKeys();

    /** Makes the current or next select return at once. Any thread. */
    void wakeup();

    /** The socket's ready operations now (same as {@code socket.readyOps()}). */
    default int readyOps(Socket socket) {
        return socket.readyOps();
    }

    /** Cancels every key. */
    @Override
    void close();
}
