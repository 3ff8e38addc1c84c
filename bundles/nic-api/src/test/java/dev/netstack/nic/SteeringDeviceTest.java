package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class SteeringDeviceTest {

    // ---- one thread drives every lane: the rules, frame by frame ----

    @Test
    void steersTcpFlowsToTheirQueueAndEverythingElseToQueueZero() {
        Traffic traffic = new Traffic(7, 200, 4);
        Wire wire = new Wire(1024, false);
        SteeringDevice device = new SteeringDevice(wire, 4);
        PacketBatch batch = new PacketBatch();
        for (int j = 1; j < 4; j++) {
            assertEquals(0, device.receive(j, batch)); // lanes supply their empty buffers
        }
        int[] expected = new int[4];
        for (int f = 0; f < traffic.flows; f++) {
            PacketBuffer b = wire.pool.allocate();
            traffic.write(b, f, 0, false);
            wire.queued.add(b);
            expected[traffic.queueOf[f]]++;
        }
        assertTrue(expected[1] > 0 && expected[2] > 0 && expected[3] > 0, "flows cover every queue");
        int[] got = new int[4];
        while (!wire.queued.isEmpty() || got[0] < expected[0]) {
            int n = device.receive(0, batch);
            for (int i = 0; i < n; i++) {
                PacketBuffer b = batch.get(i);
                int flow = Traffic.flowOf(b);
                assertEquals(0, traffic.queueOf[flow], "flow " + flow + " of kind " + traffic.kind[flow]);
                assertTrue(traffic.intact(b, flow, 0, false));
                got[0]++;
            }
            batch.releaseAll();
        }
        for (int j = 1; j < 4; j++) {
            int n;
            while ((n = device.receive(j, batch)) > 0) {
              for (int i = 0; i < n; i++) {
                PacketBuffer b = batch.get(i);
                int flow = Traffic.flowOf(b);
                assertEquals(j, traffic.queueOf[flow]);
                assertEquals(Traffic.TCP, traffic.kind[flow]);
                assertEquals(j, b.queue());
                assertSame(device.pool(j), b.pool());
                assertTrue(traffic.intact(b, flow, 0, false));
              }
              got[j] += n;
              batch.releaseAll();
            }
        }
        assertArrayEquals(expected, got);
        assertEquals(0, wire.pool.inUse(), "inner buffers released at once");
        assertEquals(expected[0], device.counters(0).rxPackets);
        assertEquals(expected[2], device.counters(2).rxPackets);
        device.close();
        assertTrue(wire.closed);
        for (int j = 1; j < 4; j++) {
            assertEquals(0, device.pool(j).inUse(), "lane " + j + " supply released by close");
        }
    }

    @Test
    void dropsAndCountsFramesForALaneThatHasNoEmptyBuffer() {
        Traffic traffic = new Traffic(11, 64, 2);
        Wire wire = new Wire(256, false);
        // a lane of 8 buffers supplies 4 (half), so the fifth frame for it finds none
        SteeringDevice device = new SteeringDevice(wire, 2, new SteeringDevice.Settings(8, 1, 64));
        PacketBatch batch = new PacketBatch();
        int flow = traffic.firstFlowOf(1);
        for (int seq = 0; seq < 6; seq++) {
            PacketBuffer b = wire.pool.allocate();
            traffic.write(b, flow, seq, false);
            wire.queued.add(b);
        }
        device.receive(0, batch); // lane 1 has supplied nothing yet: every frame dropped
        assertEquals(0, device.receive(1, batch));
        assertEquals(6, device.counters(1).rxDropped);
        assertEquals(4, device.pool(1).inUse(), "half the lane's pool is out as supply");
        for (int seq = 6; seq < 12; seq++) {
            PacketBuffer b = wire.pool.allocate();
            traffic.write(b, flow, seq, false);
            wire.queued.add(b);
        }
        device.receive(0, batch);
        assertEquals(4, device.receive(1, batch));
        for (int i = 0; i < 4; i++) {
            assertEquals(6 + i, Traffic.seqOf(batch.get(i)), "the first four in order, the rest dropped");
        }
        batch.releaseAll();
        assertEquals(8, device.counters(1).rxDropped);
        assertEquals(0, wire.pool.inUse());
        device.close();
        assertEquals(0, device.pool(1).inUse());
    }

    @Test
    void laneTransmitLeavesThroughLaneZeroWithItsOffloadRequests() {
        Traffic traffic = new Traffic(3, 64, 3);
        Wire wire = new Wire(256, false);
        List<byte[]> sent = new ArrayList<>();
        List<int[]> offloads = new ArrayList<>();
        wire.sink = b -> {
            sent.add(bytes(b));
            offloads.add(new int[] {b.flags(), b.checksumStart(), b.checksumOffset(), b.segmentBytes(),
                    b.networkOffset() - b.offset(), b.transportOffset() - b.offset(), b.linkOffset() - b.offset()});
        };
        SteeringDevice device = new SteeringDevice(wire, 3);
        int flow = traffic.firstFlowOf(2);
        PacketBatch batch = new PacketBatch();
        PacketBuffer frame = device.pool(2).allocate();
        traffic.write(frame, flow, 5, true);
        frame.setLinkOffset(frame.offset()).setNetworkOffset(frame.offset() + 14).setTransportOffset(frame.offset() + 34);
        frame.setChecksumRequest(34, 16).setSegmented(1448);
        frame.setFlags(frame.flags() | PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        byte[] expected = bytes(frame);
        batch.add(frame);
        assertEquals(1, device.transmit(2, batch));
        batch.clear();
        assertTrue(sent.isEmpty(), "nothing leaves until lane 0 runs");
        assertEquals(1, device.pool(2).inUse(), "the lane's buffer is still the lane's");
        device.receive(0, batch);
        assertEquals(1, sent.size());
        assertArrayEquals(expected, sent.get(0));
        assertArrayEquals(new int[] {PacketBuffer.FLAG_CHECKSUM_VERIFIED | PacketBuffer.FLAG_CHECKSUM_PARTIAL
                | PacketBuffer.FLAG_SEGMENTED, 34, 16, 1448, 14, 34, 0}, offloads.get(0));
        assertEquals(1, device.relayedFrames());
        assertEquals(0, device.relayedFrames());
        assertEquals(1, device.pool(2).inUse(), "returned, released at the lane's next call");
        device.receive(2, batch);
        assertEquals(0, device.pool(2).inUse() - suppliedBy(device, 2, SteeringDevice.Settings.DEFAULT_RING_FRAMES));
        assertEquals(1, device.counters(2).txPackets);
        assertEquals(expected.length, device.counters(2).txBytes);
        assertEquals(0, wire.pool.inUse());
        device.close();
    }

    @Test
    void fullTransmitRingTakesFewerAndTheCallerKeepsTheRest() {
        Traffic traffic = new Traffic(5, 64, 2);
        Wire wire = new Wire(256, false);
        List<Long> seqs = new ArrayList<>();
        wire.sink = b -> seqs.add(Traffic.seqOf(b));
        SteeringDevice device = new SteeringDevice(wire, 2, new SteeringDevice.Settings(64, 1, 4));
        int flow = traffic.firstFlowOf(1);
        PacketBatch batch = new PacketBatch(16);
        for (int seq = 0; seq < 10; seq++) {
            PacketBuffer b = device.pool(1).allocate();
            traffic.write(b, flow, seq, true);
            batch.add(b);
        }
        assertEquals(4, device.transmit(1, batch));
        batch.removeFirst(4);
        assertEquals(0, device.transmit(1, batch), "ring full: the caller keeps the frames");
        device.receive(0, new PacketBatch());
        assertEquals(0, device.transmit(1, new PacketBatch(1)));
        while (!batch.isEmpty()) {
            int n = device.transmit(1, batch);
            batch.removeFirst(n);
            device.transmit(0, new PacketBatch(1));
        }
        device.receive(0, new PacketBatch());
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seqs);
        device.receive(1, batch);
        assertEquals(0, device.pool(1).inUse() - suppliedBy(device, 1, 4));
        device.close();
        assertEquals(0, device.pool(1).inUse());
    }

    @Test
    void framesTheInnerDeviceRefusesWaitInOrderForLaneZerosNextCall() {
        Traffic traffic = new Traffic(9, 64, 2);
        Wire wire = new Wire(256, false);
        List<Long> seqs = new ArrayList<>();
        wire.sink = b -> seqs.add(Traffic.seqOf(b));
        wire.txLimit = 1;
        SteeringDevice device = new SteeringDevice(wire, 2);
        int flow = traffic.firstFlowOf(1);
        PacketBatch batch = new PacketBatch();
        for (int seq = 0; seq < 5; seq++) {
            PacketBuffer b = device.pool(1).allocate();
            traffic.write(b, flow, seq, true);
            batch.add(b);
        }
        assertEquals(5, device.transmit(1, batch));
        batch.clear();
        for (int turn = 1; turn <= 5; turn++) {
            device.receive(0, batch);
            assertEquals(turn, seqs.size(), "one frame per call while the inner device takes one");
        }
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), seqs);
        assertEquals(0, wire.pool.inUse(), "every copy sent and released");
        device.close();
    }

    @Test
    void framesLongerThanAPoolBufferUseLargeBuffersBothWays() {
        Wire wire = new Wire(64, true);
        List<byte[]> sent = new ArrayList<>();
        List<Integer> segments = new ArrayList<>();
        wire.sink = b -> {
            sent.add(bytes(b));
            segments.add(b.hasFlag(PacketBuffer.FLAG_SEGMENTED) ? b.segmentBytes() : 0);
        };
        SteeringDevice device = new SteeringDevice(wire, 2, new SteeringDevice.Settings(64, 2, 64));
        Traffic traffic = new Traffic(13, 64, 2);
        int flow = traffic.firstFlowOf(1);
        PacketBatch batch = new PacketBatch();
        device.receive(1, batch);

        PacketBuffer big = wire.largePool.allocate();
        byte[] coalesced = traffic.bigFrame(flow, 30_000);
        big.setData(big.offset(), coalesced.length);
        MemorySegment.copy(coalesced, 0, big.segment(), ValueLayout.JAVA_BYTE, big.offset(), coalesced.length);
        big.setSegmented(1448).setFlags(big.flags() | PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        wire.queued.add(big);
        device.receive(0, batch);
        assertEquals(0, wire.largePool.inUse());
        assertEquals(1, device.receive(1, batch));
        PacketBuffer got = batch.get(0);
        assertArrayEquals(coalesced, bytes(got));
        assertEquals(1448, got.segmentBytes());
        assertTrue(got.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        batch.releaseAll();

        Arena arena = Arena.ofAuto();
        PacketPool stackLarge = PacketPool.create("ip-segmentation", PacketMemory.offHeap(arena, 2 * 65_536), 2, 65_536, 256);
        PacketBuffer out = stackLarge.allocate();
        byte[] segmented = traffic.bigFrame(flow, 20_000);
        out.setData(out.offset(), segmented.length);
        MemorySegment.copy(segmented, 0, out.segment(), ValueLayout.JAVA_BYTE, out.offset(), segmented.length);
        out.setTransportOffset(out.offset() + 34).setSegmented(1448).setChecksumRequest(34, 16);
        batch.add(out);
        assertEquals(1, device.transmit(1, batch));
        batch.clear();
        device.receive(0, batch);
        assertEquals(1, sent.size());
        assertArrayEquals(segmented, sent.get(0));
        assertEquals(List.of(1448), segments);
        device.receive(1, batch);
        assertEquals(0, stackLarge.inUse(), "the lane released its large buffer once sent");
        device.close();
        assertEquals(0, device.pool(1).inUse());
    }

    @Test
    void aLaneWakesLaneZeroWhenItsTransmitRingWasEmptyAndLaneZeroReportsWhatItRelayed() {
        Traffic traffic = new Traffic(21, 64, 2);
        Wire wire = new Wire(256, false);
        SteeringDevice device = new SteeringDevice(wire, 2);
        AtomicInteger wakeups = new AtomicInteger();
        device.setTransmitWakeup(wakeups::incrementAndGet);
        int flow = traffic.firstFlowOf(1);
        PacketBatch batch = new PacketBatch();
        for (int call = 0; call < 3; call++) {
            PacketBuffer b = device.pool(1).allocate();
            traffic.write(b, flow, call, true);
            batch.add(b);
            assertEquals(1, device.transmit(1, batch));
            batch.clear();
        }
        assertEquals(1, wakeups.get(), "only the send into an empty ring wakes lane 0");
        device.receive(1, batch); // supplies empty buffers
        for (int seq = 0; seq < 2; seq++) {
            PacketBuffer b = wire.pool.allocate();
            traffic.write(b, flow, seq, false);
            wire.queued.add(b);
        }
        assertEquals(0, device.receive(0, batch), "nothing for lane 0 itself");
        assertEquals(5, device.relayedFrames(), "three sent and two received for lane 1");
        PacketBuffer b = device.pool(1).allocate();
        traffic.write(b, flow, 3, true);
        batch.add(b);
        device.transmit(1, batch);
        batch.clear();
        assertEquals(2, wakeups.get(), "the ring was empty again");
        device.close();
        assertEquals(0, device.pool(1).inUse());
    }

    @Test
    void advertisesItsQueuesRssAndTheFlowHash() {
        Wire wire = new Wire(128, true);
        SteeringDevice device = new SteeringDevice(wire, 4, new SteeringDevice.Settings(300, 1, 64));
        DeviceCapabilities caps = device.capabilities();
        assertEquals(4, caps.queues());
        assertEquals(4, device.queueCount());
        assertTrue(caps.has(DeviceCapabilities.OFFLOAD_RSS));
        assertTrue(caps.has(DeviceCapabilities.OFFLOAD_TSO), "the inner device's offloads stay");
        assertEquals(wire.capabilities().maxFrameBytes(), caps.maxFrameBytes());
        int a = 0xC6120001;
        int b = 0xC6120002;
        for (int port = 40_000; port < 40_100; port++) {
            assertEquals(FlowHash.queueOf(a, b, port, 80, 4), device.rxQueueOf(a, b, port, 80));
            assertEquals(device.rxQueueOf(a, b, port, 80), device.rxQueueOf(b, a, 80, port));
        }
        assertEquals(42, device.readinessFd(0));
        assertEquals(-1, device.readinessFd(3));
        assertSame(wire.pool, device.pool(0));
        assertEquals(300, device.pool(1).capacity());
        assertEquals(wire.pool.bufferSize(), device.pool(2).bufferSize());
        assertEquals(wire.pool.headroom(), device.pool(3).headroom());
        assertThrows(IndexOutOfBoundsException.class, () -> device.pool(4));
        assertThrows(IndexOutOfBoundsException.class, () -> device.receive(-1, new PacketBatch()));
        assertSame(wire, device.inner());
        device.close();
    }

    @Test
    void refusesADeviceWithSeveralQueues() {
        Wire wire = new Wire(16, false);
        SteeringDevice twice = new SteeringDevice(wire, 2);
        assertThrows(IllegalArgumentException.class, () -> new SteeringDevice(twice, 2));
        assertThrows(IllegalArgumentException.class, () -> new SteeringDevice(wire, 0));
        twice.close();
    }

    @Test
    void closeReleasesEveryBufferHeldInRingsAndClosesTheInnerDevice() {
        Traffic traffic = new Traffic(17, 64, 3);
        Wire wire = new Wire(256, false);
        wire.txLimit = 0; // the inner device takes nothing: copies wait
        SteeringDevice device = new SteeringDevice(wire, 3);
        PacketBatch batch = new PacketBatch();
        device.receive(1, batch);
        device.receive(2, batch);
        for (int j = 1; j < 3; j++) {
            int flow = traffic.firstFlowOf(j);
            for (int seq = 0; seq < 3; seq++) {
                PacketBuffer b = wire.pool.allocate();
                traffic.write(b, flow, seq, false);
                wire.queued.add(b);
                PacketBuffer t = device.pool(j).allocate();
                traffic.write(t, flow, seq, true);
                batch.add(t);
                device.transmit(j, batch);
                batch.clear();
            }
        }
        device.receive(0, batch); // fills the lanes' rings, copies their sends into waiting inner buffers
        assertTrue(wire.pool.inUse() > 0);
        device.close();
        device.close();
        assertTrue(wire.closed);
        assertEquals(0, wire.pool.inUse());
        assertEquals(0, device.pool(1).inUse());
        assertEquals(0, device.pool(2).inUse());
        assertEquals(0, device.receive(1, batch), "a closed device receives nothing");
    }

    // ---- real threads: every lane on its own thread ----

    @Test
    void threeLanesRelayTwoHundredThousandFramesEachWayIntactInOrderWithoutDrops() throws Exception {
        Run run = new Run(0x5EED, 3, 200_000, 66_667, 64, false, false);
        run.execute();
        run.assertClean();
        assertEquals(0, run.totalDropped(), "no drop while every lane keeps up");
        System.out.println("steering, 3 lanes: " + run.summary());
    }

    @Test
    void randomizedLanesCountEveryDropAndKeepOrderAndLeakNothing() throws Exception {
        long seed = Long.getLong("steering.seed", System.nanoTime());
        System.out.println("SteeringDeviceTest randomized seed=" + seed + " (-Dsteering.seed=" + seed + " to repeat)");
        SplittableRandom random = new SplittableRandom(seed);
        int queues = 2 + random.nextInt(3);
        Run run = new Run(seed, queues, 60_000 + random.nextInt(60_000), 10_000 + random.nextInt(20_000),
                random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(128), true, false);
        run.exact = false; // lanes may fall behind: frames drop, and every drop must be counted
        run.laneBuffers = 8 + random.nextInt(random.nextBoolean() ? 120 : 1000);
        run.ringFrames = 1 + random.nextInt(random.nextBoolean() ? 64 : 512);
        run.execute();
        run.assertClean();
        System.out.println("steering, seed " + seed + ", " + queues + " lanes, " + run.laneBuffers + " buffers per lane, rings of "
                + run.ringFrames + ", window " + run.window + ": " + run.summary());
    }

    @Test
    void allocatesLessThanAByteAFrameOnEveryLane() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        long before = mx.getCurrentThreadAllocatedBytes();
        sink = new byte[10_000];
        assertTrue(mx.getCurrentThreadAllocatedBytes() - before >= 10_000, "the meter sees allocation");
        Run run = new Run(0xA110C, 3, 300_000, 100_000, 64, false, true);
        run.execute();
        run.assertClean();
        for (int j = 0; j < 3; j++) {
            double perFrame = (double) run.allocatedBytes[j] / run.measuredFrames[j];
            System.out.printf("steering allocation, lane %d: %d bytes over %d frames = %.4f B/frame%n",
                    j, run.allocatedBytes[j], run.measuredFrames[j], perFrame);
            assertTrue(run.measuredFrames[j] > 50_000, "measured over many frames");
            assertTrue(perFrame < 1.0, "lane " + j + " allocates " + perFrame + " bytes per frame");
        }
    }

    // ---- fixtures ----

    /** Keeps the meter check's array reachable. */
    static volatile byte[] sink;

    private static int suppliedBy(SteeringDevice device, int lane, int ringFrames) {
        // buffers a lane keeps out as supply: half its pool, at most a ring
        return Math.min(ringFrames, device.pool(lane).capacity() / 2);
    }

    static byte[] bytes(PacketBuffer b) {
        byte[] out = new byte[b.length()];
        MemorySegment.copy(b.segment(), ValueLayout.JAVA_BYTE, b.offset(), out, 0, out.length);
        return out;
    }

    /**
     * Frames of many flows, each frame naming its flow and sequence number and carrying bytes
     * derived from both, so that a receiver checks them without a copy of what was sent.
     *
     * <pre>
     *  0 Ethernet | 14 IPv4 (TCP, UDP, TCP fragment) or ARP body | 34 ports | 54 flow (4) | 58 seq (8) | 66 filler
     * </pre>
     */
    static final class Traffic {
        static final int TCP = 0;
        static final int UDP = 1;
        static final int ARP = 2;
        static final int FRAGMENT = 3;
        static final int MARKER = 54;
        static final int FILL = 66;
        static final int MAX = 1514;
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

        final int flows;
        final int[] kind;
        final int[] addrA;
        final int[] addrB;
        final int[] portA;
        final int[] portB;
        final int[] queueOf;

        Traffic(long seed, int flows, int queues) {
            SplittableRandom random = new SplittableRandom(seed);
            this.flows = flows;
            kind = new int[flows];
            addrA = new int[flows];
            addrB = new int[flows];
            portA = new int[flows];
            portB = new int[flows];
            queueOf = new int[flows];
            for (int f = 0; f < flows; f++) {
                int k = random.nextInt(10);
                kind[f] = k < 7 ? TCP : k == 7 ? UDP : k == 8 ? ARP : FRAGMENT;
                addrA[f] = 0xC6120000 | random.nextInt(1 << 17); // 198.18.0.0/15
                addrB[f] = 0xC6120000 | random.nextInt(1 << 17);
                portA[f] = 1024 + random.nextInt(64_512);
                portB[f] = 1 + random.nextInt(65_535);
                queueOf[f] = kind[f] == TCP ? FlowHash.queueOf(addrA[f], addrB[f], portA[f], portB[f], queues) : 0;
            }
        }

        int firstFlowOf(int queue) {
            for (int f = 0; f < flows; f++) {
                if (queueOf[f] == queue) {
                    return f;
                }
            }
            throw new AssertionError("no flow of queue " + queue);
        }

        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        static long key(int flow, long seq, boolean tx) {
            return mix(mix(flow * 0x9E3779B97F4A7C15L + seq) ^ (tx ? 0x7A7A7A7AL : 0));
        }

        static int length(long key) {
            return FILL + (int) Long.remainderUnsigned(mix(key ^ 0x5555), MAX - FILL + 1);
        }

        /** Whether a receive frame carries FLAG_CHECKSUM_VERIFIED. */
        static boolean verified(long key) {
            return (key & 3) == 0;
        }

        /** Whether a transmit frame asks for a checksum (and, some, segmentation). */
        static boolean partial(long key) {
            return (key & 7) == 1 || segmented(key);
        }

        static boolean segmented(long key) {
            return (key & 15) == 3;
        }

        /** Writes the frame {@code seq} of {@code flow} into an empty buffer; {@code tx}: the reverse direction. */
        void write(PacketBuffer b, int flow, long seq, boolean tx) {
            long key = key(flow, seq, tx);
            int length = length(key);
            int at = b.append(length);
            MemorySegment s = b.segment();
            writeHeaders(s, at, flow, length, tx);
            s.set(U32, at + MARKER, flow);
            s.set(U64, at + MARKER + 4, seq);
            for (int i = FILL; i + 8 <= length; i += 8) {
                s.set(U64, at + i, mix(key + i));
            }
            for (int i = FILL + ((length - FILL) & ~7); i < length; i++) {
                s.set(ValueLayout.JAVA_BYTE, at + i, (byte) mix(key - i));
            }
        }

        private void writeHeaders(MemorySegment s, long at, int flow, int length, boolean tx) {
            s.set(U32, at, 0x02000000);
            s.set(U16, at + 4, (short) (tx ? 2 : 1));
            s.set(U32, at + 6, 0x02000000);
            s.set(U16, at + 10, (short) (tx ? 1 : 2));
            for (int i = 14; i < MARKER; i += 8) {
                s.set(U64, at + i, 0L); // ARP body, or room the IPv4 header overwrites; bytes to 61 rewritten below
            }
            if (kind[flow] == ARP) {
                s.set(U16, at + 12, (short) 0x0806);
                return;
            }
            s.set(U16, at + 12, (short) 0x0800);
            s.set(ValueLayout.JAVA_BYTE, at + 14, (byte) 0x45);
            s.set(U16, at + 16, (short) (length - 14));
            s.set(U16, at + 20, (short) (kind[flow] == FRAGMENT ? 0x2000 : 0)); // MF: RFC 791 §3.1
            s.set(ValueLayout.JAVA_BYTE, at + 22, (byte) 64);
            s.set(ValueLayout.JAVA_BYTE, at + 23, (byte) (kind[flow] == UDP ? 17 : 6));
            s.set(U32, at + 26, tx ? addrB[flow] : addrA[flow]);
            s.set(U32, at + 30, tx ? addrA[flow] : addrB[flow]);
            s.set(U16, at + 34, (short) (tx ? portB[flow] : portA[flow]));
            s.set(U16, at + 36, (short) (tx ? portA[flow] : portB[flow]));
        }

        static int flowOf(PacketBuffer b) {
            return b.length() < FILL ? -1 : b.segment().get(U32, b.offset() + MARKER);
        }

        static long seqOf(PacketBuffer b) {
            return b.segment().get(U64, b.offset() + MARKER + 4);
        }

        /** Whether {@code b} holds exactly frame {@code seq} of {@code flow}. Allocates nothing. */
        boolean intact(PacketBuffer b, int flow, long seq, boolean tx) {
            long key = key(flow, seq, tx);
            int length = length(key);
            if (b.length() != length) {
                return false;
            }
            MemorySegment s = b.segment();
            long at = b.offset();
            if (s.get(U16, at + 12) != (short) (kind[flow] == ARP ? 0x0806 : 0x0800)) {
                return false;
            }
            if (kind[flow] != ARP && (s.get(U32, at + 26) != (tx ? addrB[flow] : addrA[flow])
                    || s.get(U16, at + 36) != (short) (tx ? portA[flow] : portB[flow]))) {
                return false;
            }
            if (s.get(U64, at + MARKER + 4) != seq) {
                return false;
            }
            for (int i = FILL; i + 8 <= length; i += 8) {
                if (s.get(U64, at + i) != mix(key + i)) {
                    return false;
                }
            }
            for (int i = FILL + ((length - FILL) & ~7); i < length; i++) {
                if (s.get(ValueLayout.JAVA_BYTE, at + i) != (byte) mix(key - i)) {
                    return false;
                }
            }
            return true;
        }

        /** A TCP frame of {@code length} bytes of flow {@code flow}, longer than a pool buffer. */
        byte[] bigFrame(int flow, int length) {
            Arena arena = Arena.ofAuto();
            MemorySegment s = arena.allocate(length);
            writeHeaders(s, 0, flow, length, false);
            for (int i = MARKER; i < length; i++) {
                s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            return s.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * A one-queue device for these tests, driven by lane 0's thread only: receive takes frames from
     * a {@link Source} (a queue the test fills, or a generator), transmit hands each frame to a
     * {@link Sink} before releasing it and takes at most {@code txLimit} frames a call.
     */
    static final class Wire implements NetDevice {
        interface Source {
            int receive(PacketBatch batch);
        }

        interface Sink {
            void sent(PacketBuffer frame);
        }

        final PacketPool pool;
        final PacketPool largePool;
        final DeviceCapabilities capabilities;
        final DeviceCounters counters = new DeviceCounters();
        final ArrayDeque<PacketBuffer> queued = new ArrayDeque<>();
        Source source = this::fromQueue;
        Sink sink = b -> { };
        int txLimit = Integer.MAX_VALUE;
        SplittableRandom txRandom;
        volatile boolean closed;

        Wire(int buffers, boolean tso) {
            pool = PacketPool.create("wire", PacketMemory.offHeap(Arena.ofAuto(), (long) buffers * 2048), buffers, 2048, 128);
            largePool = tso ? PacketPool.create("wire-large", PacketMemory.offHeap(Arena.ofAuto(), 4L * 65_664), 4, 65_664, 128)
                    : null;
            capabilities = new DeviceCapabilities(1, tso ? DeviceCapabilities.OFFLOAD_TSO | DeviceCapabilities.OFFLOAD_TX_CHECKSUM : 0,
                    1514);
        }

        private int fromQueue(PacketBatch batch) {
            int n = 0;
            while (!batch.isFull() && !queued.isEmpty()) {
                batch.add(queued.poll());
                n++;
            }
            return n;
        }

        @Override
        public String name() {
            return "wire0";
        }

        @Override
        public String description() {
            return "wire";
        }

        @Override
        public long macAddress() {
            return 0x02_00_00_00_00_01L;
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean isLinkUp() {
            return true;
        }

        @Override
        public DeviceCapabilities capabilities() {
            return capabilities;
        }

        @Override
        public PacketPool pool(int queue) {
            return pool;
        }

        @Override
        public int readinessFd(int queue) {
            return 42;
        }

        @Override
        public int receive(int queue, PacketBatch batch) {
            return source.receive(batch);
        }

        @Override
        public int transmit(int queue, PacketBatch batch) {
            int limit = txRandom == null ? txLimit : txRandom.nextInt(batch.size() + 1);
            int n = Math.min(batch.size(), limit);
            for (int i = 0; i < n; i++) {
                sink.sent(batch.get(i));
                batch.get(i).release();
            }
            return n;
        }

        @Override
        public DeviceCounters counters(int queue) {
            return counters;
        }

        @Override
        public void close() {
            while (!queued.isEmpty()) {
                queued.poll().release();
            }
            closed = true;
        }
    }

    /**
     * Lanes on threads of their own over a {@link Wire} whose receive generates {@code rxFrames}
     * frames of many flows (on lane 0's thread) and whose transmit checks every frame the lanes
     * send ({@code txPerLane} each, of the flows of their queue). With a window, the generator
     * keeps at most that many frames in flight per lane, fewer than a lane's supply less a batch,
     * so no drop may happen; without, lanes fall behind and frames drop, and each must be counted.
     */
    static final class Run {
        final long seed;
        final int queues;
        final long rxFrames;
        final long txPerLane;
        final int window;
        final boolean randomInnerLimit;
        final boolean measure;
        int laneBuffers = 1024;
        int ringFrames = 256;
        /** Whether the window guarantees that no frame drops (it holds less than a lane's supply less a batch). */
        boolean exact = true;

        Traffic traffic;
        Wire wire;
        SteeringDevice device;

        // generator and sink: lane 0's thread
        long generated;
        long[] rxSeq;
        long[] generatedFor;
        long[] txExpected;
        long txArrivedCount;

        final AtomicLong rxGenerated = new AtomicLong();
        final AtomicLong txArrived = new AtomicLong();
        AtomicLongArray generatedForPublished;
        AtomicLongArray delivered;
        AtomicLongArray dropped;
        final AtomicInteger ready = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        volatile String firstError;
        volatile boolean stop;
        long totalTx;
        long[] txOf;
        long[] allocatedBytes;
        long[] measuredFrames;
        int[] baselineInUse;

        Run(long seed, int queues, long rxFrames, long txPerLane, int window, boolean randomInnerLimit, boolean measure) {
            this.seed = seed;
            this.queues = queues;
            this.rxFrames = rxFrames;
            this.txPerLane = txPerLane;
            this.window = window;
            this.randomInnerLimit = randomInnerLimit;
            this.measure = measure;
            this.exact = window > 0;
        }

        void fail(String what) {
            if (errors.getAndIncrement() == 0) {
                firstError = what;
            }
        }

        void execute() throws InterruptedException {
            if (exact) {
                assertTrue(window + PacketBatch.DEFAULT_CAPACITY <= Math.min(ringFrames, laneBuffers / 2),
                        "a window that rules drops out leaves a lane's receive batch of supply to spare");
            }
            traffic = new Traffic(seed, 512, queues);
            wire = new Wire(1024, false);
            device = new SteeringDevice(wire, queues, new SteeringDevice.Settings(laneBuffers, 1, ringFrames));
            rxSeq = new long[traffic.flows];
            txExpected = new long[traffic.flows];
            generatedFor = new long[queues];
            generatedForPublished = new AtomicLongArray(queues);
            delivered = new AtomicLongArray(queues);
            dropped = new AtomicLongArray(queues);
            allocatedBytes = new long[queues];
            measuredFrames = new long[queues];
            txOf = new long[queues];
            int[][] flowsOf = new int[queues][];
            for (int j = 0; j < queues; j++) {
                int count = 0;
                for (int f = 0; f < traffic.flows; f++) {
                    count += traffic.queueOf[f] == j ? 1 : 0;
                }
                flowsOf[j] = new int[count];
                count = 0;
                for (int f = 0; f < traffic.flows; f++) {
                    if (traffic.queueOf[f] == j) {
                        flowsOf[j][count++] = f;
                    }
                }
                txOf[j] = count == 0 ? 0 : txPerLane;
                totalTx += txOf[j];
            }
            baselineInUse = new int[queues];
            for (int j = 0; j < queues; j++) {
                baselineInUse[j] = device.pool(j).inUse();
            }
            if (randomInnerLimit) {
                wire.txRandom = new SplittableRandom(seed ^ 0x1F);
            }
            wire.source = this::generate;
            wire.sink = this::arrived;
            Thread[] threads = new Thread[queues];
            for (int j = 0; j < queues; j++) {
                int lane = j;
                threads[j] = new Thread(() -> lane(lane, flowsOf[lane]), "steering-lane-" + j);
            }
            for (Thread t : threads) {
                t.start();
            }
            long deadline = System.nanoTime() + 120_000_000_000L; // only a hang ends the wait
            while (!finished()) {
                if (System.nanoTime() - deadline > 0 || errors.get() > 0) {
                    break;
                }
                Thread.sleep(5);
            }
            boolean done = finished();
            stop = true;
            for (Thread t : threads) {
                t.join(60_000);
                assertFalse(t.isAlive(), t.getName() + " hung");
            }
            assertEquals(0, errors.get(), () -> errors.get() + " errors, the first: " + firstError);
            assertTrue(done, () -> "hung: " + summary());
            device.close();
        }

        private boolean finished() {
            if (rxGenerated.get() < rxFrames || txArrived.get() < totalTx) {
                return false;
            }
            for (int j = 0; j < queues; j++) {
                if (delivered.get(j) + dropped.get(j) != generatedForPublished.get(j)) {
                    return false;
                }
            }
            return true;
        }

        /** Lane 0's thread, inside the inner device's receive: the next frames of the schedule. */
        private int generate(PacketBatch batch) {
            if (ready.get() < queues) {
                return 0;
            }
            int n = 0;
            while (!batch.isFull() && generated < rxFrames) {
                int flow = (int) Long.remainderUnsigned(Traffic.mix(seed ^ (generated * 0x632BE59BD9B4E019L)), traffic.flows);
                int lane = traffic.queueOf[flow];
                if (window > 0 && generatedFor[lane] - delivered.get(lane) - dropped.get(lane) >= window) {
                    break; // the schedule waits for the lane: the order of frames stays the same
                }
                PacketBuffer b = wire.pool.allocate();
                if (b == null) {
                    break;
                }
                long seq = rxSeq[flow]++;
                traffic.write(b, flow, seq, false);
                if (Traffic.verified(Traffic.key(flow, seq, false))) {
                    b.setFlags(PacketBuffer.FLAG_CHECKSUM_VERIFIED);
                }
                batch.add(b);
                generated++;
                generatedFor[lane]++;
                generatedForPublished.lazySet(lane, generatedFor[lane]);
                n++;
            }
            rxGenerated.lazySet(generated);
            return n;
        }

        /** Lane 0's thread, inside the inner device's transmit: checks one frame a lane sent. */
        private void arrived(PacketBuffer b) {
            int flow = Traffic.flowOf(b);
            if (flow < 0 || flow >= traffic.flows) {
                fail("transmit: a frame with no flow, length " + b.length());
                return;
            }
            long seq = Traffic.seqOf(b);
            if (seq != txExpected[flow]) {
                fail("transmit: flow " + flow + " sent " + seq + " where " + txExpected[flow] + " was next");
            }
            txExpected[flow] = seq + 1;
            if (!traffic.intact(b, flow, seq, true)) {
                fail("transmit: flow " + flow + " frame " + seq + " damaged");
            }
            long key = Traffic.key(flow, seq, true);
            if (b.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL) != Traffic.partial(key)
                    || b.hasFlag(PacketBuffer.FLAG_SEGMENTED) != Traffic.segmented(key)) {
                fail("transmit: flow " + flow + " frame " + seq + " flags " + b.flags());
            } else if (Traffic.partial(key) && (b.checksumStart() != 34 || b.checksumOffset() != 16
                    || b.transportOffset() - b.offset() != 34 || b.networkOffset() - b.offset() != 14)) {
                fail("transmit: flow " + flow + " frame " + seq + " offload request lost");
            } else if (Traffic.segmented(key) && b.segmentBytes() != 1448) {
                fail("transmit: flow " + flow + " frame " + seq + " segment size " + b.segmentBytes());
            }
            txArrived.lazySet(++txArrivedCount);
        }

        private void lane(int j, int[] flows) {
            try {
                runLane(j, flows);
            } catch (Throwable e) {
                fail("lane " + j + ": " + e);
            }
        }

        private void runLane(int j, int[] flows) {
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            PacketBatch rx = new PacketBatch();
            PacketBatch tx = new PacketBatch(32);
            PacketPool pool = device.pool(j);
            long[] lastSeq = new long[traffic.flows];
            java.util.Arrays.fill(lastSeq, -1);
            long[] txSeq = new long[traffic.flows];
            long received = 0;
            long txMade = 0;
            long frames = 0;
            long baseBytes = -1;
            long baseFrames = 0;
            int idle = 0;
            boolean first = true;
            DeviceCounters counters = device.counters(j);
            while (!stop) {
                int n = device.receive(j, rx);
                if (first) {
                    first = false;
                    ready.incrementAndGet();
                }
                for (int i = 0; i < n; i++) {
                    check(j, rx.get(i), lastSeq);
                }
                rx.releaseAll();
                received += n;
                delivered.lazySet(j, received);
                dropped.lazySet(j, counters.rxDropped);
                while (!tx.isFull() && txMade < txOf[j]) {
                    PacketBuffer b = pool.allocate();
                    if (b == null) {
                        break;
                    }
                    int flow = flows[(int) Long.remainderUnsigned(Traffic.mix(txMade ^ j), flows.length)];
                    long seq = txSeq[flow]++;
                    traffic.write(b, flow, seq, true);
                    long key = Traffic.key(flow, seq, true);
                    if (Traffic.partial(key)) {
                        b.setNetworkOffset(b.offset() + 14).setTransportOffset(b.offset() + 34).setChecksumRequest(34, 16);
                    }
                    if (Traffic.segmented(key)) {
                        b.setSegmented(1448);
                    }
                    tx.add(b);
                    txMade++;
                }
                int sent = 0;
                if (!tx.isEmpty()) {
                    sent = device.transmit(j, tx);
                    tx.removeFirst(sent);
                }
                int work = n + sent + (j == 0 ? device.relayedFrames() : 0);
                frames += work;
                if (measure && baseBytes < 0 && frames >= 20_000) {
                    baseBytes = mx.getCurrentThreadAllocatedBytes();
                    baseFrames = frames;
                }
                if (work == 0) {
                    if (++idle > 50) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                } else {
                    idle = 0;
                }
            }
            if (measure) {
                allocatedBytes[j] = baseBytes < 0 ? -1 : mx.getCurrentThreadAllocatedBytes() - baseBytes;
                measuredFrames[j] = frames - baseFrames;
            }
            tx.releaseAll();
        }

        private void check(int j, PacketBuffer b, long[] lastSeq) {
            int flow = Traffic.flowOf(b);
            if (flow < 0 || flow >= traffic.flows) {
                fail("lane " + j + ": a frame with no flow, length " + b.length());
                return;
            }
            long seq = Traffic.seqOf(b);
            if (traffic.queueOf[flow] != j || b.queue() != j) {
                fail("lane " + j + ": flow " + flow + " of queue " + traffic.queueOf[flow] + " arrived with queue " + b.queue());
            }
            if (seq <= lastSeq[flow] || (exact && seq != lastSeq[flow] + 1)) {
                fail("lane " + j + ": flow " + flow + " frame " + seq + " after " + lastSeq[flow]);
            }
            lastSeq[flow] = seq;
            if (!traffic.intact(b, flow, seq, false)) {
                fail("lane " + j + ": flow " + flow + " frame " + seq + " damaged");
            }
            if (b.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED) != Traffic.verified(Traffic.key(flow, seq, false))) {
                fail("lane " + j + ": flow " + flow + " frame " + seq + " flags " + b.flags());
            }
        }

        /** After {@link #execute}: every frame accounted for, every pool back where it started. */
        void assertClean() {
            if (exact) {
                assertEquals(0, totalDropped(), "no drop while every lane keeps up");
            }
            for (int j = 0; j < queues; j++) {
                long got = delivered.get(j);
                long lost = device.counters(j).rxDropped;
                assertEquals(generatedFor[j], got + lost, "lane " + j + ": delivered " + got + " + dropped " + lost);
                assertEquals(got, device.counters(j).rxPackets);
                assertEquals(0, device.pool(j).inUse() - baselineInUse[j], "lane " + j + " pool leaks");
            }
            assertEquals(rxFrames, generated);
            assertEquals(totalTx, txArrivedCount);
            assertEquals(0, wire.pool.inUse(), "inner pool leaks");
            assertEquals(0, device.counters(0).rxDropped);
        }

        long totalDropped() {
            long sum = 0;
            for (int j = 0; j < queues; j++) {
                sum += device.counters(j).rxDropped;
            }
            return sum;
        }

        String summary() {
            StringBuilder s = new StringBuilder();
            s.append(rxGenerated.get()).append(" frames received, ").append(txArrived.get()).append(" of ")
                    .append(totalTx).append(" sent;");
            for (int j = 0; j < queues; j++) {
                s.append(" lane ").append(j).append(": ").append(delivered.get(j)).append(" delivered, ")
                        .append(dropped.get(j)).append(" dropped of ").append(generatedForPublished.get(j)).append(',');
            }
            return s.toString();
        }
    }
}
