package dev.netstack.ip;

import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;

/**
 * A receiver of one IP protocol (TCP 6, UDP 17, ...), registered as a whiteboard service with the
 * property {@value #IP_PROTOCOL_PROPERTY}. The network layer binds handlers into a copy-on-write
 * array indexed by protocol number, so dispatch is one array load. While no handler serves a
 * protocol, inbound datagrams get ICMP protocol unreachable (RFC 1122 §3.2.2.1).
 */
@FunctionalInterface
public interface ProtocolHandler {

    /** Service property: the protocol number, an Integer or a string such as {@code 6}. */
    String IP_PROTOCOL_PROPERTY = "ip.protocol";

    /**
     * Receives one datagram, reassembled if it was fragmented, on the shard thread. The data starts
     * at the transport header; {@link PacketBuffer#networkOffset()} points at the IP header (which
     * reassembled datagrams carry with their final total length and no fragment fields).
     *
     * <p><b>Ownership:</b> takes ownership of {@code packet}, whatever it returns. A handler that
     * answers with ICMP port unreachable calls {@link NetworkLayer#sendIcmpError} before releasing.
     * A reassembled datagram arrives in one of the network layer's few large buffers (not a
     * device's): a handler that queues it holds reassembly memory, so it should copy or release it
     * promptly.
     */
    Disposition receive(PacketBuffer packet, long nowNs);

    /**
     * An ICMP error (destination unreachable, time exceeded, parameter problem...) arrived quoting
     * a datagram of this protocol. The data of {@code packet} starts at the quoted IP header;
     * {@link PacketBuffer#transportOffset()} points at the quoted transport bytes (at least 8).
     *
     * <p><b>Ownership:</b> borrows {@code packet}; it is released after the call.
     */
    default void icmpErrorReceived(int type, int code, PacketBuffer packet, long nowNs) {
    }
}
