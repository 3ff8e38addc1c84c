package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import dev.netstack.udp.UdpSocket;
import dev.netstack.udp.wire.UdpHeader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed datagrams fed straight into the receive path of UDP (as the network layer hands them
 * over: data at the UDP header, networkOffset at the IP header): never a throw, never a leak.
 */
class UdpProtocolMalformedTest {

    static final int A = Ipv4Address.parse("198.18.0.1");
    static final int B = Ipv4Address.parse("198.18.0.2");
    static final int PORT = 5000;

    Simulation sim;
    Stack a;
    Stack b;
    Recorder recorder;
    UdpSocket socket;

    void start(TestConfigs.Udp config) {
        sim = new Simulation(7);
        MemoryLink link = MemoryLink.create();
        a = new Stack(sim.addLoop(0), link.a(), "198.18.0.1/24", TestConfigs.udp());
        b = new Stack(sim.addLoop(1), link.b(), "198.18.0.2/24", config);
        sim.runFor(1_000_000);
        recorder = new Recorder();
        socket = b.open(recorder);
        assertNull(socket.bind(0, PORT));
    }

    @AfterEach
    void noLeaks() {
        sim.runFor(10_000_000);
        a.close();
        b.close();
        assertEquals(0, a.buffersInUse());
        assertEquals(0, b.buffersInUse());
    }

    /** A UDP datagram (header + payload) from A:4000 to B:PORT with a correct checksum. */
    static byte[] datagram(byte[] payload) {
        byte[] d = new byte[UdpHeader.LENGTH + payload.length];
        System.arraycopy(payload, 0, d, UdpHeader.LENGTH, payload.length);
        new UdpHeader().wrap(MemorySegment.ofArray(d), 0).emit(4000, PORT, d.length).fillChecksum(A, B);
        return d;
    }

    /** Hands {@code udp} (the first {@code length} bytes) to UDP as the network layer would. */
    Disposition inject(byte[] udp, int length) {
        PacketBuffer p = b.pool().allocate();
        int at = p.append(Ipv4Header.MIN_LENGTH + length);
        MemorySegment.copy(udp, 0, p.segment(), ValueLayout.JAVA_BYTE, at + Ipv4Header.MIN_LENGTH, length);
        new Ipv4Header().wrap(p.segment(), at).emit(Ipv4Header.MIN_LENGTH + length, 1, 0, 64, 17, A, B);
        p.setNetworkOffset(at);
        p.advance(Ipv4Header.MIN_LENGTH);
        p.setTransportOffset(p.offset());
        p.setInterfaceIndex(1);
        return b.udp.receive(p, sim.clock().nanoTime());
    }

    long counter(UdpCounter c) {
        return b.udp.counters().get(c);
    }

    @Test
    void everyTruncationIsDroppedAsMalformed() {
        start(TestConfigs.udp());
        byte[] d = datagram(UdpProtocolTest.pattern(21, 1));
        int baseline = b.pool().inUse();
        for (int length = 0; length < d.length; length++) {
            assertEquals(Disposition.MALFORMED, inject(d, length), "truncated to " + length);
            assertEquals(baseline, b.pool().inUse());
        }
        assertEquals(UdpHeader.LENGTH, counter(UdpCounter.IN_TRUNCATED));
        assertEquals(d.length - UdpHeader.LENGTH, counter(UdpCounter.IN_BAD_LENGTH));
        assertEquals(d.length, counter(UdpCounter.IN_ERRORS));
        assertEquals(Disposition.HANDLED, inject(d, d.length));
        assertEquals(1, recorder.received.size());
    }

