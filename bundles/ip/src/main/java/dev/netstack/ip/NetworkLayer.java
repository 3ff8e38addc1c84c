package dev.netstack.ip;

import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;

/**
 * What the network layer offers the transports above it. Data-path methods run on the shard
 * thread and allocate nothing; {@link #route} and {@link #mtu} are lock-free reads of the routing
 * snapshot and may be called anywhere.
 */
public interface NetworkLayer {

    /** Ask {@link #send(int, int, int, int, PacketBuffer, long)} to set DF (RFC 791 §3.1). */
    int FLAG_DONT_FRAGMENT = 1;

    /** Bytes of headroom a transport should leave in front of its header (IPv4 + Ethernet). */
    int headroom();

    /**
     * Sends a transport payload as one IPv4 datagram, fragmented if it is larger than the route's
     * MTU (RFC 791 §2.3). The data of {@code payload} starts at the transport header; the IPv4
     * header is prepended into its headroom. {@code payload} may come from any pool, including a
     * buffer larger than a device slot: fragments are copied into device buffers.
     *
     * <p><b>Ownership:</b> takes ownership of {@code payload} whatever it returns.
     *
     * @param source source address, or 0 to take the address of the outgoing interface
     * @return HANDLED when handed to the link layer (QUEUED while ARP resolves), DROPPED when no
     *     route exists or DF forbids the needed fragmentation, NO_RESOURCES when no buffer was free
     */
    default Disposition send(int source, int destination, int protocol, PacketBuffer payload, long nowNs) {
        return send(source, destination, protocol, 0, payload, nowNs);
    }

    /** {@link #send(int, int, int, PacketBuffer, long)} with flags such as {@link #FLAG_DONT_FRAGMENT}. */
    Disposition send(int source, int destination, int protocol, int flags, PacketBuffer payload, long nowNs);

    /** The route to {@code destination} by longest-prefix match, or null if there is none. */
    Route route(int destination);

    /** The MTU (layer 3 bytes) toward {@code destination}, or 0 if there is no route. */
    int mtu(int destination);

    /**
     * The source address this host uses toward {@code destination} (the outgoing interface's
     * address), or 0 if there is no route.
     */
    int sourceAddressFor(int destination);

    /**
     * A buffer for a datagram to {@code destination}, from the pool of the interface the route
     * leaves by, with {@link #headroom()} bytes in front of the data so the transport writes its
     * header at {@link PacketBuffer#offset()} and IPv4 and Ethernet are prepended without copying.
     * Null if there is no route or the pool is empty. Shard thread only.
     *
     * <p><b>Ownership:</b> the caller owns the buffer.
     */
    PacketBuffer allocate(int destination);

    /**
     * The largest transport segment (transport header included) that {@link #send} takes as one
     * datagram toward {@code destination} when its buffer carries
     * {@link PacketBuffer#FLAG_SEGMENTED}: the device of the route cuts it into MTU-sized segments
     * (TCP segmentation offload, {@link dev.netstack.nic.DeviceCapabilities#OFFLOAD_TSO}). Such a
     * datagram is never fragmented. 0 when the route's device cannot segment (the default): then
     * transports send segments that fit {@link #mtu(int)}. Shard thread only.
     */
    default int maxSegmentedBytes(int destination) {
        return 0;
    }

    /**
     * A buffer for a segmented send of up to {@link #maxSegmentedBytes(int)} bytes, with
     * {@link #headroom()} bytes in front of the data; null if the route cannot segment or no such
     * buffer is free (then send segments that fit the MTU). Shard thread only.
     *
     * <p><b>Ownership:</b> the caller owns the buffer.
     */
    default PacketBuffer allocateSegmented(int destination) {
        return null;
    }

    /**
     * Sends an ICMP error (RFC 792) about {@code offending}, quoting its IP header and the first 8
     * bytes of its data, unless RFC 1122 §3.2.2 forbids it (the offending packet is an ICMP error,
     * was sent to a broadcast or multicast address, is a non-first fragment, or comes from an
     * address that is not a single host) or the rate limit is exhausted.
     *
     * <p><b>Ownership:</b> borrows {@code offending}; its {@link PacketBuffer#networkOffset()} must
     * point at its IP header.
     *
     * @return whether an error was sent
     */
    boolean sendIcmpError(int type, int code, PacketBuffer offending, long nowNs);

    /**
     * Whether the TCP segments of the flow between {@code remoteAddress:remotePort} and
     * {@code localAddress:localPort} arrive at this layer's shard. With several shards, each runs
     * its own network layer over one queue of a device that steers flows over its queues
     * ({@code NetDevice.rxQueueOf}); a shard opening a connection picks a local port for which this
     * is true. Always true with one shard. Any thread; allocates nothing.
     */
    default boolean receivesFlow(int remoteAddress, int localAddress, int remotePort, int localPort) {
        return true;
    }
}
