package dev.netstack.udp;

/**
 * Events of a {@link UdpSocket}, called on the shard thread that owns it. Handlers must not block;
 * they may call any method of the socket (receive, send, close).
 */
public interface UdpHandler {

    /** A datagram was queued for {@code socket} (called once per queued datagram); drain with receive. */
    default void onReadable(UdpSocket socket) {
    }

    /**
     * A send failed earlier with {@link UdpError#WOULD_BLOCK} or {@link UdpError#NO_BUFFERS}; by
     * the next timer tick after that, buffers may be free again. Called once per failure episode.
     */
    default void onWritable(UdpSocket socket) {
    }

    /**
     * An asynchronous error: an ICMP error about a datagram of a connected socket (for instance
     * {@link UdpError#CONNECTION_REFUSED}), or {@link UdpError#PROTOCOL_STOPPED} when the socket was
     * closed because the UDP module stopped. The error is also kept as the socket's pending error
     * ({@link UdpSocket#takeError()}), like SO_ERROR.
     */
    default void onError(UdpSocket socket, UdpError error) {
    }
}
