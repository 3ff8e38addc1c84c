package dev.netstack.udp;

import dev.netstack.ip.wire.Ipv4Address;

/**
 * Where a received datagram came from: a mutable holder the caller keeps and passes to
 * {@link UdpSocket#receive(UdpDatagram)} again and again, so receiving allocates nothing.
 */
public final class UdpDatagram {

    private int sourceAddress;
    private int sourcePort;
    private int destinationAddress;
    private int length;
    private int interfaceIndex;

    /** Filled in by the UDP layer. */
    public UdpDatagram set(int sourceAddress, int sourcePort, int destinationAddress, int length, int interfaceIndex) {
        this.sourceAddress = sourceAddress;
        this.sourcePort = sourcePort;
        this.destinationAddress = destinationAddress;
        this.length = length;
        this.interfaceIndex = interfaceIndex;
        return this;
    }

    public int sourceAddress() {
        return sourceAddress;
    }

    public int sourcePort() {
        return sourcePort;
    }

    /** The address the datagram was sent to: ours, or a broadcast address (like IP_PKTINFO). */
    public int destinationAddress() {
        return destinationAddress;
    }

    /** Payload bytes of the whole datagram (more than were copied if a copying receive truncated it). */
    public int length() {
        return length;
    }

    /** Index of the interface it arrived on. */
    public int interfaceIndex() {
        return interfaceIndex;
    }

    @Override
    public String toString() {
        return "UdpDatagram[" + length + " bytes from " + Ipv4Address.format(sourceAddress) + ":" + sourcePort
                + " to " + Ipv4Address.format(destinationAddress) + "]";
    }
}
