package dev.netstack.socket;

/**
 * Why a socket call failed, modelled on the errno values of a POSIX socket (Linux numbering), each
 * with a sentence a user can act on.
 */
public enum SocketError {
    /** EADDRINUSE: the local address and port are taken. */
    ADDRESS_IN_USE(98, "address already in use: choose another port, or set reuse address on every socket sharing it"),
    /** EADDRNOTAVAIL: the local address is not this host's, or no ephemeral port is free. */
    ADDRESS_NOT_AVAILABLE(99, "cannot assign the requested address: it is not this host's or no local port is free"),
    /** ECONNREFUSED: nothing listens on the peer's port (RST to SYN, ICMP port unreachable). */
    CONNECTION_REFUSED(111, "connection refused: nothing listens on the peer's port"),
    /** ECONNRESET: the peer reset the connection. */
    CONNECTION_RESET(104, "connection reset by peer"),
    /** ECONNABORTED: the connection was aborted on this side. */
    CONNECTION_ABORTED(103, "connection aborted on this side"),
    /** ETIMEDOUT: the peer stopped answering, or a receive timeout expired. */
    TIMED_OUT(110, "timed out: the peer did not answer in time"),
    /** ENOTCONN: the call needs a connected socket. */
    NOT_CONNECTED(107, "the socket is not connected: connect it first"),
    /** EISCONN: the socket is connected already (or connecting, or listening). */
    ALREADY_CONNECTED(106, "the socket is already connected"),
    /** EALREADY: a non-blocking connect is in progress. */
    CONNECT_IN_PROGRESS(114, "a connect is already in progress: wait for finishConnect"),
    /** EINTR: the waiting thread was interrupted. */
    INTERRUPTED(4, "interrupted while waiting"),
    /** EAGAIN/EWOULDBLOCK: a non-blocking call could not proceed now. */
    WOULD_BLOCK(11, "the operation would block: retry when the socket is ready"),
    /** EBADF: the socket was closed by this application. */
    CLOSED(9, "the socket is closed"),
    /** EPIPE: sending after shutdownOutput or after the connection ended. */
    BROKEN_PIPE(32, "cannot send: the output was shut down or the connection ended"),
    /** EINVAL: an argument is out of range, or the call does not fit the socket's state. */
    INVALID_ARGUMENT(22, "invalid argument"),
    /** ENETUNREACH: no route to the destination. */
    NETWORK_UNREACHABLE(101, "network unreachable: add a route or an interface address for the destination"),
    /** EHOSTUNREACH: the network reported the host unreachable. */
    HOST_UNREACHABLE(113, "no route to host"),
    /** EMSGSIZE: a datagram longer than 65507 bytes, or than the socket's ring can hold. */
    MESSAGE_TOO_LONG(90, "message too long for one datagram"),
    /** EDESTADDRREQ: send on an unconnected datagram socket. */
    DESTINATION_ADDRESS_REQUIRED(89, "destination address required: connect the socket or use sendTo"),
    /** EACCES: a datagram to a broadcast address without the broadcast option. */
    ACCESS_DENIED(13, "permission denied: sending to a broadcast address needs the broadcast option"),
    /** ENOBUFS: the stack had no buffer or connection slot free. */
    NO_BUFFERS(105, "no buffer space available in the stack"),
    /** EMFILE-like: the stack's connection limit is reached. */
    TOO_MANY_CONNECTIONS(24, "too many connections: raise netstack.tcp max.connections"),
    /** ESHUTDOWN: the TCP or UDP module stopped (or is absent); open a new socket when it is back. */
    PROTOCOL_STOPPED(108, "the protocol module stopped or is not installed; open a new socket when it is back"),
    /** EPROTO: the network reported a protocol problem (ICMP parameter problem, protocol unreachable). */
    PROTOCOL_ERROR(71, "protocol error reported by the network");

    private final int errno;
    private final String message;

    SocketError(int errno, String message) {
        this.errno = errno;
        this.message = message;
    }

    /** The Linux errno value this error stands for. */
    public int errno() {
        return errno;
    }

    /** One sentence for users. */
    public String message() {
        return message;
    }
}
