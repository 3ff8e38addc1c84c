package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.wire.InternetChecksum;
import dev.netstack.ip.Route;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.EventLoop;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.wire.TcpHeader;
import dev.netstack.tcp.wire.TcpOptionsView;
import dev.netstack.test.VirtualClock;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small DSL for segment-level tests: one {@link TcpStack} (address {@link #LOCAL}) over a fake
 * {@link NetworkLayer} that captures what it sends, driven by a virtual clock. The test plays the
 * peer ({@link #PEER}): {@code inject(...)} a segment at the current time, {@code expect(...)} the
 * next segment the stack sent, {@code expectNothingUntil(ms)} advance time and assert silence.
 */
final class TcpScript implements AutoCloseable {

    static final int LOCAL = Ipv4Address.parse("198.18.0.1");
    static final int PEER = Ipv4Address.parse("198.18.0.2");
    static final int MTU = 1500;

    static final int F = TcpHeader.FIN;
    static final int S = TcpHeader.SYN;
    static final int R = TcpHeader.RST;
    static final int P = TcpHeader.PSH;
    static final int A = TcpHeader.ACK;

    /** A captured outgoing segment. */
    record Seg(int flags, int seq, int ack, int window, byte[] data, TcpOptionsView options, int source,
            int destination, int sourcePort, int destinationPort) {
        @Override
        public String toString() {
            return "[" + TcpHeader.flagsToString(flags) + "] seq " + Integer.toUnsignedString(seq) + " ack "
                    + Integer.toUnsignedString(ack) + " win " + window + " len " + data.length + " " + options;
        }
    }

    final Arena arena = Arena.ofShared();
    final VirtualClock clock = new VirtualClock(1_000_000_000L);
    final EventLoop loop = EventLoop.manual(0, clock);
    final PacketPool pool = PacketPool.create("script", PacketMemory.offHeap(arena, 256L * 4096), 256, 4096, 128);
    final ArrayDeque<Seg> sent = new ArrayDeque<>();
    final List<Seg> all = new ArrayList<>();
    final FakeNetwork network = new FakeNetwork();
    final TcpStack stack;
    int peerTsVal = 1000;

    TcpScript() {
        this(Map.of());
    }

    TcpScript(Map<String, Object> config) {
        stack = new TcpStack(config(config), loop, network, 42);
    }

    /** A {@link TcpConfig} with defaults, overridden by {@code values} (keys are method names). */
    static TcpConfig config(Map<String, Object> values) {
        return (TcpConfig) Proxy.newProxyInstance(TcpConfig.class.getClassLoader(), new Class<?>[] {TcpConfig.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return TcpConfig.class;
                    }
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    Object value = method.getDefaultValue();
                    if (value == null) {
                        return method.getName().equals("hashCode") ? 0 : method.getName().equals("toString")
                                ? "TcpConfig" : Boolean.FALSE;
                    }
                    return value;
                });
    }

    long nowMs() {
        return clock.nanoTime() / 1_000_000L;
    }

    /** Advances the clock by {@code ms}, one millisecond at a time, firing timers. */
    void advance(long ms) {
        for (long i = 0; i < ms; i++) {
            clock.advance(1_000_000L);
            loop.runTurn(clock.nanoTime());
        }
    }

    // ------------------------------------------------------------------ peer's segments

    final class Builder {
        int flags;
        int seq;
        int ack;
        int window = 65_535;
        byte[] data = new byte[0];
        int sourcePort = 40_000;
        int destinationPort = 80;
        int mss = -1;
        int windowScale = -1;
        boolean sackPermitted;
        boolean timestamps;
        int tsVal;
        int tsEcr;
        int[] sack = new int[0];
        int source = PEER;
        boolean badChecksum;

        Builder window(int w) {
            window = w;
            return this;
        }

        Builder data(byte[] d) {
            data = d;
            return this;
        }

        Builder data(int length) {
            data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) (i * 7 + 3);
            }
            return this;
        }

        Builder mss(int m) {
            mss = m;
            return this;
        }

        Builder ws(int shift) {
            windowScale = shift;
            return this;
        }

        Builder sackOk() {
            sackPermitted = true;
            return this;
        }

        Builder ts(int val, int ecr) {
            timestamps = true;
            tsVal = val;
            tsEcr = ecr;
            return this;
        }

        Builder sack(int... edges) {
            sack = edges;
            return this;
        }

        Builder ports(int src, int dst) {
            sourcePort = src;
            destinationPort = dst;
            return this;
        }

        Builder badChecksum() {
            badChecksum = true;
            return this;
        }

        /** Delivers the segment to the stack now. */
        Disposition send() {
            PacketBuffer buffer = pool.allocate();
            assertNotNull(buffer, "script pool empty");
            int optionBytes = (mss >= 0 ? 4 : 0) + (windowScale >= 0 ? 4 : 0) + (sackPermitted ? 4 : 0)
                    + (timestamps ? 12 : 0) + (sack.length > 0 ? 4 + 4 * sack.length : 0);
            int headerLength = 20 + optionBytes;
            int ipAt = buffer.append(20 + headerLength + data.length);
            MemorySegment bytes = buffer.segment();
            new Ipv4Header().wrap(bytes, ipAt).emit(20 + headerLength + data.length, 0, 0x4000, 64, 6, source, LOCAL);
            int at = ipAt + 20;
            TcpHeader h = new TcpHeader().wrap(bytes, at);
            h.sourcePort(sourcePort).destinationPort(destinationPort).sequence(seq).acknowledgment(ack)
                    .headerLength(headerLength).flags(flags).window(window).checksum(0).urgentPointer(0);
            long o = at + 20;
            if (mss >= 0) {
                o = TcpOptionsView.writeMss(bytes, o, mss);
            }
            if (windowScale >= 0) {
                o = TcpOptionsView.writeWindowScale(bytes, o, windowScale);
            }
            if (sackPermitted) {
                o = TcpOptionsView.writeSackPermitted(bytes, o);
            }
            if (timestamps) {
                o = TcpOptionsView.writeTimestamp(bytes, o, tsVal, tsEcr);
            }
            if (sack.length > 0) {
                o = TcpOptionsView.writeSack(bytes, o, sack, sack.length / 2);
            }
            MemorySegment.copy(MemorySegment.ofArray(data), 0, bytes, o, data.length);
            h.fillChecksum(source, LOCAL, headerLength + data.length);
            if (badChecksum) {
                h.checksum(h.checksum() ^ 0x0101);
            }
            buffer.setNetworkOffset(ipAt);
            buffer.advance(20);
            buffer.setTransportOffset(at);
            Disposition d = stack.receive(buffer, clock.nanoTime());
            loop.runTurn(clock.nanoTime());
            return d;
        }
    }

    Builder segment(int flags, int seq, int ack) {
        Builder b = new Builder();
        b.flags = flags;
        b.seq = seq;
        b.ack = ack;
        return b;
    }

    Disposition inject(int flags, int seq, int ack) {
        return segment(flags, seq, ack).send();
    }

    // ------------------------------------------------------------------ expectations

    Seg next() {
        Seg s = sent.poll();
        if (s == null) {
            fail("expected a segment, the stack sent nothing (t=" + nowMs() + " ms)");
        }
        return s;
    }

    Seg expect(int flags) {
        Seg s = next();
        assertEquals(TcpHeader.flagsToString(flags), TcpHeader.flagsToString(s.flags()), "flags of " + s);
        return s;
    }

    Seg expect(int flags, int seq, int ack) {
        Seg s = expect(flags);
        assertEquals(Integer.toUnsignedString(seq), Integer.toUnsignedString(s.seq()), "seq of " + s);
        if ((flags & A) != 0 || (flags & R) != 0 && ack != 0) {
            assertEquals(Integer.toUnsignedString(ack), Integer.toUnsignedString(s.ack()), "ack of " + s);
        }
        return s;
    }

    void expectNothing() {
        Seg s = sent.poll();
        if (s != null) {
            fail("expected nothing, the stack sent " + s + " (t=" + nowMs() + " ms)");
        }
    }

    /** Advances to {@code ms} later, asserting the stack sends nothing before. */
    void expectNothingFor(long ms) {
        for (long i = 0; i < ms; i++) {
            clock.advance(1_000_000L);
            loop.runTurn(clock.nanoTime());
            expectNothing();
        }
    }

    /** Advances until a segment comes out (at most {@code maxMs}); returns the time waited in ms. */
    long awaitSegment(long maxMs) {
        for (long i = 1; i <= maxMs; i++) {
            clock.advance(1_000_000L);
            loop.runTurn(clock.nanoTime());
            if (!sent.isEmpty()) {
                return i;
            }
        }
        fail("no segment within " + maxMs + " ms");
        return -1;
    }

    void drain() {
        sent.clear();
    }

    long counter(TcpCounter c) {
        return stack.counters.get(c);
    }

    @Override
    public void close() {
        assertEquals(0, pool.inUse(), "buffers leaked");
    }

    // ------------------------------------------------------------------ application side

    /** Records events of one connection. */
    static final class Events implements TcpHandler {
        final List<String> log = new ArrayList<>();
        final java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        boolean autoRead = true;
        TcpError closedReason;
        TcpConnection connection;

        @Override
        public void onConnected(TcpConnection c) {
            connection = c;
            log.add("connected");
        }

        @Override
        public void onReadable(TcpConnection c) {
            log.add("readable");
            if (autoRead) {
                read(c);
            }
        }

        void read(TcpConnection c) {
            MemorySegment buffer = Arena.ofAuto().allocate(65_536);
            int n;
            while ((n = c.receive(buffer, 0, 65_536)) > 0) {
                received.writeBytes(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            log.add("writable");
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            log.add("peer-closed");
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            log.add("closed " + reason);
            closedReason = reason;
        }
    }

    static int send(TcpConnection c, byte[] data) {
        MemorySegment src = Arena.ofAuto().allocate(Math.max(1, data.length));
        MemorySegment.copy(MemorySegment.ofArray(data), 0, src, 0, data.length);
        return c.send(src, 0, data.length);
    }

    static byte[] pattern(int length, int salt) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + salt + (i >>> 8));
        }
        return data;
    }

    // ------------------------------------------------------------------ the fake network layer

    final class FakeNetwork implements NetworkLayer {
        final Map<Integer, Integer> mtus = new HashMap<>();
        /** As {@link #maxSegmentedBytes}: 0 = a route without segmentation offload (the default). */
        int segmentLimit;
        /** As {@link #receivesFlow}: false plays a lane whose device steers this flow to another shard. */
        boolean receivesFlows = true;

        @Override
        public boolean receivesFlow(int remoteAddress, int localAddress, int remotePort, int localPort) {
            return receivesFlows;
        }
        /** Per segmented send: the payload bytes per segment the device was asked to cut. */
        final List<Integer> segmentSizes = new ArrayList<>();
        final PacketPool largePool = PacketPool.create("script-large", PacketMemory.offHeap(arena, 8L * 66_048), 8,
                66_048, 128);

        @Override
        public int headroom() {
            return 64;
        }

        @Override
        public Disposition send(int source, int destination, int protocol, int flags, PacketBuffer payload,
                long nowNs) {
            try {
                MemorySegment bytes = payload.segment();
                int at = payload.offset();
                int length = payload.length();
                TcpHeader h = new TcpHeader().wrap(bytes, at);
                assertEquals(TcpHeader.OK, h.checkLength(length));
                if (payload.hasFlag(PacketBuffer.FLAG_SEGMENTED)) {
                    // the field holds the pseudo-header sum; the device completes it (virtio NEEDS_CSUM)
                    assertEquals(InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(source, destination, 6, length)),
                            h.checksum() & 0xFFFF, "pseudo-header sum for the device to complete");
                    assertTrue(length - h.headerLength() > payload.segmentBytes(), "segmented only beyond one MSS");
                    segmentSizes.add(payload.segmentBytes());
                    h.fillChecksum(source, destination, length);
                }
                assertTrue(h.verifyChecksum(source, destination, length), "bad checksum sent");
                TcpOptionsView options = new TcpOptionsView();
                assertTrue(options.parse(bytes, h.optionsOffset(), h.headerLength() - 20));
                byte[] data = bytes.asSlice(at + h.headerLength(), length - h.headerLength())
                        .toArray(ValueLayout.JAVA_BYTE);
                Seg s = new Seg(h.flags(), h.sequence(), h.acknowledgment(), h.window(), data, options, source,
                        destination, h.sourcePort(), h.destinationPort());
                sent.add(s);
                all.add(s);
            } finally {
                payload.release();
            }
            return Disposition.HANDLED;
        }

        @Override
        public Route route(int destination) {
            return new Route(destination, 32, 0, "eth0");
        }

        @Override
        public int mtu(int destination) {
            return mtus.getOrDefault(destination, MTU);
        }

        @Override
        public int sourceAddressFor(int destination) {
            return LOCAL;
        }

        @Override
        public PacketBuffer allocate(int destination) {
            return pool.allocate();
        }

        @Override
        public int maxSegmentedBytes(int destination) {
            return segmentLimit;
        }

        @Override
        public PacketBuffer allocateSegmented(int destination) {
            return segmentLimit > 0 ? largePool.allocate() : null;
        }

        @Override
        public boolean sendIcmpError(int type, int code, PacketBuffer offending, long nowNs) {
            return false;
        }
    }
}
