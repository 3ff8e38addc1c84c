package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlowHashTest {

    private static final int A = 0xC6120002; // 198.18.0.2
    private static final int B = 0xC6120001; // 198.18.0.1

    /** An Ethernet + IPv4 (+ 20 bytes of transport) frame. */
    private static byte[] frame(int etherType, int protocol, int flagsFragment, int src, int dst, int sport, int dport) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20);
        b.position(12);
        b.putShort((short) etherType);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 40).putShort((short) 1).putShort((short) flagsFragment);
        b.put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(src).putInt(dst);
        b.putShort((short) sport).putShort((short) dport);
        return b.array();
    }

    private static int queueOf(byte[] frame, int queues) {
        return FlowHash.queueOfFrame(MemorySegment.ofArray(frame), 0, frame.length, queues);
    }

    @Test
    void bothDirectionsOfAFlowHashAlike() {
        long seed = Long.getLong("flowhash.seed", System.nanoTime());
        System.out.println("FlowHashTest seed " + seed + " (-Dflowhash.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            int a = random.nextInt();
            int b = random.nextInt();
            int pa = random.nextInt(65536);
            int pb = random.nextInt(65536);
            assertEquals(FlowHash.hash(a, pa, b, pb), FlowHash.hash(b, pb, a, pa), "seed " + seed);
        }
    }

    @Test
    void successivePortsSpreadEvenlyOverQueues() {
        for (int queues = 2; queues <= 8; queues++) {
            int[] counts = new int[queues];
            for (int port = 32768; port < 32768 + 8000; port++) {
                counts[FlowHash.queueOf(A, B, port, 80, queues)]++;
            }
            for (int count : counts) {
                int expected = 8000 / queues;
                assertTrue(Math.abs(count - expected) < expected / 5, "queues " + queues + ": " + java.util.Arrays.toString(counts));
            }
        }
    }

    @Test
    void aFrameGoesToTheQueueOfItsFlowInEitherDirection() {
        int queues = 4;
        for (int port = 40000; port < 40100; port++) {
            int expected = FlowHash.queueOf(A, B, port, 80, queues);
            assertEquals(expected, queueOf(frame(0x0800, 6, 0x4000, A, B, port, 80), queues));
            assertEquals(expected, queueOf(frame(0x0800, 6, 0, B, A, 80, port), queues));
        }
    }

    @Test
    void everythingButUnfragmentedTcpGoesToQueueZero() {
        int port = 40000;
        while (FlowHash.queueOf(A, B, port, 80, 2) == 0) {
            port++;
        }
        assertEquals(1, queueOf(frame(0x0800, 6, 0x4000, A, B, port, 80), 2));
        assertEquals(0, queueOf(frame(0x0806, 6, 0x4000, A, B, port, 80), 2), "ARP");
        assertEquals(0, queueOf(frame(0x0800, 17, 0x4000, A, B, port, 80), 2), "UDP");
        assertEquals(0, queueOf(frame(0x0800, 1, 0x4000, A, B, port, 80), 2), "ICMP");
        assertEquals(0, queueOf(frame(0x0800, 6, 0x2000, A, B, port, 80), 2), "first fragment");
        assertEquals(0, queueOf(frame(0x0800, 6, 0x0010, A, B, port, 80), 2), "later fragment");
        assertEquals(0, queueOf(frame(0x0800, 6, 0x4000, A, B, port, 80), 1), "one queue");
    }

    @Test
    void truncatedOrMalformedFramesGoToQueueZero() {
        byte[] good = frame(0x0800, 6, 0, A, B, 40001, 80);
        for (int length = 0; length < 38; length++) {
            assertEquals(0, FlowHash.queueOfFrame(MemorySegment.ofArray(good), 0, length, 2), "length " + length);
        }
        byte[] badVersion = good.clone();
        badVersion[14] = 0x65;
        assertEquals(0, queueOf(badVersion, 2));
        byte[] shortIhl = good.clone();
        shortIhl[14] = 0x44;
        assertEquals(0, queueOf(shortIhl, 2));
        byte[] longIhl = good.clone();
        longIhl[14] = 0x4F; // 60-byte header: ports beyond the frame
        assertEquals(0, queueOf(longIhl, 2));
    }

    @Test
    void readsTheFrameAtItsOffset() {
        byte[] inner = frame(0x0800, 6, 0, A, B, 40001, 80);
        MemorySegment segment = MemorySegment.ofArray(new byte[inner.length + 7]);
        MemorySegment.copy(inner, 0, segment, ValueLayout.JAVA_BYTE, 7, inner.length);
        assertEquals(queueOf(inner, 3), FlowHash.queueOfFrame(segment, 7, inner.length, 3));
    }
}
