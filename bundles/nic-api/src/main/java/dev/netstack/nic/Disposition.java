package dev.netstack.nic;

/**
 * What became of a received packet, returned by every receive handler instead of throwing
 * (as gVisor's netstack does). The caller counts it; the handler has already taken ownership of the
 * buffer whatever it returns.
 */
public enum Disposition {
    /** Delivered or consumed as intended. */
    HANDLED,
    /** Not addressed to this host (wrong MAC, wrong IP): dropped. */
    NOT_FOR_US,
    /** Failed validation: dropped and counted by the reason the handler knows. */
    MALFORMED,
    /** No handler for the protocol; the network layer answers with ICMP where the RFCs say so. */
    PROTOCOL_UNREACHABLE,
    /** No socket for the port; the transport answers with ICMP/RST where the RFCs say so. */
    PORT_UNREACHABLE,
    /** Dropped for lack of a resource (buffer, queue space, memory limit). */
    NO_RESOURCES,
    /** Held for later (a fragment waiting for the rest, a packet waiting for ARP). */
    QUEUED,
    /** Dropped by policy (filter, rate limit, unsupported feature). */
    DROPPED
}
