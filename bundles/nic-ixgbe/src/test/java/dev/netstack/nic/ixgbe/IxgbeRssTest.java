package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.Toeplitz;
import dev.netstack.nic.ixgbe.model.Model82599;
import dev.netstack.nic.ixgbe.model.ModelToeplitz;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Receive-side scaling of {@link IxgbeDevice}, with the model in the loop: every unfragmented IPv4
 * TCP segment arrives on the queue {@link IxgbeDevice#rxQueueOf} names, the same for both
 * directions with the default key; everything else arrives on queue 0 (82599 §7.1.2.8.1).
 *
 * <p>Vectors: Microsoft, "Verifying the RSS Hash Calculation" (Windows driver documentation, RSS
 * section), IPv4 table; the 82599 datasheet reproduces them in §7.1.2.8.3 "RSS Verification
 * Suite". Randomized tests print their seed; {@code -Dixgbe.rss.seed=N} replays one.
 */
class IxgbeRssTest {

    /** The key of the verification suite. */
    static final String VERIFICATION_KEY =
            "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";

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

    private static long seed(String test) {
        long seed = Long.getLong("ixgbe.rss.seed", System.nanoTime());
        System.out.println("IxgbeRssTest." + test + " seed " + seed + " (-Dixgbe.rss.seed=" + seed + ")");
        return seed;
    }

    /** An address in 198.18.0.0/15. */
    private static int address(SplittableRandom random) {
        return 0xC612_0000 | random.nextInt(1 << 17);
    }

    @Test
    void modelHashMatchesThePublishedVectors() {
        byte[] key = IxgbeSettings.parseKey(VERIFICATION_KEY);
        for (Object[] v : VECTORS) {
            int dst = ip((String) v[0]), src = ip((String) v[1]);
            assertEquals((int) v[4], ModelToeplitz.hash(key, tuple(src, dst, 0, 0, false), 0, 8));
            assertEquals((int) v[5], ModelToeplitz.hash(key, tuple(src, dst, (int) v[3], (int) v[2], true), 0, 12));
        }
    }

    @Test
    void theDriversToeplitzAndTheModelsAgreeOnRandomKeysAndFlows() {
        long seed = seed("agree");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] key = new byte[40];
        for (int k = 0; k < 50; k++) {
            for (int i = 0; i < key.length; i++) {
                key[i] = (byte) random.nextInt(256);
            }
            for (int i = 0; i < 200; i++) {
                int src = random.nextInt(), dst = random.nextInt();
                int sport = random.nextInt(65536), dport = random.nextInt(65536);
                assertEquals(ModelToeplitz.hash(key, tuple(src, dst, sport, dport, true), 0, 12),
                        Toeplitz.hashTcp4(key, src, dst, sport, dport), "seed " + seed);
            }
        }
    }

    @Test
    void theDeviceHashesTcpOverIpv4OnlyWithTheSymmetricKey() {
        try (Rig rig = new Rig().open(Rig.settings().withQueues(4))) {
            assertEquals(0x1 | 1 << 16, rig.model.get32(0x5818), "MRQC: MRQE RSS, TcpIPv4 only");
            for (int i = 0; i < 10; i++) {
                int word = rig.model.get32(0x5C80 + 4 * i);
                for (int j = 0; j < 4; j++) {
                    assertEquals(Toeplitz.SYMMETRIC_KEY[4 * i + j], (byte) (word >>> (8 * j)), "RSSRK byte " + (4 * i + j));
                }
            }
            assertTrue(rig.device.capabilities().has(DeviceCapabilities.OFFLOAD_RSS));
        }
    }

    @Test
    void verificationVectorsArriveOnTheQueueOfTheirTcpHashAndUdpAndIcmpOnQueueZero() {
        int queues = 4;
        try (Rig rig = new Rig().open(Rig.settings().withQueues(queues).withRssKey(IxgbeSettings.parseKey(VERIFICATION_KEY)));
                Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            PacketBatch batch = new PacketBatch(64);
            int tcpOffQueueZero = 0;
            for (Object[] v : VECTORS) {
                int dst = ip((String) v[0]), src = ip((String) v[1]);
                int sport = (int) v[3], dport = (int) v[2];
                int expected = ((int) v[5] & 0x7F) % queues;
                assertEquals(expected, rig.device.rxQueueOf(src, dst, sport, dport), v[1] + " -> " + v[0]);
                tcpOffQueueZero += expected != 0 ? 1 : 0;
                int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, src, dst, sport, dport, 20, 1);
                assertEquals(expected, arrivalQueue(rig, f, len), "TCP " + v[1] + " -> " + v[0]);
                // UDP and ICMP with the same addresses (and ports): no enabled hash type, queue 0
                for (int protocol : new int[] {17, 1}) {
                    len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, protocol, src, dst, sport, dport, 20, 1);
                    assertEquals(0, arrivalQueue(rig, f, len), "protocol " + protocol + " " + v[1] + " -> " + v[0]);
                }
            }
            assertTrue(tcpOffQueueZero >= 2, "the vectors spread, so queue 0 for UDP and ICMP shows something");
        }
    }

    @Test
    void tcpFlowsArriveOnTheQueueRxQueueOfNamesInBothDirections() {
        long seed = seed("bothDirections");
        SplittableRandom random = new SplittableRandom(seed);
        for (int queues : new int[] {2, 3, 4, 16}) {
            int flows = 400;
            int[] perQueue = new int[queues];
            try (Rig rig = new Rig().open(Rig.settings().withQueues(queues)); Arena arena = Arena.ofConfined()) {
                MemorySegment f = arena.allocate(2048);
                for (int i = 0; i < flows; i++) {
                    int a = address(random), b = address(random);
                    int pa = 1 + random.nextInt(65535), pb = 1 + random.nextInt(65535);
                    int q = rig.device.rxQueueOf(a, b, pa, pb);
                    String flow = queues + " queues, flow " + i + ", seed " + seed;
                    assertEquals(q, rig.device.rxQueueOf(b, a, pb, pa), "rxQueueOf is symmetric: " + flow);
                    int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, a, b, pa, pb, 10, i);
                    assertEquals(q, arrivalQueue(rig, f, len), "a -> b: " + flow);
                    len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, b, a, pb, pa, 10, i);
                    assertEquals(q, arrivalQueue(rig, f, len), "b -> a: " + flow);
                    perQueue[q]++;
                }
            }
            for (int q = 0; q < queues; q++) {
                assertTrue(perQueue[q] > flows / queues / 3, queues + " queues: queue " + q + " got " + perQueue[q]
                        + " of " + flows + " flows, seed " + seed);
            }
        }
    }

    @Test
    void everythingButUnfragmentedTcpArrivesOnQueueZero() {
        long seed = seed("queueZero");
        SplittableRandom random = new SplittableRandom(seed);
        try (Rig rig = new Rig().open(Rig.settings().withQueues(4)); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            for (int i = 0; i < 50; i++) {
                int a = address(random), b = address(random);
                int pa = 1 + random.nextInt(65535), pb = 1 + random.nextInt(65535);
                int q = rig.device.rxQueueOf(a, b, pa, pb);
                if (q == 0) {
                    continue; // a flow of queue 0 would show nothing
                }
                String flow = "flow " + i + " of queue " + q + ", seed " + seed;
                int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, a, b, pa, pb, 64, i);
                assertEquals(q, arrivalQueue(rig, f, len), "the unfragmented segment: " + flow);
                // RFC 791 §3.1 fragments: first (MF, offset 0, the whole TCP header in it), middle, last
                for (int fragment : new int[] {0x2000, 0x2000 | 185, 370}) {
                    len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, a, b, pa, pb, 64, i);
                    Frames.fragment(f, 0, fragment);
                    assertEquals(0, arrivalQueue(rig, f, len), "TCP fragment 0x" + Integer.toHexString(fragment)
                            + ": " + flow);
                }
                len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 17, a, b, pa, pb, 64, i);
                assertEquals(0, arrivalQueue(rig, f, len), "UDP: " + flow);
                len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 1, a, b, 0x0800, 0, 56, i);
                assertEquals(0, arrivalQueue(rig, f, len), "ICMP: " + flow);
                len = Frames.arpRequest(f, 0, Rig.PEER_MAC, a, b);
                assertEquals(0, arrivalQueue(rig, f, len), "ARP: " + flow);
                len = Frames.ipv6Tcp(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, a, b, pa, pb);
                assertEquals(0, arrivalQueue(rig, f, len), "IPv6 TCP: " + flow);
                len = Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 64, i);
                assertEquals(0, arrivalQueue(rig, f, len), "EtherType 0x88B5: " + flow);
            }
        }
    }

    @Test
    void aConfiguredKeyStillNamesTheQueueOfEachSegmentButNotForBothDirections() {
        long seed = seed("configuredKey");
        SplittableRandom random = new SplittableRandom(seed);
        byte[] key = new byte[40];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) random.nextInt(256);
        }
        int queues = 4;
        int asymmetric = 0;
        IxgbeSettings settings = Rig.settings().withQueues(queues).withRssKey(key);
        assertFalse(settings.rssSymmetric(), "a random key is not symmetric, seed " + seed);
        try (Rig rig = new Rig().open(settings); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            for (int i = 0; i < 400; i++) {
                int src = address(random), dst = address(random);
                int sport = 1 + random.nextInt(65535), dport = 1 + random.nextInt(65535);
                int q = rig.device.rxQueueOf(src, dst, sport, dport);
                assertEquals((Toeplitz.hashTcp4(key, src, dst, sport, dport) & 0x7F) % queues, q);
                int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, src, dst, sport, dport, 10, i);
                assertEquals(q, arrivalQueue(rig, f, len), "flow " + i + ", seed " + seed);
                asymmetric += q != rig.device.rxQueueOf(dst, src, dport, sport) ? 1 : 0;
            }
        }
        assertTrue(asymmetric > 0, "with a random key some flows change queue with direction, seed " + seed);
    }

    @Test
    void bringUpWarnsOfANonSymmetricKeyOnlyWithSeveralQueues() {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(IxgbeDevice.class.getName());
        java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel() == java.util.logging.Level.WARNING) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try {
            byte[] verification = IxgbeSettings.parseKey(VERIFICATION_KEY);
            try (Rig rig = new Rig().open(Rig.settings().withQueues(4))) {
                assertEquals(java.util.List.of(), warnings, "the default key is symmetric");
            }
            try (Rig rig = new Rig().open(Rig.settings().withRssKey(verification))) {
                assertEquals(java.util.List.of(), warnings, "one queue: no RSS, nothing to warn of");
            }
            try (Rig rig = new Rig().open(Rig.settings().withQueues(4).withRssKey(verification))) {
                assertEquals(1, warnings.size(), warnings.toString());
                assertTrue(warnings.get(0).contains("rss.key is not symmetric"), warnings.get(0));
            }
        } finally {
            log.removeHandler(handler);
        }
    }

    @Test
    void oneQueueMeansNoRss() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            assertEquals(0, rig.model.get32(0x5818), "MRQC: RSS off");
            assertEquals(0, rig.device.rxQueueOf(0xC612_0001, 0xC612_0002, 40000, 80));
            MemorySegment f = arena.allocate(2048);
            int len = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, 1, 2, 3, 4, 0, 1);
            assertEquals(0, arrivalQueue(rig, f, len));
            assertFalse(rig.device.capabilities().has(DeviceCapabilities.OFFLOAD_RSS));
        }
    }

    /** Hands the frame to the model, polls every queue, and returns the queue it arrived on. */
    private static int arrivalQueue(Rig rig, MemorySegment frame, int length) {
        assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(frame, 0, length));
        PacketBatch batch = new PacketBatch(8);
        int arrivedOn = -1;
        for (int q = 0; q < rig.device.queueCount(); q++) {
            int n = rig.device.receive(q, batch);
            if (n > 0) {
                assertEquals(-1, arrivedOn, "one frame, one queue");
                assertEquals(1, n);
                assertEquals(q, batch.get(0).queue());
                arrivedOn = q;
            }
            batch.releaseAll();
        }
        assertNotEquals(-1, arrivedOn, "the frame arrived");
        return arrivedOn;
    }
}
