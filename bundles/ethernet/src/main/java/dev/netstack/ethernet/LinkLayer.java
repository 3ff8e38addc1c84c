package dev.netstack.ethernet;

import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import java.util.List;

/**
 * What the link layer offers the network layer above it. Data-path methods run on the shard
 * thread and allocate nothing; the rest is control path.
 */
public interface LinkLayer {

    /** Ethernet header bytes the link layer prepends. */
    int ETHERNET_HEADER_BYTES = 14;

    /** The interfaces now known, in index order. Control path. */
    List<NetInterface> interfaces();

    /** The interface named {@code name}, or null. */
    NetInterface interfaceByName(String name);

    /** The interface with this index, or null. Data path: an array load. */
    NetInterface interfaceByIndex(int index);

    /**
     * A buffer for a frame leaving by {@code nif}, with headroom for every header, or null if the
     * interface has no device or its pool is empty.
     */
    PacketBuffer allocate(NetInterface nif);

    /**
     * Sends an IPv4 packet (data starts at the IP header) to the neighbour {@code nextHop} on
     * {@code nif}, resolving its MAC address with ARP. While resolution is pending the packet waits
     * in a bounded queue.
     *
     * <p><b>Ownership:</b> takes ownership of {@code packet} whatever it returns.
     *
     * @return HANDLED if sent, QUEUED while ARP resolves, NO_RESOURCES or DROPPED otherwise
     */
    Disposition sendIpv4(NetInterface nif, int nextHop, PacketBuffer packet, long nowNs);

    /**
     * Sends a frame with a known destination: prepends the Ethernet header and queues it for the
     * device. <b>Ownership:</b> takes ownership of {@code packet}.
     */
    Disposition send(NetInterface nif, long destinationMac, int etherType, PacketBuffer packet, long nowNs);

    /** The ARP cache, for the shell. Control path. */
    List<ArpEntry> arpEntries();

    /** Adds a static ARP entry or replaces a dynamic one. Control path. */
    void addStaticArpEntry(String interfaceName, int address, long mac);

    /** Removes an ARP entry; true if there was one. Control path. */
    boolean removeArpEntry(String interfaceName, int address);

    /** One row of the ARP cache. {@code expiresInNs} is negative for static entries. */
    record ArpEntry(String interfaceName, int address, long mac, String state, long expiresInNs) {
    }
}
