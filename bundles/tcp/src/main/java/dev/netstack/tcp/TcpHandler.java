package dev.netstack.tcp;

/**
 * Events of one connection, called on the shard thread that owns it. Handlers must not block;
 * they may call any {@link TcpConnection} method, including {@code close()}, from inside a
 * callback. Callbacks are edge-triggered: {@link #onReadable} comes when new data arrives while
 * the application had drained everything, {@link #onWritable} when send space frees after a
 * {@code send} accepted less than offered (or {@code writableBytes()} returned 0).
 */
public interface TcpHandler {

    /** The three-way handshake completed (active open). Accepted connections start connected. */
    default void onConnected(TcpConnection connection) {
    }

    /** In-order data is waiting: call {@link TcpConnection#receive} until it returns 0. */
    default void onReadable(TcpConnection connection) {
    }

    /** Send buffer space became free. */
    default void onWritable(TcpConnection connection) {
    }

    /** The peer sent FIN: after the buffered data, {@code receive} returns -1 (end of stream). */
    default void onPeerClosed(TcpConnection connection) {
    }

    /**
     * The connection is gone (its state is CLOSED or TIME_WAIT); no further callback follows.
     *
     * @param reason {@link TcpError#NONE} for an orderly close, else why it failed
     */
    default void onClosed(TcpConnection connection, TcpError reason) {
    }
}
