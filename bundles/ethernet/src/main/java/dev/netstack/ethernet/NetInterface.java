package dev.netstack.ethernet;

import dev.netstack.nic.NetDevice;

/**
 * A stack interface (like Linux's {@code eth0}): a name, a device under it that may be replaced
 * while the stack runs, and the IPv4 address that ARP answers for.
 *
 * <p>The interface outlives its device: when a backend is swapped, the interface keeps its index,
 * name and addresses and announces the new device with a gratuitous ARP.
 */
public interface NetInterface {

    /** 1-based index, stable for the life of the stack. */
    int index();

    String name();

    /** The device now under the interface, or null while it has none. */
    NetDevice device();

    /** MAC address of the current device (0 while there is none). */
    long macAddress();

    /** MTU of the current device (layer 3 bytes). */
    int mtu();

    /** Whether a device is attached and its link is up. */
    boolean isUp();

    /** The interface's IPv4 address as a big-endian int, 0 if none. */
    int ipv4Address();

    /** Prefix length of {@link #ipv4Address()}. */
    int ipv4PrefixLength();

    /**
     * Sets the IPv4 address ARP answers for (the network layer calls this when its configuration
     * assigns one), and announces it with a gratuitous ARP if the interface is up.
     */
    void setIpv4Address(int address, int prefixLength);
}
