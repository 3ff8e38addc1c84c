package dev.netstack.ip.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * A link layer for tests: interfaces with a pool each; every IPv4 packet sent is recorded (or
 * released at once in {@link #discardSent} mode, for allocation measurements).
 */
final class FakeLink implements LinkLayer {

    record Sent(NetInterface nif, int nextHop, PacketBuffer packet) {
    }

    final Arena arena = Arena.ofConfined();
    final List<Iface> interfaces = new ArrayList<>();
    final List<Sent> sent = new ArrayList<>();
    boolean discardSent;
    long discarded;

    Iface addInterface(String name, int mtu, int buffers) {
        PacketPool pool = PacketPool.create(name, PacketMemory.offHeap(arena, (long) buffers * PacketPool.DEFAULT_BUFFER_SIZE),
                buffers, PacketPool.DEFAULT_BUFFER_SIZE, PacketPool.DEFAULT_HEADROOM);
        Iface nif = new Iface(interfaces.size() + 1, name, mtu, pool);
        interfaces.add(nif);
        return nif;
    }

    /** Takes the packets sent so far; the caller owns them. */
    List<Sent> takeSent() {
        List<Sent> copy = new ArrayList<>(sent);
        sent.clear();
        return copy;
    }

    void releaseSent() {
        for (Sent s : sent) {
            s.packet().release();
        }
        sent.clear();
    }

    @Override
    public List<NetInterface> interfaces() {
        return List.copyOf(interfaces);
    }

    @Override
    public NetInterface interfaceByName(String name) {
        for (Iface nif : interfaces) {
            if (nif.name.equals(name)) {
                return nif;
            }
        }
        return null;
    }

    @Override
    public NetInterface interfaceByIndex(int index) {
        return index >= 1 && index <= interfaces.size() ? interfaces.get(index - 1) : null;
    }

    @Override
    public PacketBuffer allocate(NetInterface nif) {
        return ((Iface) nif).pool.allocate();
    }

    @Override
    public Disposition sendIpv4(NetInterface nif, int nextHop, PacketBuffer packet, long nowNs) {
        if (discardSent) {
            discarded++;
            packet.release();
        } else {
            sent.add(new Sent(nif, nextHop, packet));
        }
        return Disposition.HANDLED;
    }

    @Override
    public Disposition send(NetInterface nif, long destinationMac, int etherType, PacketBuffer packet, long nowNs) {
        packet.release();
        return Disposition.DROPPED;
    }

    @Override
    public List<ArpEntry> arpEntries() {
        return List.of();
    }

    @Override
    public void addStaticArpEntry(String interfaceName, int address, long mac) {
    }

    @Override
    public boolean removeArpEntry(String interfaceName, int address) {
        return false;
    }

    static final class Iface implements NetInterface {
        final int index;
        final String name;
        final int mtu;
        final PacketPool pool;
        int address;
        int prefixLength;
        /** The device under the interface, null unless a test sets one (for its capabilities). */
        NetDevice device;

        Iface(int index, String name, int mtu, PacketPool pool) {
            this.index = index;
            this.name = name;
            this.mtu = mtu;
            this.pool = pool;
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
            return 0x02_00_00_00_00_01L;
        }

        @Override
        public int mtu() {
            return mtu;
        }

        @Override
        public boolean isUp() {
            return true;
        }

        @Override
        public int ipv4Address() {
            return address;
        }

        @Override
        public int ipv4PrefixLength() {
            return prefixLength;
        }

        @Override
        public void setIpv4Address(int address, int prefixLength) {
            this.address = address;
            this.prefixLength = prefixLength;
        }
    }
}