    @Test
    void badLengthFieldsAreDroppedAndShortOnesCutPadding() {
        start(TestConfigs.udp());
        byte[] d = datagram(UdpProtocolTest.pattern(20, 2));
        for (int field : new int[] {0, 1, 7, d.length + 1, d.length + 100, 0xFFFF}) {
            byte[] bad = d.clone();
            new UdpHeader().wrap(MemorySegment.ofArray(bad), 0).setLength(field); // checked before the checksum
            assertEquals(Disposition.MALFORMED, inject(bad, bad.length), "length field " + field);
        }
        // A length field shorter than the IP payload: the rest is padding, cut off before delivery.
        byte[] padded = new byte[d.length + 15];
        System.arraycopy(datagram(UdpProtocolTest.pattern(10, 3)), 0, padded, 0, 18);
        padded[20] = 0x55;
        assertEquals(Disposition.HANDLED, inject(padded, padded.length));
        assertArrayEquals(UdpProtocolTest.pattern(10, 3), recorder.received.get(0));
        assertEquals(6, counter(UdpCounter.IN_BAD_LENGTH));
    }

    @Test
    void everySingleByteCorruptionFailsTheChecksum() {
        start(TestConfigs.udp());
        byte[] d = datagram(UdpProtocolTest.pattern(33, 4));
        int corrupted = 0;
        for (int i = 0; i < d.length; i++) {
            if (i == UdpHeader.LENGTH_FIELD || i == UdpHeader.LENGTH_FIELD + 1) {
                continue; // covered by the length tests
            }
            byte[] bad = d.clone();
            bad[i] ^= 0x10;
            if (bad[UdpHeader.CHECKSUM] == 0 && bad[UdpHeader.CHECKSUM + 1] == 0) {
                continue; // would mean "no checksum"
            }
            assertEquals(Disposition.MALFORMED, inject(bad, bad.length), "byte " + i + " corrupted");
            corrupted++;
        }
        assertEquals(corrupted, counter(UdpCounter.IN_CSUM_ERRORS));
        assertEquals(0, recorder.received.size());
    }

    @Test
    void zeroChecksumIsAcceptedByDefault() {
        start(TestConfigs.udp());
        byte[] d = datagram(new byte[] {1, 2, 3});
        new UdpHeader().wrap(MemorySegment.ofArray(d), 0).setChecksum(0);
        assertEquals(Disposition.HANDLED, inject(d, d.length));
        assertEquals(1, counter(UdpCounter.IN_NO_CHECKSUM));
        assertArrayEquals(new byte[] {1, 2, 3}, recorder.received.get(0));
    }

    @Test
    void zeroChecksumIsDroppedWhenConfigured() {
        start(TestConfigs.udp().acceptZeroChecksum(false));
        byte[] d = datagram(new byte[] {1, 2, 3});
        new UdpHeader().wrap(MemorySegment.ofArray(d), 0).setChecksum(0);
        assertEquals(Disposition.MALFORMED, inject(d, d.length));
        assertEquals(1, counter(UdpCounter.IN_NO_CHECKSUM_DROPPED));
        assertEquals(0, recorder.received.size());
    }

    @Test
    void randomGarbageNeverThrowsOrLeaks() {
        start(TestConfigs.udp());
        long seed = System.nanoTime();
        System.out.println("garbage seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        byte[] valid = datagram(UdpProtocolTest.pattern(40, 5));
        int baseline = b.pool().inUse();
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes;
            if (random.nextBoolean()) {
                bytes = new byte[random.nextInt(0, 200)];
                random.nextBytes(bytes);
                if (bytes.length >= 4 && random.nextBoolean()) {
                    bytes[2] = (byte) (PORT >>> 8); // aim at the bound port now and then
                    bytes[3] = (byte) PORT;
                }
            } else {
                bytes = valid.clone();
                for (int flips = random.nextInt(1, 4); flips > 0; flips--) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
            }
            assertNotNull(inject(bytes, bytes.length), "seed " + seed + " round " + i);
            while (socket.drop()) {
                // keep the queue from filling
            }
            recorder.received.clear();
            recorder.sources.clear();
            sim.step();
        }
        sim.runFor(10_000_000);
        assertEquals(baseline, b.pool().inUse(), "seed " + seed);
    }
}
