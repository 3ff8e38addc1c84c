package dev.netstack.tcp;

/**
 * Events of a listener, on the shard thread. Connections whose handshake completed wait in the
 * listener's accept queue (at most {@code backlog}; beyond that the handshake's final ACK is
 * dropped, as Linux does, and the peer retransmits). When the queue becomes non-empty
 * {@link #onAcceptable} runs; by default it accepts everything at once and asks {@link #onAccept}
 * for each connection's handler. A socket layer overrides {@code onAcceptable} to signal readiness
 * and calls {@link TcpListener#accept()} when its user accepts.
 */
@FunctionalInterface
public interface TcpListenerHandler {

    /**
     * A connection was accepted. Return the handler for its events, or null to refuse it (the
     * stack resets it). The connection is ESTABLISHED (or CLOSE_WAIT if the peer's FIN came with
     * the handshake) and may already hold data: check {@link TcpConnection#readableBytes()}.
     */
    TcpHandler onAccept(TcpConnection connection);

    /** The accept queue became non-empty. The default drains it through {@link #onAccept}. */
    default void onAcceptable(TcpListener listener) {
        TcpConnection connection;
        while ((connection = listener.accept()) != null) {
            TcpHandler handler = onAccept(connection);
            if (handler == null) {
                connection.abort();
            } else {
                connection.setHandler(handler);
            }
        }
    }

    /** The listener was closed or the TCP module stopped. */
    default void onListenerClosed(TcpListener listener, TcpError reason) {
    }
}
