package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NetQueuesTest {

    private static final int SIZE = 64;

    private final Arena arena = Arena.ofConfined();
    private final PacketMemory rings = PacketMemory.offHeap(arena, 1 << 20);
    private final PacketMemory buffers = PacketMemory.offHeap(arena, 256 * 2048);
    private final PacketPool pool = PacketPool.create("virtio-test", buffers, 256, 2048, 128);
    private final DeviceCounters counters = new DeviceCounters();
    private final int[] kicks = new int[2];
    private final Virtqueue rx = new Virtqueue(0, SIZE, rings, 0, q -> kicks[q]++);
    private final Virtqueue tx = new Virtqueue(1, SIZE, rings, 65536, q -> kicks[q]++);
    private final RingModel rxDevice = new RingModel(rings.segment(), 0, SIZE);
    private final RingModel txDevice = new RingModel(rings.segment(), 65536, SIZE);

    @AfterEach
    void close() {
        arena.close();
    }

    private NetQueues queues(int headerBytes) {
        return new NetQueues(0, rx, tx, pool, headerBytes, counters);
    }

    private MemorySegment at(long ioAddress, long length) {
        return RingModel.at(buffers.segment(), buffers.ioAddress(0), ioAddress, length);
    }

    @ParameterizedTest
    @ValueSource(ints = {VirtioNetHeader.LEGACY_BYTES, VirtioNetHeader.MODERN_BYTES})
    void fillGivesTheDeviceEveryDescriptorWithRoomForTheHeader(int header) {
        NetQueues q = queues(header);
        assertEquals(SIZE, q.fill());
        assertEquals(1, kicks[0]);
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        assertEquals(SIZE, d.size());
        for (RingModel.Descriptor e : d) {
            assertEquals(Virtqueue.DESC_F_WRITE, e.flags());
            assertEquals(2048 - 128 + header, e.length());
            assertEquals(128 - header, (e.address() - buffers.ioAddress(0)) % 2048);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {VirtioNetHeader.LEGACY_BYTES, VirtioNetHeader.MODERN_BYTES})
    void receiveStripsTheHeaderAndKeepsTheFrame(int header) {
        NetQueues q = queues(header);
        q.fill();
        RingModel.Descriptor d = rxDevice.takeAvailable().get(0);
        MemorySegment slot = at(d.address(), d.length());
        slot.asSlice(0, header).fill((byte) 0);
        for (int i = 0; i < 60; i++) {
            slot.set(ValueLayout.JAVA_BYTE, header + i, (byte) (i + 1));
        }
        rxDevice.use(d.id(), header + 60);
        PacketBatch batch = new PacketBatch();
        assertEquals(1, q.receive(batch));
        PacketBuffer b = batch.get(0);
        assertEquals(128, b.offset());
        assertEquals(60, b.length());
        assertEquals(128, b.linkOffset());
        for (int i = 0; i < 60; i++) {
            assertEquals(i + 1, b.segment().get(ValueLayout.JAVA_BYTE, b.offset() + i));
        }
        assertEquals(1, counters.rxPackets);
        assertEquals(60, counters.rxBytes);
        batch.releaseAll();
    }

    @Test
    void receiveRefillsOnlyOnceABatchOfDescriptorsIsFree() {
        NetQueues q = queues(12);
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        int batchSize = q.refillBatch();
        assertEquals(16, batchSize); // min(32, 64 / 4)
        PacketBatch batch = new PacketBatch();
        for (int i = 0; i < batchSize - 1; i++) {
            rxDevice.use(d.get(i).id(), 12 + 60);
        }
        assertEquals(batchSize - 1, q.receive(batch));
        assertEquals(1, kicks[0], "no refill for fewer than a batch");
        assertEquals(batchSize - 1, rx.freeCount());
        batch.releaseAll();
        rxDevice.use(d.get(batchSize - 1).id(), 12 + 60);
        assertEquals(1, q.receive(batch));
        assertEquals(2, kicks[0], "one notification for the whole refill");
        assertEquals(0, rx.freeCount());
        assertEquals(batchSize, rxDevice.takeAvailable().size());
        batch.releaseAll();
    }

    @Test
    void refillStopsWhenThePoolIsEmptyAndResumesLater() {
        NetQueues q = queues(12);
        PacketBatch held = new PacketBatch(256);
        pool.allocate(held, 256 - 10);
        assertEquals(10, q.fill());
        held.releaseAll();
        assertEquals(SIZE - 10, q.refill(1));
        assertEquals(0, rx.freeCount());
    }

    @Test
    void runtsAndOversizedLengthsAreCountedAndReleased() {
        NetQueues q = queues(10);
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        int before = pool.available();
        rxDevice.use(d.get(0).id(), 10 + 13);
        rxDevice.use(d.get(1).id(), 10 + 5000);
        PacketBatch batch = new PacketBatch();
        assertEquals(0, q.receive(batch));
        assertEquals(2, counters.rxErrors);
        assertEquals(before + 2, pool.available());
    }

    @ParameterizedTest
    @ValueSource(ints = {VirtioNetHeader.LEGACY_BYTES, VirtioNetHeader.MODERN_BYTES})
    void transmitWritesAZeroHeaderRightBeforeTheFrame(int header) {
        NetQueues q = queues(header);
        PacketBuffer b = pool.allocate();
        b.segment().fill((byte) 0xA5);
        int at = b.append(60);
        b.segment().asSlice(at, 60).fill((byte) 0x11);
        PacketBatch batch = new PacketBatch();
        batch.add(b);
        assertEquals(1, q.transmit(batch));
        assertEquals(1, kicks[1]);
        RingModel.Descriptor d = txDevice.takeAvailable().get(0);
        assertEquals(0, d.flags());
        assertEquals(60 + header, d.length());
        assertEquals(b.ioAddress() + 128 - header, d.address());
        MemorySegment s = b.segment();
        for (int i = 128 - header; i < 128; i++) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "header byte " + i);
        }
        assertEquals((byte) 0xA5, s.get(ValueLayout.JAVA_BYTE, 128 - header - 1), "nothing before the header");
        assertEquals((byte) 0x11, s.get(ValueLayout.JAVA_BYTE, 128));
        assertEquals(1, counters.txPackets);
    }

    @Test
    void transmitReclaimsCompletedBuffersInBatches() {
        NetQueues q = queues(12);
        PacketBatch batch = new PacketBatch();
        for (int i = 0; i < 20; i++) {
            batch.add(frame());
        }
        assertEquals(20, q.transmit(batch));
        batch.clear();
        List<RingModel.Descriptor> d = txDevice.takeAvailable();
        int reclaimBatch = q.reclaimBatch();
        assertEquals(16, reclaimBatch);
        for (int i = 0; i < reclaimBatch - 1; i++) {
            txDevice.use(d.get(i).id(), 0);
        }
        batch.add(frame());
        q.transmit(batch);
        batch.clear();
        assertEquals(21, pool.inUse(), "fewer than a batch completed: nothing reclaimed yet");
        txDevice.use(d.get(reclaimBatch - 1).id(), 0);
        batch.add(frame());
        q.transmit(batch);
        batch.clear();
        assertEquals(22 - reclaimBatch, pool.inUse());
        assertEquals(1, q.txReclaims());
    }

    @Test
    void transmitTakesWhatFitsAndLeavesTheRestToTheCaller() {
        NetQueues q = queues(12);
        PacketBatch batch = new PacketBatch(SIZE + 8);
        for (int i = 0; i < SIZE + 8; i++) {
            batch.add(frame());
        }
        assertEquals(SIZE, q.transmit(batch));
        batch.removeFirst(SIZE);
        assertEquals(8, batch.size());
        assertEquals(0, q.transmit(batch), "ring full, nothing completed");
        txDevice.takeAvailable().forEach(d -> txDevice.use(d.id(), 0));
        assertEquals(8, q.transmit(batch), "reclaims when the free descriptors do not cover the batch");
    }

    @Test
    void transmitCopiesFramesFromAnotherPool() {
        NetQueues q = queues(12);
        PacketPool other = PacketPool.create("heap", PacketMemory.offHeap(arena, 4 * 2048), 4, 2048, 0);
        PacketBuffer foreign = other.allocate();
        int at = foreign.append(60);
        foreign.segment().asSlice(at, 60).fill((byte) 0x42);
        PacketBatch batch = new PacketBatch();
        batch.add(foreign);
        assertEquals(1, q.transmit(batch));
        assertEquals(0, other.inUse(), "the foreign buffer is released");
        RingModel.Descriptor d = txDevice.takeAvailable().get(0);
        assertEquals(0x42, at(d.address() + 12, 60).get(ValueLayout.JAVA_BYTE, 59));
    }

    @Test
    void transmitNotifiesOncePerBatchAndNotAtAllWhenTheDeviceSaysSo() {
        NetQueues q = queues(12);
        PacketBatch batch = new PacketBatch();
        for (int i = 0; i < 10; i++) {
            batch.add(frame());
        }
        q.transmit(batch);
        batch.clear();
        assertEquals(1, kicks[1]);
        txDevice.suppressNotifications(true);
        batch.add(frame());
        q.transmit(batch);
        batch.clear();
        assertEquals(1, kicks[1]);
        assertEquals(11, txDevice.takeAvailable().size());
    }

    @Test
    void badFramesAreDroppedAndTaken() {
        NetQueues q = queues(12);
        PacketBuffer runt = pool.allocate();
        runt.append(10);
        PacketBatch batch = new PacketBatch();
        batch.add(runt);
        assertEquals(1, q.transmit(batch));
        assertEquals(1, counters.txDropped);
        assertEquals(0, pool.inUse());
    }

    @Test
    void releaseAllAfterResetEmptiesBothRings() {
        NetQueues q = queues(12);
        q.fill();
        PacketBatch batch = new PacketBatch();
        batch.add(frame());
        q.transmit(batch);
        assertTrue(pool.inUse() > SIZE);
        q.releaseAll();
        assertEquals(0, pool.inUse());
    }

    @Test
    void receivedBuffersAreTheOnesTheDeviceFilled() {
        NetQueues q = queues(12);
        q.fill();
        RingModel.Descriptor d = rxDevice.takeAvailable().get(5);
        at(d.address(), 12 + 60).fill((byte) 0);
        rxDevice.use(d.id(), 12 + 60);
        PacketBatch batch = new PacketBatch();
        q.receive(batch);
        PacketBuffer b = batch.get(0);
        assertEquals(d.address(), b.ioAddress() + 128 - 12);
        assertNotSame(null, b);
        assertSame(pool, b.pool());
        batch.releaseAll();
    }

    /** Steady state: receive, refill, transmit and reclaim allocate nothing (ARCHITECTURE: zero per packet). */
    @Test
    void theDataPathAllocatesNothing() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        NetQueues q = queues(12);
        q.fill();
        PacketBatch rxBatch = new PacketBatch();
        PacketBatch txBatch = new PacketBatch();
        long driverBytes = 0;
        long packets = 0;
        for (int round = 0; round < 20_000; round++) {
            // the device model allocates (lists, records): only the driver's calls are measured
            List<RingModel.Descriptor> available = rxDevice.takeAvailable();
            for (RingModel.Descriptor d : available) {
                rxDevice.use(d.id(), 12 + 60);
            }
            rxDevice.takeAvailable(); // nothing new yet; keeps the model's view current
            long before = threads.getThreadAllocatedBytes(thread);
            q.receive(rxBatch);
            for (int i = 0; i < rxBatch.size(); i++) {
                txBatch.add(rxBatch.get(i)); // forward what came in
            }
            rxBatch.clear();
            int taken = q.transmit(txBatch);
            txBatch.removeFirst(taken);
            long after = threads.getThreadAllocatedBytes(thread);
            if (round >= 1_000) { // after warm-up
                driverBytes += after - before;
                packets += taken;
            }
            for (RingModel.Descriptor d : txDevice.takeAvailable()) {
                txDevice.use(d.id(), 0);
            }
        }
        txBatch.releaseAll();
        System.out.println("data path: " + driverBytes + " bytes allocated for " + packets
                + " frames received and sent (JIT compilation may allocate once)");
        assertTrue(packets > 100_000);
        assertTrue(driverBytes * 100 < packets, driverBytes + " bytes for " + packets + " frames");
    }

    private static final java.nio.ByteOrder BE = java.nio.ByteOrder.BIG_ENDIAN;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(BE);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(BE);

    /**
     * Writes an Ethernet + IPv4 + UDP frame of {@code payload} bytes at {@code at} whose UDP
     * checksum field holds only the pseudo-header sum (RFC 768), as a sender using offload leaves it.
     */
    private static int partialUdp(MemorySegment s, int at, int payload) {
        int udpBytes = 8 + payload;
        s.asSlice(at, 14 + 20 + udpBytes).fill((byte) 0);
        s.set(BE16, at + 12, (short) 0x0800);
        s.set(ValueLayout.JAVA_BYTE, at + 14, (byte) 0x45);
        s.set(BE16, at + 16, (short) (20 + udpBytes));
        s.set(ValueLayout.JAVA_BYTE, at + 23, (byte) 17);
        s.set(BE32, at + 26, 0xc612_0a02); // 198.18.10.2
        s.set(BE32, at + 30, 0xc612_0a01); // 198.18.10.1
        s.set(BE16, at + 34, (short) 40000);
        s.set(BE16, at + 36, (short) 9);
        s.set(BE16, at + 38, (short) udpBytes);
        for (int i = 0; i < payload; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + 42 + i, (byte) (i * 7 + 3));
        }
        long pseudo = 0xc612 + 0x0a02 + 0xc612 + 0x0a01 + 17 + udpBytes;
        pseudo = (pseudo & 0xffff) + (pseudo >>> 16);
        s.set(BE16, at + 40, (short) pseudo);
        return 14 + 20 + udpBytes;
    }

    /** RFC 768/1071 check, independent of the driver: pseudo-header plus UDP datagram sums to 0xffff. */
    private static boolean udpChecksumValid(MemorySegment s, int at) {
        int udpBytes = s.get(BE16, at + 38) & 0xffff;
        long sum = 0xc612 + 0x0a02 + 0xc612 + 0x0a01 + 17 + udpBytes;
        for (int i = 0; i < udpBytes; i += 2) {
            int hi = s.get(ValueLayout.JAVA_BYTE, at + 34 + i) & 0xff;
            int lo = i + 1 < udpBytes ? s.get(ValueLayout.JAVA_BYTE, at + 34 + i + 1) & 0xff : 0;
            sum += hi << 8 | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum == 0xffff;
    }

    @Test
    void transmitHandsPartialChecksumsToTheDeviceWhenCsumIsNegotiated() {
        NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters, true, false);
        PacketBuffer b = pool.allocate();
        int length = partialUdp(b.segment(), b.offset(), 33);
        b.setData(b.offset(), length).setChecksumRequest(34, 6);
        PacketBatch batch = new PacketBatch();
        batch.add(b);
        assertEquals(1, q.transmit(batch));
        RingModel.Descriptor d = txDevice.takeAvailable().get(0);
        VirtioNetHeader h = new VirtioNetHeader(12).wrap(at(d.address(), 12), 0);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags());
        assertEquals(34, h.csumStart());
        assertEquals(6, h.csumOffset());
    }

    @Test
    void transmitCompletesPartialChecksumsItselfWithoutCsum() {
        NetQueues q = queues(10);
        PacketBuffer b = pool.allocate();
        int length = partialUdp(b.segment(), b.offset(), 33); // odd length: the last byte is padded
        b.setData(b.offset(), length).setChecksumRequest(34, 6);
        assertTrue(!udpChecksumValid(b.segment(), b.offset()));
        PacketBatch batch = new PacketBatch();
        batch.add(b);
        assertEquals(1, q.transmit(batch));
        RingModel.Descriptor d = txDevice.takeAvailable().get(0);
        assertEquals(0, new VirtioNetHeader(10).wrap(at(d.address(), 10), 0).flags());
        assertTrue(udpChecksumValid(at(d.address() + 10, length), 0));
    }

    @Test
    void aFrameCopiedFromAnotherPoolKeepsItsChecksumRequest() {
        PacketPool other = PacketPool.create("heap", PacketMemory.offHeap(arena, 4 * 2048), 4, 2048, 0);
        for (boolean csum : new boolean[] {true, false}) {
            NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters, csum, false);
            PacketBuffer foreign = other.allocate();
            int length = partialUdp(foreign.segment(), foreign.offset(), 33);
            foreign.setData(foreign.offset(), length).setChecksumRequest(34, 6);
            PacketBatch batch = new PacketBatch();
            batch.add(foreign);
            assertEquals(1, q.transmit(batch));
            assertEquals(0, other.inUse(), "the foreign buffer is released");
            RingModel.Descriptor d = txDevice.takeAvailable().get(0);
            VirtioNetHeader h = new VirtioNetHeader(12).wrap(at(d.address(), 12), 0);
            if (csum) {
                assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags(), "the device is asked to finish the sum");
                assertEquals(34, h.csumStart());
                assertEquals(6, h.csumOffset());
            } else {
                assertEquals(0, h.flags());
                assertTrue(udpChecksumValid(at(d.address() + 12, length), 0), "the driver finished the sum");
            }
            txDevice.use(d.id(), 0);
        }
    }

    @Test
    void transmitDropsChecksumRequestsOutsideTheFrame() {
        NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters, true, false);
        PacketBuffer b = pool.allocate();
        b.append(60);
        b.setChecksumRequest(34, 30);
        PacketBatch batch = new PacketBatch();
        batch.add(b);
        assertEquals(1, q.transmit(batch));
        assertEquals(1, counters.txDropped);
        assertEquals(0, txDevice.takeAvailable().size());
    }

    @Test
    void receiveMarksFramesTheDeviceValidated() {
        NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters, false, true);
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        new VirtioNetHeader(12).wrap(at(d.get(0).address(), 12), 0).clear().flags(VirtioNetHeader.F_DATA_VALID);
        rxDevice.use(d.get(0).id(), 12 + 60);
        new VirtioNetHeader(12).wrap(at(d.get(1).address(), 12), 0).clear();
        rxDevice.use(d.get(1).id(), 12 + 60);
        PacketBatch batch = new PacketBatch();
        assertEquals(2, q.receive(batch));
        assertTrue(batch.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        assertTrue(!batch.get(1).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        batch.releaseAll();
    }

    @Test
    void receiveCompletesPartiallyChecksummedFrames() {
        NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters, false, true);
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        MemorySegment slot = at(d.get(0).address(), d.get(0).length());
        new VirtioNetHeader(12).wrap(slot, 0).clear().flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(34).csumOffset(6);
        int length = partialUdp(slot, 12, 100);
        rxDevice.use(d.get(0).id(), 12 + length);
        // and one whose checksum range lies outside the frame
        MemorySegment bad = at(d.get(1).address(), d.get(1).length());
        new VirtioNetHeader(12).wrap(bad, 0).clear().flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(34).csumOffset(90);
        partialUdp(bad, 12, 10);
        rxDevice.use(d.get(1).id(), 12 + 52);
        PacketBatch batch = new PacketBatch();
        assertEquals(1, q.receive(batch));
        PacketBuffer b = batch.get(0);
        assertTrue(b.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        assertTrue(udpChecksumValid(b.segment(), b.offset()));
        assertEquals(1, counters.rxErrors);
        batch.releaseAll();
    }

    private PacketBuffer frame() {
        PacketBuffer b = pool.allocate();
        b.append(60);
        return b;
    }

    private NetQueues mergeable() {
        return new NetQueues(0, rx, tx, pool, 12, counters, false, false, true);
    }

    /** A continuation buffer of a merged frame: data from its first byte, no header. */
    private static final int CONTINUATION = -1;

    /** Writes {@code bytes} of pattern {@code base + i} at a descriptor, after a header with num_buffers {@code parts} unless a continuation. */
    private int put(RingModel.Descriptor d, int parts, int base, int bytes) {
        MemorySegment slot = at(d.address(), d.length());
        int at = 0;
        if (parts != CONTINUATION) {
            new VirtioNetHeader(12).wrap(slot, 0).clear().numBuffers(parts);
            at = 12;
        }
        for (int i = 0; i < bytes; i++) {
            slot.set(ValueLayout.JAVA_BYTE, at + i, (byte) (base + i));
        }
        return at + bytes;
    }

    private void assertNoLeak(PacketBatch batch) {
        assertEquals(rx.inFlight() + tx.inFlight() + batch.size(), pool.inUse());
    }

    @Test
    void mergeableNeedsTheTwelveByteHeader() {
        assertThrows(IllegalArgumentException.class,
                () -> new NetQueues(0, rx, tx, pool, 10, counters, false, false, true));
    }

    @Test
    void mergeableFrameSpanningThreeBuffersIsAssembledInTheFirst() {
        NetQueues q = mergeable();
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        rxDevice.use(d.get(0).id(), put(d.get(0), 3, 0, 600));
        rxDevice.use(d.get(1).id(), put(d.get(1), CONTINUATION, 600, 500));
        rxDevice.use(d.get(2).id(), put(d.get(2), CONTINUATION, 1100, 300));
        rxDevice.use(d.get(3).id(), put(d.get(3), 1, 7, 60)); // the next frame, in one buffer
        PacketBatch batch = new PacketBatch();
        assertEquals(2, q.receive(batch));
        PacketBuffer b = batch.get(0);
        assertEquals(128, b.offset());
        assertEquals(1400, b.length());
        for (int i = 0; i < 1400; i++) {
            assertEquals((byte) i, b.segment().get(ValueLayout.JAVA_BYTE, b.offset() + i), "byte " + i);
        }
        assertEquals(60, batch.get(1).length());
        assertEquals(7, batch.get(1).segment().get(ValueLayout.JAVA_BYTE, batch.get(1).offset()));
        assertEquals(2, counters.rxPackets);
        assertEquals(1460, counters.rxBytes);
        assertEquals(0, counters.rxErrors);
        assertEquals(0, rx.pendingUsed());
        assertNoLeak(batch);
        batch.releaseAll();
    }

    @Test
    void mergeableFrameTooLargeForOneBufferIsDroppedAndAllItsBuffersConsumed() {
        NetQueues q = mergeable();
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        rxDevice.use(d.get(0).id(), put(d.get(0), 2, 0, 1920));
        rxDevice.use(d.get(1).id(), put(d.get(1), CONTINUATION, 0, 1000));
        rxDevice.use(d.get(2).id(), put(d.get(2), 1, 9, 60));
        PacketBatch batch = new PacketBatch();
        assertEquals(1, q.receive(batch));
        assertEquals(60, batch.get(0).length());
        assertEquals(9, batch.get(0).segment().get(ValueLayout.JAVA_BYTE, batch.get(0).offset()));
        assertEquals(1, counters.rxErrors);
        assertEquals(1, counters.rxPackets);
        assertEquals(0, rx.pendingUsed());
        assertNoLeak(batch);
        batch.releaseAll();
    }

    @Test
    void mergeableFrameFillingExactlyOneBufferIsKept() {
        NetQueues q = mergeable();
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        rxDevice.use(d.get(0).id(), put(d.get(0), 2, 0, 1000));
        rxDevice.use(d.get(1).id(), put(d.get(1), CONTINUATION, 1000, 920));
        PacketBatch batch = new PacketBatch();
        assertEquals(1, q.receive(batch));
        assertEquals(1920, batch.get(0).length());
        assertEquals((byte) 1919, batch.get(0).segment().get(ValueLayout.JAVA_BYTE, batch.get(0).offset() + 1919));
        assertNoLeak(batch);
        batch.releaseAll();
    }

    @Test
    void mergeableFramesWithTooFewEntriesOrZeroBuffersAreDroppedWithoutStalling() {
        NetQueues q = mergeable();
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        rxDevice.use(d.get(0).id(), put(d.get(0), 0xffff, 0, 100)); // claims more entries than exist
        rxDevice.use(d.get(1).id(), put(d.get(1), CONTINUATION, 0, 100));
        PacketBatch batch = new PacketBatch();
        assertEquals(0, q.receive(batch));
        assertEquals(1, counters.rxErrors);
        assertNoLeak(batch);
        rxDevice.use(d.get(2).id(), put(d.get(2), 0, 0, 100)); // num_buffers 0: invalid
        rxDevice.use(d.get(3).id(), put(d.get(3), 1, 3, 80));
        assertEquals(1, q.receive(batch));
        assertEquals(80, batch.get(0).length());
        assertEquals(2, counters.rxErrors);
        assertNoLeak(batch);
        batch.releaseAll();
    }

    @Test
    void withoutMergeableBuffersNumBuffersIsIgnored() {
        NetQueues q = new NetQueues(0, rx, tx, pool, 12, counters);
        q.fill();
        List<RingModel.Descriptor> d = rxDevice.takeAvailable();
        rxDevice.use(d.get(0).id(), put(d.get(0), 2, 0, 60));
        rxDevice.use(d.get(1).id(), put(d.get(1), 1, 0, 60));
        PacketBatch batch = new PacketBatch();
        assertEquals(2, q.receive(batch));
        assertNoLeak(batch);
        batch.releaseAll();
    }
}
