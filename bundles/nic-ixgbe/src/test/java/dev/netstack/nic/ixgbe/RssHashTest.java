package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.ixgbe.model.Model82599;
import dev.netstack.nic.ixgbe.model.Toeplitz;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * RSS: the Toeplitz hash against the published verification vectors, and flows spread over the
 * driver's queues by the model exactly as the hash and the redirection table say.
 *
 * <p>Vectors: Microsoft, "Verifying the RSS Hash Calculation" (Windows driver documentation, RSS
 * section), IPv4 table, with the key {@link IxgbeSettings#DEFAULT_RSS_KEY}; the 82599 datasheet
 * reproduces them in §7.1.2.8.3 "RSS Verification Suite" (found quoted so in DPDK's
 * app/test/test_thash.c).
 */
class RssHashTest {

    /** destination, source, destination port, source port, hash IPv4 only, hash IPv4 with TCP. */
    private static final Object[][] VECTORS = {
        {"161.142.100.80", "66.9.149.187", 1766, 2794, 0x323e8fc2, 0x51ccc178},
        {"65.69.140.83", "199.92.111.2", 4739, 14230, 0xd718262a, 0xc626b0ea},
        {"12.22.207.184", "24.19.198.95", 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
        {"209.142.163.6", "38.27.205.30", 2217, 48228, 0x82989176, 0xafc7327f},
        {"202.188.127.2", "153.39.163.191", 1303, 44251, 0x5d1809c5, 0x10e828a2},
    };

    private static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8
                | Integer.parseInt(p[3]);
    }

    private static int[] roundRobin(int queues) {
        int[] reta = new int[128];
        for (int i = 0; i < 128; i++) {
            reta[i] = i % queues;
        }
        return reta;
    }

    private static byte[] tuple(int src, int dst, int sport, int dport, boolean ports) {
        byte[] t = new byte[ports ? 12 : 8];
        for (int i = 0; i < 4; i++) {
            t[i] = (byte) (src >>> (24 - 8 * i));
            t[4 + i] = (byte) (dst >>> (24 - 8 * i));
        }
        if (ports) {
            t[8] = (byte) (sport >>> 8);
            t[9] = (byte) sport;
            t[10] = (byte) (dport >>> 8);
            t[11] = (byte) dport;
        }
        return t;
    }

    @Test
    void driverHashMatchesThePublishedVectors() {
        RssHash rss = new RssHash(IxgbeSettings.parseKey(IxgbeSettings.DEFAULT_RSS_KEY), roundRobin(1));
        for (Object[] v : VECTORS) {
            int dst = ip((String) v[0]), src = ip((String) v[1]);
            assertEquals((int) v[4], rss.ipv4(src, dst), "IPv4 only " + v[1] + " -> " + v[0]);
            assertEquals((int) v[5], rss.ipv4Ports(src, dst, (int) v[3], (int) v[2]), "IPv4/TCP " + v[1] + " -> " + v[0]);
        }
    }

    @Test
    void modelHashMatchesThePublishedVectors() {
        byte[] key = IxgbeSettings.parseKey(IxgbeSettings.DEFAULT_RSS_KEY);
        for (Object[] v : VECTORS) {
            int dst = ip((String) v[0]), src = ip((String) v[1]);
            assertEquals((int) v[4], Toeplitz.hash(key, tuple(src, dst, 0, 0, false), 0, 8));
            assertEquals((int) v[5], Toeplitz.hash(key, tuple(src, dst, (int) v[3], (int) v[2], true), 0, 12));
        }
    }

    @Test
    void vectorPacketsLandOnTheQueueTheRedirectionTablePicks() {
        try (Rig rig = new Rig().open(Rig.settings().withQueues(4)); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            PacketBatch batch = new PacketBatch(64);
            for (Object[] v : VECTORS) {
                int dst = ip((String) v[0]), src = ip((String) v[1]);
                // TCP and UDP hash the 4-tuple; ICMP (protocol 1) only the addresses
                int[][] cases = {{6, (int) v[5]}, {17, (int) v[5]}, {1, (int) v[4]}};
                for (int[] c : cases) {
                    int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, c[0], src, dst, (int) v[3], (int) v[2],
                            20, 1);
                    assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, len));
                    int expected = (c[1] & 0x7F) % 4;
                    assertEquals(1, receiveAny(rig.device, batch), "one frame arrives");
                    PacketBuffer b = batch.get(0);
                    assertEquals(expected, b.queue(), "protocol " + c[0] + " " + v[1] + " -> " + v[0]);
                    assertEquals(expected, rig.device.rssHash().queueOf(c[1]));
                    batch.releaseAll();
                }
            }
        }
    }

    @Test
    void randomFlowsSpreadOverQueuesAsTheHashSaysWithAConfiguredKey() {
        long seed = System.nanoTime();
        System.out.println("RssHashTest seed " + seed);
        Random random = new Random(seed);
        byte[] key = new byte[40];
        random.nextBytes(key);
        int queues = 4;
        int[] perQueue = new int[queues];
        try (Rig rig = new Rig().open(Rig.settings().withQueues(queues).withRssKey(key));
                Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            PacketBatch batch = new PacketBatch(64);
            for (int i = 0; i < 2000; i++) {
                int src = 0xC612_0000 | random.nextInt(1 << 16), dst = 0xC613_0000 | random.nextInt(1 << 16);
                int sport = 1024 + random.nextInt(60000), dport = 1 + random.nextInt(65535);
                int protocol = random.nextBoolean() ? 6 : 17;
                int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, protocol, src, dst, sport, dport, 10, i);
                assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, len));
                int hash = Toeplitz.hash(key, tuple(src, dst, sport, dport, true), 0, 12);
                assertEquals(hash, rig.device.rssHash().ipv4Ports(src, dst, sport, dport), "seed " + seed);
                int expected = (hash & 0x7F) % queues;
                assertEquals(1, receiveAny(rig.device, batch));
                assertEquals(expected, batch.get(0).queue(), "flow " + i + ", seed " + seed);
                perQueue[expected]++;
                batch.releaseAll();
            }
        }
        for (int q = 0; q < queues; q++) {
            assertTrue(perQueue[q] > 2000 / queues / 2, "queue " + q + " got " + perQueue[q] + ", seed " + seed);
        }
    }

    @Test
    void oneQueueMeansNoRss() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, 1, 2, 3, 4, 0, 1);
            rig.model.receiveFrame(f, 0, len);
            PacketBatch batch = new PacketBatch(4);
            assertEquals(1, rig.device.receive(0, batch));
            batch.releaseAll();
            assertFalse(rig.device.capabilities().has(dev.netstack.nic.DeviceCapabilities.OFFLOAD_RSS));
        }
    }

    /** Polls every queue; the received buffer's queue() says where it came from. */
    private static int receiveAny(IxgbeDevice device, PacketBatch batch) {
        int n = 0;
        for (int q = 0; q < device.queueCount(); q++) {
            n += device.receive(q, batch);
        }
        return n;
    }
}
