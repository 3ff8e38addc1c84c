package dev.netstack.nic.ixgbe.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.ixgbe.DmaAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The model's own semantics, driven register by register without the driver. */
class Model82599Test {

    private static final long MAC = MacAddress.parse("02:00:5e:82:59:01");
    private final ModelDma dma = new ModelDma();
    private final Model82599 m = new Model82599(dma, MAC);

    @AfterEach
    void close() {
        dma.close();
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void resetSelfClearsAfterItsDelayAndSetsTheDoneBits() {
        m.resetDelayNs = 5_000_000;
        m.set32(0x0, 0x0400_0000);
        assertNotEquals(0, m.get32(0x0) & 0x0400_0000, "still resetting");
        assertEquals(0, m.get32(0x10010) & 0x200, "EEC.AUTO_RD clear during reset");
        assertEquals(0, m.get32(0x2F00) & 0x8, "RDRXCTL.DMAIDONE clear during reset");
        sleepMs(10);
        assertEquals(0, m.get32(0x0) & 0x0400_0000);
        assertNotEquals(0, m.get32(0x10010) & 0x200);
        assertNotEquals(0, m.get32(0x2F00) & 0x8);
    }

    @Test
    void resetThatNeverCompletesKeepsTheBitSet() {
        m.resetNeverCompletes = true;
        m.resetDelayNs = 0;
        m.set32(0x0, 0x0400_0000);
        sleepMs(2);
        assertNotEquals(0, m.get32(0x0) & 0x0400_0000);
    }

    @Test
    void linkComesUpAfterAnRestartAtTheSpeedLmsSelects() {
        m.linkDelayNs = 2_000_000;
        assertEquals(0, m.get32(0x42A4));
        m.set32(0x42A0, 0x3 << 13 | 0x1000);
        assertEquals(0, m.get32(0x42A0) & 0x1000, "Restart_AN self-clears");
        assertEquals(0, m.get32(0x42A4) & 0x4000_0000);
        sleepMs(5);
        assertEquals(0x4000_0000 | 0x3000_0000, m.get32(0x42A4), "up at 10 Gb/s");
        m.set32(0x42A0, 0x1000); // LMS 000b
        sleepMs(5);
        assertEquals(0x4000_0000 | 0x2000_0000, m.get32(0x42A4), "up at 1 Gb/s");
    }

    @Test
    void queueEnableReadsBackOnTheSecondRead() {
        m.set32(0x1028, 0x0200_0000);
        assertEquals(0, m.get32(0x1028) & 0x0200_0000);
        assertNotEquals(0, m.get32(0x1028) & 0x0200_0000);
        m.set32(0x6028 + 0x40, 0x0200_0000);
        assertEquals(0, m.get32(0x6028 + 0x40) & 0x0200_0000);
        assertNotEquals(0, m.get32(0x6028 + 0x40) & 0x0200_0000);
    }

    @Test
    void macComesFromTheEepromInRegisterByteOrder() {
        assertEquals(0x825E0002, m.get32(0xA200));
        assertEquals(0x8000_0159, m.get32(0xA204));
    }

    @Test
    void fullRingWithoutDropEnableCountsMissedPacketsAndStatisticsClearOnRead() {
        m.set32(0x42A0, 0x3 << 13 | 0x1000);
        m.linkDelayNs = 0;
        m.get32(0x42A4);
        DmaAllocator.Region ring = dma.allocate(128 * 16, 128);
        DmaAllocator.Region buffers = dma.allocate(128 * 2048, 4096);
        for (int i = 0; i < 128; i++) {
            ring.segment().set(ValueLayout.JAVA_LONG, i * 16L, buffers.ioAddress() + i * 2048L);
        }
        m.set32(0x4240, 0x2); // HLREG0.RXCRCSTRP
        m.set32(0x2F00, m.get32(0x2F00) | 0x2); // RDRXCTL.CRCStrip
        m.set32(0x1014, 0x0200_0002); // SRRCTL: advanced one buffer, 2 KB, no Drop_En
        m.set32(0x1000, (int) ring.ioAddress());
        m.set32(0x1004, (int) (ring.ioAddress() >>> 32));
        m.set32(0x1008, 128 * 16);
        m.set32(0x1028, 0x0200_0000);
        m.set32(0x1018, 3); // three descriptors for the device
        m.set32(0x3000, 1); // RXEN
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(100);
            f.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, (int) (MAC >>> 16));
            f.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, (short) MAC);
            for (int i = 0; i < 5; i++) {
                m.receiveFrame(f, 0, 100);
            }
        }
        assertEquals(3, m.rxHead(0));
        assertEquals(3, ring.segment().get(ValueLayout.JAVA_INT, 8) & 0x3, "DD and EOP written back");
        assertEquals(100, ring.segment().get(ValueLayout.JAVA_SHORT, 12));
        assertEquals(2, m.get32(0x3FA0), "MPC[0]");
        assertEquals(0, m.get32(0x3FA0), "cleared by the read");
        assertEquals(3, m.get32(0x4074), "GPRC");
        assertEquals(0, m.get32(0x4074));
        assertEquals(3 * 104, m.get32(0x4088), "GORCL");
        assertEquals(0, m.get32(0x408C), "GORCH, clears the pair");
        assertEquals(0, m.get32(0x4088));
    }

    @Test
    void dmaOutsideTheDriversMemoryFailsLoudly() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dma.region(0x1000, 64));
        assertTrue(e.getMessage().contains("outside every DMA region"));
    }

    @Test
    void ringLengthMustBeAMultipleOf128Bytes() {
        assertThrows(IllegalStateException.class, () -> m.set32(0x1008, 100));
        assertThrows(IllegalStateException.class, () -> m.set32(0x6008, 200));
    }

    // ---------------------------------------------------------------- RSS, §7.1.2.8

    private static final ValueLayout.OfShort BE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** Link up, CRC strip, receive on queues 0..3 with 8 descriptors each, RSS as {@code mrqc} says. */
    private DmaAllocator.Region[] receiveWithRss(int mrqc, byte[] key, int[] reta) {
        m.linkDelayNs = 0;
        m.set32(0x42A0, 0x3 << 13 | 0x1000);
        m.get32(0x42A4);
        m.set32(0x4240, 0x2);
        m.set32(0x2F00, m.get32(0x2F00) | 0x2);
        for (int i = 0; i < 10; i++) {
            int word = 0;
            for (int j = 0; j < 4; j++) {
                word |= (key[4 * i + j] & 0xFF) << (8 * j);
            }
            m.set32(0x5C80 + 4 * i, word);
        }
        for (int i = 0; i < 32; i++) {
            int word = 0;
            for (int j = 0; j < 4; j++) {
                word |= reta[4 * i + j] << (8 * j);
            }
            m.set32(0x5C00 + 4 * i, word);
        }
        m.set32(0x5000, 0x2000); // RXCSUM.PCSD: the hash in the write-back
        m.set32(0x5818, mrqc);
        DmaAllocator.Region[] rings = new DmaAllocator.Region[4];
        for (int q = 0; q < 4; q++) {
            int base = 0x1000 + 0x40 * q;
            rings[q] = dma.allocate(8 * 16, 128);
            DmaAllocator.Region buffers = dma.allocate(8 * 2048, 4096);
            for (int i = 0; i < 8; i++) {
                rings[q].segment().set(ValueLayout.JAVA_LONG, i * 16L, buffers.ioAddress() + i * 2048L);
            }
            m.set32(base + 0x14, 0x0200_0002);
            m.set32(base, (int) rings[q].ioAddress());
            m.set32(base + 0x04, (int) (rings[q].ioAddress() >>> 32));
            m.set32(base + 0x08, 8 * 16);
            m.set32(base + 0x28, 0x0200_0000);
            m.set32(base + 0x18, 7);
        }
        m.set32(0x3000, 1);
        return rings;
    }

    /** An IPv4 frame to the model's MAC: {@code protocol}, flags/fragment offset, addresses, then ports. */
    private static int ipv4(MemorySegment f, int protocol, int fragment, int src, int dst, int sport, int dport) {
        f.fill((byte) 0);
        f.set(BE_INT, 0, (int) (MAC >>> 16));
        f.set(BE_SHORT, 4, (short) MAC);
        f.set(BE_SHORT, 12, (short) 0x0800);
        f.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        f.set(BE_SHORT, 16, (short) 60);
        f.set(BE_SHORT, 20, (short) fragment);
        f.set(ValueLayout.JAVA_BYTE, 22, (byte) 64);
        f.set(ValueLayout.JAVA_BYTE, 23, (byte) protocol);
        f.set(BE_INT, 26, src);
        f.set(BE_INT, 30, dst);
        f.set(BE_SHORT, 34, (short) sport);
        f.set(BE_SHORT, 36, (short) dport);
        return 74;
    }

    /** Which of queues 0..3 took the frame ({@code RDH} moved), with its write-back dwords 0 and 1. */
    private int[] arrival(DmaAllocator.Region[] rings, int[] heads) {
        for (int q = 0; q < 4; q++) {
            if (m.rxHead(q) != heads[q]) {
                long d = heads[q] * 16L;
                heads[q] = m.rxHead(q);
                MemorySegment ring = rings[q].segment();
                return new int[] {q, ring.get(ValueLayout.JAVA_INT, d) & 0xF, ring.get(ValueLayout.JAVA_INT, d + 4)};
            }
        }
        return new int[] {-1, 0, 0};
    }

    @Test
    void withTcpIpv4AloneEverythingElseGetsQueueZeroAndHashZeroWhateverRetaZeroHolds() {
        byte[] key = new byte[40];
        for (int i = 0; i < 40; i++) {
            key[i] = (byte) (i % 2 == 0 ? 0x6d : 0x5a);
        }
        int[] reta = new int[128];
        java.util.Arrays.fill(reta, 3); // RETA[0] = 3: a model that consulted it for "no hash" would say 3
        reta[5] = 1;
        DmaAllocator.Region[] rings = receiveWithRss(0x1 | 0x1_0000, key, reta);
        int[] heads = new int[4];
        int src = 0xC612_0001, dst = 0xC612_0002;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            m.receiveFrame(f, 0, ipv4(f, 6, 0x4000, src, dst, 40000, 80));
            int hash = ModelToeplitz.hash(key, new byte[] {(byte) 0xC6, 0x12, 0, 1, (byte) 0xC6, 0x12, 0, 2,
                    (byte) (40000 >>> 8), (byte) 40000, 0, 80}, 0, 12);
            assertArrayEquals(new int[] {reta[hash & 0x7F], 0x1, hash}, arrival(rings, heads),
                    "TCP (DF set): RETA at the hash's low bits, RSS type 1 (TcpIPv4), the hash");
            int[][] others = {
                {17, 0x4000}, // UDP: UdpIPv4 not enabled
                {1, 0}, // ICMP
                {6, 0x2000}, // first fragment of TCP (MF, offset 0): no ports are parsed
                {6, 0x2000 | 185}, // middle fragment
                {6, 370}, // last fragment
            };
            for (int[] o : others) {
                m.receiveFrame(f, 0, ipv4(f, o[0], o[1], src, dst, 40000, 80));
                assertArrayEquals(new int[] {0, 0, 0}, arrival(rings, heads),
                        "protocol " + o[0] + ", fragment field 0x" + Integer.toHexString(o[1]) + ": queue 0, type 0, hash 0");
            }
            f.set(BE_SHORT, 12, (short) 0x0806); // not IPv4 at all
            m.receiveFrame(f, 0, 60);
            assertArrayEquals(new int[] {0, 0, 0}, arrival(rings, heads), "ARP");
        }
    }

    @Test
    void withTheIpv4FieldAlsoEnabledUdpAndFragmentsHashTheAddresses() {
        byte[] key = new byte[40];
        for (int i = 0; i < 40; i++) {
            key[i] = (byte) (31 * i + 7);
        }
        int[] reta = new int[128];
        for (int i = 0; i < 128; i++) {
            reta[i] = i % 4;
        }
        DmaAllocator.Region[] rings = receiveWithRss(0x1 | 0x1_0000 | 0x2_0000, key, reta);
        int[] heads = new int[4];
        int src = 0xC612_0001, dst = 0xC612_0002;
        int hash = ModelToeplitz.hash(key, new byte[] {(byte) 0xC6, 0x12, 0, 1, (byte) 0xC6, 0x12, 0, 2}, 0, 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            m.receiveFrame(f, 0, ipv4(f, 17, 0x4000, src, dst, 40000, 53));
            assertArrayEquals(new int[] {hash & 3, 0x2, hash}, arrival(rings, heads), "UDP: IPv4 2-tuple, type 2");
            m.receiveFrame(f, 0, ipv4(f, 6, 0x2000, src, dst, 40000, 80));
            assertArrayEquals(new int[] {hash & 3, 0x2, hash}, arrival(rings, heads), "TCP first fragment: 2-tuple");
        }
    }
}
