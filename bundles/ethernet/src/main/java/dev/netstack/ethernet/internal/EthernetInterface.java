package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.NetDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack interface of the {@link EthernetLayer}. It outlives its devices: index, name and IPv4
 * address stay when the device under it is replaced or removed.
 *
 * <p>The device fields are written on the shard thread when a device is attached or detached and
 * read by any thread (volatile). The address is written by a control thread.
 */
final class EthernetInterface implements NetInterface {

    private static final DevicePort[] NO_PORTS = new DevicePort[0];

    private final EthernetLayer layer;
    private final int index;
    private final String name;

    private volatile NetDevice device;
    private volatile long mac;
    private volatile int mtu;
    private volatile DevicePort[] ports = NO_PORTS;
    /** The port this shard sends on, or null without a device. */
    volatile DevicePort txPort;

    private volatile int ipv4Address;
    private volatile int ipv4PrefixLength;

    /** Shard side: when we last defended our address (RFC 5227 §2.4). */
    boolean defended;
    long lastDefendNs;

    /** Control side, guarded by the layer's lock: devices bound under this name, the newest last. */
    final List<NetDevice> boundDevices = new ArrayList<>(2);
    /** Control side, guarded by the layer's lock: the device the shard has been told to attach. */
    NetDevice wantedDevice;

    EthernetInterface(EthernetLayer layer, int index, String name) {
        this.layer = layer;
        this.index = index;
        this.name = name;
    }

    /** Shard thread: makes {@code newDevice} (may be null) the device, with its ports. */
    void attach(NetDevice newDevice, DevicePort[] newPorts) {
        this.mac = newDevice == null ? 0 : newDevice.macAddress();
        this.mtu = newDevice == null ? 0 : newDevice.mtu();
        this.ports = newPorts;
        this.txPort = newPorts.length == 0 ? null : newPorts[0];
        this.device = newDevice;
    }

    DevicePort[] ports() {
        return ports;
    }

    /** The MAC as last attached; the data path reads this rather than asking the device. */
    long mac() {
        return mac;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public NetDevice device() {
        return device;
    }

    @Override
    public long macAddress() {
        return mac;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public boolean isUp() {
        NetDevice d = device;
        return d != null && d.isLinkUp();
    }

    @Override
    public int ipv4Address() {
        return ipv4Address;
    }

    @Override
    public int ipv4PrefixLength() {
        return ipv4PrefixLength;
    }

    @Override
    public void setIpv4Address(int address, int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32, got " + prefixLength);
        }
        this.ipv4PrefixLength = prefixLength;
        this.ipv4Address = address;
        layer.addressChanged(this);
    }

    @Override
    public String toString() {
        NetDevice d = device;
        return name + "#" + index + " (" + (d == null ? "no device" : d.description()) + ")";
    }
}
