package dev.netstack.ethernet;

import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;

/**
 * A receiver of frames of one EtherType, registered as a whiteboard service with the property
 * {@value #ETHER_TYPE_PROPERTY} (for example {@code ether.type=0x0800} for IPv4). The link layer
 * binds handlers dynamically into a copy-on-write table, so dispatch is one array load.
 */
@FunctionalInterface
public interface EtherTypeHandler {

    /** Service property: the EtherType served, as an Integer or a string like {@code 0x0800}. */
    String ETHER_TYPE_PROPERTY = "ether.type";

    /**
     * Receives one frame on the shard thread.
     *
     * <p><b>Ownership:</b> takes ownership of {@code packet}, whatever it returns. The data starts
     * at the layer 3 header; {@link PacketBuffer#linkOffset()} points at the Ethernet header, and
     * trailing link padding has not been removed (the layer 3 length field tells).
     */
    Disposition receive(NetInterface nif, PacketBuffer packet, long nowNs);
}
