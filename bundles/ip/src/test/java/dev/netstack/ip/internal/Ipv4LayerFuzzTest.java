package dev.netstack.ip.internal;

import static dev.netstack.ip.internal.Host.datagram;
import static dev.netstack.ip.internal.Host.icmp;
import static dev.netstack.ip.internal.Host.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bad input on the receive path: it must never throw and never leak a buffer. */
class Ipv4LayerFuzzTest {

    static final int PEER = Ipv4Address.parse("198.18.0.1");
    static final int US = Ipv4Address.parse("198.18.0.2");

    final ManualClock clock = new ManualClock();
    final Host host = new Host(clock, "198.18.0.2/24");

    Ipv4LayerFuzzTest() {
        host.layer.bindProtocol(17, new Ipv4LayerTest.Recorder());
    }

    private void feed(byte[] data, int length) {
        PacketBuffer b = host.pool().allocate();
        int at = b.append(length);
        MemorySegment.copy(data, 0, b.segment(), ValueLayout.JAVA_BYTE, at, length);
        host.layer.receive(host.eth0, b, host.now());
        host.link.releaseSent();
    }

    private void assertNoLeak(String what) {
        clock.advanceMs(31_000);
        host.turn(); // reassembly timeouts release their buffers
        host.link.releaseSent();
        assertEquals(0, host.buffersInUse(), what);
    }

    private static List<byte[]> validPackets() {
        byte[] unreachableQuote = java.util.Arrays.copyOf(datagram(US, PEER, 17, 1, 0, pattern(8, 0)), 28);
        return List.of(
                datagram(PEER, US, 1, 1, 0, icmp(8, 0, 0x00010001, pattern(56, 0))),
                datagram(PEER, US, 17, 2, 0, pattern(30, 1)),
                datagram(PEER, US, 99, 3, 0, pattern(30, 1)),
                datagram(PEER, US, 1, 4, 0, icmp(3, 3, 0, unreachableQuote)),
                datagram(PEER, US, 1, 5, 0, icmp(0, 0, 0x4E530000, pattern(8, 0))),
                datagram(PEER, US, 17, 6, Ipv4Header.FLAG_MORE_FRAGMENTS, pattern(64, 2)),
                datagram(PEER, US, 17, 6, 8, pattern(20, 2)),
                datagram(PEER, US, 1, 7, Ipv4Header.FLAG_MORE_FRAGMENTS, icmp(8, 0, 0x00010001, pattern(56, 0))),
                datagram(PEER, US, 1, 7, 8, pattern(8, 0)));
    }

    @Test
    void everyTruncationOfValidPacketsIsHandled() {
        for (byte[] packet : validPackets()) {
            for (int length = 0; length <= packet.length; length++) {
                feed(packet, length);
            }
            // Truncation that keeps the header consistent: fix total length and checksum.
            for (int length = 20; length < packet.length; length++) {
                byte[] cut = java.util.Arrays.copyOf(packet, length);
                new Ipv4Header().wrap(MemorySegment.ofArray(cut), 0).setTotalLength(length).fillChecksum();
                feed(cut, length);
            }
        }
        assertNoLeak("truncations");
    }

    @Test
    void randomGarbageAndMutationsAreHandled() {
        long seed = System.nanoTime();
        System.out.println("Ipv4LayerFuzzTest seed " + seed);
        Random random = new Random(seed);
        List<byte[]> valid = validPackets();
        byte[] buffer = new byte[1500];
        for (int round = 0; round < 20_000; round++) {
            int length;
            if (round % 3 == 0) {
                length = random.nextInt(100);
                random.nextBytes(buffer);
                buffer[0] = (byte) (0x40 | (buffer[0] & 0x0F)); // mostly past the version check
            } else {
                byte[] base = valid.get(random.nextInt(valid.size()));
                length = base.length;
                System.arraycopy(base, 0, buffer, 0, length);
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    buffer[random.nextInt(length)] = (byte) random.nextInt(256);
                }
            }
            if (random.nextBoolean() && length >= 20) {
                // Make the header checksum right so the mutation reaches deeper code.
                new Ipv4Header().wrap(MemorySegment.ofArray(buffer), 0).setChecksum(0);
                int ihl = Math.min((buffer[0] & 0x0F) * 4, length);
                if (ihl >= 20) {
                    new Ipv4Header().wrap(MemorySegment.ofArray(buffer), 0).setChecksum(
                            dev.netstack.ip.wire.InternetChecksum.compute(MemorySegment.ofArray(buffer), 0, ihl));
                }
            }
            try {
                feed(buffer, length);
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " round " + round, e);
            }
            if (round % 5000 == 0) {
                clock.advanceMs(40_000);
                host.turn();
                host.link.releaseSent();
            }
        }
        assertNoLeak("garbage, seed " + seed);
    }
}
