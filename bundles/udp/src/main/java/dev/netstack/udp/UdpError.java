package dev.netstack.udp;

/**
 * Why a UDP operation failed, or what an ICMP error reported, modelled on the errno values a POSIX
 * socket would give (Linux numbering), each with a message a user can act on. Methods of
 * {@link UdpSocket} return {@code null} on success and one of these on failure; asynchronous
 * errors arrive at {@link UdpHandler#onError}.
 */
public enum UdpError {
    /** EACCES: a send to a broadcast address without {@link UdpSocket#setBroadcast(boolean)}. */
    ACCESS_DENIED(13, "permission denied: sending to a broadcast address needs the broadcast option"),
    /** EAGAIN: no packet buffer is free now; retry when {@link UdpHandler#onWritable} is called. */
    WOULD_BLOCK(11, "no packet buffer is free; retry when the socket becomes writable"),
    /** EBADF: the socket was closed. */
    SOCKET_CLOSED(9, "the socket is closed"),
    /** EINVAL: an argument is out of range, or the socket is already bound. */
    INVALID_ARGUMENT(22, "invalid argument"),
    /** EADDRINUSE: the address and port are taken, or no ephemeral port is free. */
    ADDRESS_IN_USE(98, "address already in use: choose another port, or set reuse address on every socket sharing it"),
    /** EADDRNOTAVAIL: the local address is not one of this host's. */
    ADDRESS_NOT_AVAILABLE(99, "cannot assign the requested address: it is not an address of this host"),
    /** ENETUNREACH: no route to the destination, or an ICMP network unreachable. */
    NETWORK_UNREACHABLE(101, "network is unreachable: add a route or an interface address for it"),
    /** EHOSTUNREACH: an ICMP host unreachable or time exceeded. */
    HOST_UNREACHABLE(113, "no route to host"),
    /** ENOPROTOOPT: the peer does not run UDP (ICMP protocol unreachable). */
    PROTOCOL_UNREACHABLE(92, "protocol not available at the peer"),
    /** ECONNREFUSED: ICMP port unreachable; nothing listens on the peer's port. */
    CONNECTION_REFUSED(111, "connection refused: nothing receives on the peer's port"),
    /** EMSGSIZE: the datagram exceeds 65507 bytes, or an ICMP fragmentation needed. */
    MESSAGE_TOO_LONG(90, "message too long: a UDP datagram carries at most 65507 bytes"),
    /** EDESTADDRREQ: send without a destination on a socket that is not connected. */
    DESTINATION_ADDRESS_REQUIRED(89, "destination address required: connect the socket or use sendTo"),
    /**
     * ENOBUFS: the network or link layer ran out of buffers or queue space while sending; the
     * datagram was lost. {@link UdpHandler#onWritable} follows.
     */
    NO_BUFFERS(105, "no buffer space available; the datagram was dropped"),
    /** EPROTO: an ICMP parameter problem about a datagram of this socket. */
    PROTOCOL_ERROR(71, "protocol error reported by the network"),
    /** ESHUTDOWN: the UDP module stopped (or was replaced); open a new socket. */
    PROTOCOL_STOPPED(108, "the UDP module stopped; open a new socket");

    private final int errno;
    private final String message;

    UdpError(int errno, String message) {
        this.errno = errno;
        this.message = message;
    }

    /** The Linux errno value. */
    public int errno() {
        return errno;
    }

    /** One sentence for a user. */
    public String message() {
        return message;
    }
}
