package dev.netstack.ip.internal;

import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.EventLoop;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** One simulated host: an Ipv4Layer over a FakeLink with interface eth0, driven by a manual loop. */
final class Host {

    final ManualClock clock;
    final EventLoop loop;
    final FakeLink link = new FakeLink();
    final FakeLink.Iface eth0;
    final Ipv4Layer layer;
    final int address;

    Host(ManualClock clock, String cidr, int mtu, IpConfig config) {
        this.clock = clock;
        this.loop = EventLoop.manual(0, clock);
        this.eth0 = link.addInterface("eth0", mtu, 256);
        this.layer = new Ipv4Layer(link, loop, config);
        Ipv4Address.Cidr c = Ipv4Address.parseCidr(cidr);
        layer.assignAddress("eth0", c);
        this.address = c.address();
    }

    Host(ManualClock clock, String cidr) {
        this(clock, cidr, 1500, TestConfigs.defaults());
    }

    PacketPool pool() {
        return eth0.pool;
    }

    /** Runs one loop turn at the clock's time. */
    void turn() {
        loop.runTurn(clock.nanoTime());
    }

    long now() {
        return clock.nanoTime();
    }

    /** Leak check: every device and large buffer returned. */
    int buffersInUse() {
        return eth0.pool.inUse() + layer.largePool().inUse();
    }

    // ------------------------------------------------------------------ packet builders

    /** A datagram (data at the IP header) with the given header fields and payload. */
    static PacketBuffer ipv4(PacketPool pool, int source, int destination, int protocol, int identification,
            int flagsFragment, byte[] payload) {
        PacketBuffer b = pool.allocate();
        int at = b.append(Ipv4Header.MIN_LENGTH + payload.length);
        MemorySegment.copy(payload, 0, b.segment(), ValueLayout.JAVA_BYTE, at + Ipv4Header.MIN_LENGTH, payload.length);
        new Ipv4Header().wrap(b.segment(), at).emit(Ipv4Header.MIN_LENGTH + payload.length, identification,
                flagsFragment, 64, protocol, source, destination);
        return b;
    }

    /** The bytes of a datagram with a 20-byte header and {@code payload}. */
    static byte[] datagram(int source, int destination, int protocol, int identification, int flagsFragment,
            byte[] payload) {
        byte[] d = new byte[Ipv4Header.MIN_LENGTH + payload.length];
        System.arraycopy(payload, 0, d, Ipv4Header.MIN_LENGTH, payload.length);
        new Ipv4Header().wrap(MemorySegment.ofArray(d), 0).emit(d.length, identification, flagsFragment, 64, protocol,
                source, destination);
        return d;
    }

    /** An ICMP message (type, code, rest, data) with its checksum. */
    static byte[] icmp(int type, int code, int rest, byte[] data) {
        byte[] m = new byte[IcmpHeader.LENGTH + data.length];
        MemorySegment seg = MemorySegment.ofArray(m);
        System.arraycopy(data, 0, m, IcmpHeader.LENGTH, data.length);
        new IcmpHeader().wrap(seg, 0).emit(type, code, rest).fillChecksum(m.length);
        return m;
    }

    static byte[] pattern(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + seed + (i >>> 8));
        }
        return data;
    }

    static PacketBuffer echoRequest(PacketPool pool, int source, int destination, int identifier, int sequence, int dataBytes) {
        return ipv4(pool, source, destination, Ipv4Header.PROTOCOL_ICMP, 0x1234, 0,
                icmp(IcmpHeader.TYPE_ECHO_REQUEST, 0, identifier << 16 | sequence, pattern(dataBytes, 7)));
    }

    /** The data bytes of a buffer. */
    static byte[] bytes(PacketBuffer b) {
        return b.segment().asSlice(b.offset(), b.length()).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A copy of a buffer's data in a new buffer of {@code pool}. */
    static PacketBuffer copy(PacketBuffer b, PacketPool pool) {
        PacketBuffer c = pool.allocate();
        int at = c.append(b.length());
        MemorySegment.copy(b.segment(), b.offset(), c.segment(), at, b.length());
        return c;
    }
}
