package dev.netstack.ethernet.internal;

/** What the link layer counts, published as the {@code ethernet} counters (names lower-case, dashed). */
enum EthernetStat {
    RX_FRAMES,
    TX_FRAMES,
    /** Shorter than an Ethernet header. */
    TOO_SHORT,
    /** Destination neither our MAC, broadcast, nor a configured multicast MAC. */
    NOT_FOR_US,
    /** No handler bound for the EtherType (also 802.3 length frames and VLAN tags, left out). */
    UNKNOWN_ETHERTYPE,
    /** A handler threw; it owned the buffer, so nothing is released here. */
    HANDLER_ERRORS,
    ARP_MALFORMED,
    ARP_REQUESTS_IN,
    ARP_REPLIES_IN,
    ARP_REQUESTS_OUT,
    ARP_REPLIES_OUT,
    ARP_GRATUITOUS_OUT,
    /** Someone else claims our IPv4 address (RFC 5227 §2.4). */
    ARP_CONFLICTS,
    /** Packets dropped from or refused by the queues waiting for resolution. */
    ARP_QUEUE_DROPS,
    /** Addresses that did not answer after every retry. */
    ARP_RESOLUTION_FAILURES,
    /** Dynamic entries evicted to make room. */
    ARP_EVICTIONS,
    /** No entry could be had: the cache is full of static or resolving entries. */
    ARP_CACHE_FULL,
    /** Frames the device refused (its ring was full): dropped. */
    TX_RING_FULL,
    /** Frames for an interface without a device. */
    TX_NO_DEVICE,
    /** Frames without 14 bytes of headroom for the Ethernet header. */
    TX_NO_HEADROOM,
    /** No buffer for an ARP request or announcement. */
    TX_NO_BUFFER
}
