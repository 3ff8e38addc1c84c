package dev.netstack.udp.internal;

/**
 * Counters of scope {@code udp}: the first five are RFC 4113's (udpInDatagrams, udpNoPorts,
 * udpInErrors, udpOutDatagrams) and Linux's RcvbufErrors; the rest break errors down by reason.
 */
enum UdpCounter {
    /** Delivered to at least one socket. */
    IN_DATAGRAMS,
    /** No socket for the destination port. */
    NO_PORTS,
    /** Not deliverable for a reason other than no port (the sum of the reasons below). */
    IN_ERRORS,
    /** Handed to the network layer. */
    OUT_DATAGRAMS,
    /** Dropped because a receive queue was full. */
    RCVBUF_ERRORS,
    /** Sends that found no buffer (WOULD_BLOCK) or lost the datagram for lack of one. */
    SNDBUF_ERRORS,
    IN_CSUM_ERRORS,
    IN_TRUNCATED,
    IN_BAD_LENGTH,
    /** Received without a checksum (accepted or dropped by policy). */
    IN_NO_CHECKSUM,
    IN_NO_CHECKSUM_DROPPED,
    /** Delivered as broadcast (counted once per datagram). */
    IN_BROADCASTS,
    /** Copies made to deliver a broadcast to several sockets. */
    IN_BROADCAST_COPIES,
    /** Broadcast copies lost for want of a buffer. */
    IN_BROADCAST_COPY_FAILURES,
    OUT_NO_ROUTES,
    OUT_TOO_BIG,
    /** ICMP errors about our datagrams, and those that reached a connected socket. */
    ICMP_ERRORS_RECEIVED,
    ICMP_ERRORS_DELIVERED
}
