package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.Toeplitz;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RssConfigTest {

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** What QEMU 7.2's virtio-net-pci with rss=on reports: VIRTIO_NET_RSS_MAX_KEY_SIZE, _MAX_TABLE_LEN, supported hashes. */
    private static final int QEMU_KEY = 40;
    private static final int QEMU_TABLE = 128;
    private static final int QEMU_HASHES = 0x1ff;

    private static final int HOST = 0xC6120B01; // 198.18.11.1
    private static final int GUEST = 0xC6120B02; // 198.18.11.2

    @Test
    void commandDataHasTheSpecLayoutLittleEndianOverA5() {
        RssConfig config = RssConfig.forDevice(2, QEMU_KEY, QEMU_TABLE);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(512);
            s.fill((byte) 0xA5);
            int n = config.writeTo(s, 3);
            assertEquals(4 + 2 + 2 + 2 * 128 + 2 + 1 + 40, n);
            assertEquals(n, config.bytes());
            byte[] b = s.asSlice(3, n).toArray(ValueLayout.JAVA_BYTE);
            // hash_types = VIRTIO_NET_RSS_HASH_TYPE_TCPv4 (bit 1), mask 127, unclassified_queue 0, table 0 1 0 1 ...
            assertEquals("02000000" + "7f00" + "0000" + "0000" + "0100" + "0000" + "0100",
                    HexFormat.of().formatHex(b, 0, 16));
            for (int i = 0; i < 128; i++) {
                assertEquals(i % 2, s.get(LE16, 3 + 8 + 2L * i), "indirection_table[" + i + "]");
            }
            int tail = 8 + 2 * 128;
            assertEquals("0200" + "28", HexFormat.of().formatHex(b, tail, tail + 3), "max_tx_vq 2, hash_key_length 40");
            byte[] key = new byte[40];
            System.arraycopy(b, tail + 3, key, 0, 40);
            assertArrayEquals(Toeplitz.SYMMETRIC_KEY, key);
            assertEquals("6d5a6d5a", HexFormat.of().formatHex(key, 0, 4));
            assertEquals((byte) 0xA5, s.get(ValueLayout.JAVA_BYTE, 2), "nothing written before the offset");
            assertEquals((byte) 0xA5, s.get(ValueLayout.JAVA_BYTE, 3 + n), "nothing written after the data");
        }
    }

    @Test
    void tableSpreadsEntriesRoundRobinOverThePairs() {
        RssConfig config = new RssConfig(3, 128, Toeplitz.SYMMETRIC_KEY);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(config.bytes());
            config.writeTo(s, 0);
            assertEquals(127, s.get(LE16, 4));
            for (int i = 0; i < 128; i++) {
                assertEquals(i % 3, s.get(LE16, 8 + 2L * i));
            }
            assertEquals(3, s.get(LE16, 8 + 256), "max_tx_vq");
        }
    }

    /** The queue the driver predicts is the one a device computes from the bytes it was sent (§5.1.6.4.3). */
    @Test
    void queueOfIsTheTableEntryOfTheToeplitzHashOfTheWrittenKey() {
        long seed = Long.getLong("rss.seed", System.nanoTime());
        System.out.println("RssConfigTest seed " + seed + " (-Drss.seed= to repeat)");
        SplittableRandom random = new SplittableRandom(seed);
        for (int pairs : new int[] {2, 3, 4, 8}) {
            RssConfig config = RssConfig.forDevice(pairs, QEMU_KEY, QEMU_TABLE);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(config.bytes());
                config.writeTo(s, 0);
                int mask = s.get(LE16, 4);
                int tableEnd = 8 + 2 * (mask + 1);
                byte[] key = s.asSlice(tableEnd + 3, s.get(ValueLayout.JAVA_BYTE, tableEnd + 2))
                        .toArray(ValueLayout.JAVA_BYTE);
                int[] seen = new int[pairs];
                for (int i = 0; i < 2000; i++) {
                    int src = random.nextInt();
                    int dst = random.nextInt();
                    int sport = random.nextInt(65536);
                    int dport = random.nextInt(65536);
                    byte[] input = new byte[12];
                    putBe(input, 0, src, 4);
                    putBe(input, 4, dst, 4);
                    putBe(input, 8, sport, 2);
                    putBe(input, 10, dport, 2);
                    int hash = Toeplitz.hash(key, input); // the byte-wise reference, not hashTcp4
                    int device = s.get(LE16, 8 + 2L * (hash & mask));
                    int q = config.queueOf(src, dst, sport, dport);
                    assertEquals(device, q, "seed " + seed);
                    assertEquals(q, config.queueOf(dst, src, dport, sport), "symmetric, seed " + seed);
                    seen[q]++;
                }
                for (int q = 0; q < pairs; q++) {
                    assertTrue(seen[q] > 0, "queue " + q + " gets flows, seed " + seed);
                }
            }
        }
    }

    @Test
    void queueOfAllocatesNothing() {
        RssConfig config = RssConfig.forDevice(4, QEMU_KEY, QEMU_TABLE);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int sink = 0;
        for (int i = 0; i < 200_000; i++) { // warm up: compiled, escape analysis done
            sink += config.queueOf(HOST, GUEST, i & 0xffff, 80);
        }
        int calls = 1_000_000;
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            sink += config.queueOf(HOST + i, GUEST, i & 0xffff, 80);
        }
        long bytes = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(bytes < calls, bytes + " bytes allocated in " + calls + " calls (sink " + sink + ")");
    }

    @Test
    void aShorterKeyLimitCutsTheKeyAndKeepsEveryQueue() {
        RssConfig full = RssConfig.forDevice(4, 40, 128);
        RssConfig cut = RssConfig.forDevice(4, 16, 128);
        assertEquals(16, cut.key().length);
        for (int port = 1024; port < 3072; port++) {
            assertEquals(full.queueOf(HOST, GUEST, port, 80), cut.queueOf(HOST, GUEST, port, 80));
        }
    }

    @Test
    void aSmallerTableLimitTakesTheLargestPowerOfTwoBelowIt() {
        assertEquals(128, RssConfig.forDevice(2, 40, 4096).tableEntries());
        assertEquals(64, RssConfig.forDevice(2, 40, 100).tableEntries());
        assertEquals(1, RssConfig.forDevice(2, 40, 1).tableEntries());
    }

    @Test
    void devicesThatCannotHashTcp4AreNamed() {
        assertNull(RssConfig.unusableReason(QEMU_KEY, QEMU_TABLE, QEMU_HASHES));
        assertNotNull(RssConfig.unusableReason(QEMU_KEY, QEMU_TABLE, RssConfig.HASH_TYPE_IPV4));
        assertNotNull(RssConfig.unusableReason(8, QEMU_TABLE, QEMU_HASHES));
        assertNotNull(RssConfig.unusableReason(QEMU_KEY, 0, QEMU_HASHES));
    }

    @Test
    void badParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RssConfig(0, 128, Toeplitz.SYMMETRIC_KEY));
        assertThrows(IllegalArgumentException.class, () -> new RssConfig(2, 100, Toeplitz.SYMMETRIC_KEY));
        assertThrows(IllegalArgumentException.class, () -> new RssConfig(2, 128, new byte[8]));
    }

    private static void putBe(byte[] b, int at, int value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            b[at + i] = (byte) (value >>> (8 * (bytes - 1 - i)));
        }
    }
}
