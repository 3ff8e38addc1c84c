package dev.netstack.tcp;

/**
 * Why a connection ended or an operation failed, modelled on the errno values a POSIX socket
 * reports, each with a sentence a user can act on.
 */
public enum TcpError {
    /** Orderly end: both sides closed (or we closed after the peer). Not an error. */
    NONE(0, "connection closed"),
    /** ECONNREFUSED: the peer answered the SYN with RST, or ICMP port/protocol unreachable. */
    CONNECTION_REFUSED(111, "connection refused: nothing listens on that port"),
    /** ECONNRESET: the peer reset an open connection. */
    CONNECTION_RESET(104, "connection reset by peer"),
    /** ECONNABORTED: aborted locally (abort() or linger 0). */
    CONNECTION_ABORTED(103, "connection aborted locally"),
    /** ETIMEDOUT: retransmissions or keepalive probes went unanswered. */
    TIMED_OUT(110, "connection timed out: the peer stopped answering"),
    /** ENETUNREACH: no route to the destination. */
    NETWORK_UNREACHABLE(101, "network unreachable: add a route to the destination"),
    /** EHOSTUNREACH: ICMP host unreachable during a connection attempt. */
    HOST_UNREACHABLE(113, "host unreachable"),
    /** EADDRINUSE: the local address and port are taken. */
    ADDRESS_IN_USE(98, "address already in use: choose another local port"),
    /** EADDRNOTAVAIL: no free ephemeral port, or the local address is not ours. */
    ADDRESS_NOT_AVAILABLE(99, "cannot assign the requested address: no free local port"),
    /** EMFILE-like: the global connection limit (netstack.tcp max.connections) is reached. */
    CONNECTION_LIMIT(24, "too many connections: raise netstack.tcp max.connections"),
    /** ESHUTDOWN/EPIPE: sending after shutdownOutput() or close(). */
    OUTPUT_SHUT_DOWN(32, "cannot send after the output was shut down"),
    /** ENOTCONN: the operation needs an open connection. */
    NOT_CONNECTED(107, "the connection is not open"),
    /** EINVAL: an argument is out of range. */
    INVALID_ARGUMENT(22, "invalid argument"),
    /** ENOBUFS: no packet buffer or connection slot was free. */
    NO_BUFFERS(105, "no buffer space available"),
    /** ESHUTDOWN: the TCP module was stopped (hot swap); the connection was reset. */
    PROTOCOL_STOPPED(108, "the TCP module was stopped; reconnect when it is back");

    private final int errno;
    private final String message;

    TcpError(int errno, String message) {
        this.errno = errno;
        this.message = message;
    }

    /** The Linux errno value closest to this error (0 for {@link #NONE}). */
    public int errno() {
        return errno;
    }

    /** One sentence for users. */
    public String message() {
        return message;
    }
}
