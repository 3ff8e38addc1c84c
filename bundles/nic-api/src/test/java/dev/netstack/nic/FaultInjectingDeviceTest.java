package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultInjectingDeviceTest {

    private static final long SEED = 20261121L;

    private final TestDevice inner = new TestDevice(512);
    private final long[] now = {1_000_000_000L};
    private final PacketBatch batch = new PacketBatch(64);

    @AfterEach
    void checkNoLeakAndClose() {
        inner.arena.close();
    }

    private FaultInjectingDevice wrap(FaultPlan plan) {
        System.out.println("fault plan " + plan);
        return new FaultInjectingDevice(inner, plan, () -> now[0]);
    }

    private static byte[] frame(int n) {
        byte[] f = new byte[60];
        f[0] = (byte) (n >> 8);
        f[1] = (byte) n;
        for (int i = 2; i < f.length; i++) {
            f[i] = (byte) (i * 7 + n);
        }
        return f;
    }

    private static int number(byte[] f) {
        return ((f[0] & 0xFF) << 8) | (f[1] & 0xFF);
    }

    /** Injects {@code count} numbered frames, receives everything ready, releases it; returns the frames. */
    private List<byte[]> pass(FaultInjectingDevice device, int count) {
        List<byte[]> out = new ArrayList<>();
        for (int sent = 0; sent < count; ) {
            for (int i = 0; i < 32 && sent < count; i++) {
                inner.inject(frame(sent++));
            }
            receiveAll(device, out);
        }
        return out;
    }

    private void receiveAll(FaultInjectingDevice device, List<byte[]> out) {
        int n;
        do {
            n = device.receive(0, batch);
            for (int i = 0; i < batch.size(); i++) {
                out.add(TestDevice.bytes(batch.get(i)));
            }
            batch.releaseAll();
        } while (n > 0);
    }

    @Test
    void passesEveryFrameUnchangedWithAnEmptyPlan() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED));
        List<byte[]> out = pass(device, 100);
        assertEquals(100, out.size());
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(frame(i), out.get(i));
        }
        assertEquals(0, inner.pool.inUse());
        assertEquals(100, device.rxFaults(0).frames);
    }

    @Test
    void dropsAboutTheConfiguredShare() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDrop(0.2));
        List<byte[]> out = pass(device, 10_000);
        long dropped = device.rxFaults(0).dropped;
        assertEquals(10_000, out.size() + dropped);
        assertTrue(dropped > 1_800 && dropped < 2_200, "dropped " + dropped);
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void sameSeedGivesTheSameFaults() {
        FaultPlan plan = FaultPlan.seeded(SEED).withDrop(0.1).withDuplicate(0.1).withReorder(0.1).withCorrupt(0.1);
        List<byte[]> first = pass(wrap(plan), 2_000);
        List<byte[]> second = pass(wrap(plan), 2_000);
        assertEquals(first.size(), second.size());
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i), second.get(i), "frame " + i);
        }
        List<byte[]> other = pass(wrap(new FaultPlan(SEED + 1, 0.1, 0.1, 0.1, 0.1, 0, 0, FaultPlan.Direction.BOTH)), 2_000);
        boolean differs = other.size() != first.size();
        for (int i = 0; !differs && i < first.size(); i++) {
            differs = !Arrays.equals(first.get(i), other.get(i));
        }
        assertTrue(differs, "another seed gives other faults");
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void duplicatesIntoAFreshBufferFromThePool() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDuplicate(1));
        inner.inject(frame(5));
        assertEquals(2, device.receive(0, batch));
        assertNotSame(batch.get(0), batch.get(1));
        assertArrayEquals(frame(5), TestDevice.bytes(batch.get(0)));
        assertArrayEquals(frame(5), TestDevice.bytes(batch.get(1)));
        assertEquals(2, inner.pool.inUse());
        batch.releaseAll();
        assertEquals(1, device.rxFaults(0).duplicated);
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void countsADuplicateThePoolCannotHold() {
        TestDevice tiny = new TestDevice(1);
        try {
            FaultInjectingDevice device = new FaultInjectingDevice(tiny, FaultPlan.seeded(SEED).withDuplicate(1), () -> 0);
            tiny.inject(frame(1));
            assertEquals(1, device.receive(0, batch));
            assertEquals(1, device.rxFaults(0).duplicateFailed);
            batch.releaseAll();
        } finally {
            tiny.arena.close();
        }
    }

    @Test
    void reorderDeliversAHeldFrameAfterTheNext() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withReorder(1));
        List<byte[]> out = pass(device, 4);
        assertEquals(List.of(1, 0, 3, 2), out.stream().map(FaultInjectingDeviceTest::number).toList());
        assertEquals(2, device.rxFaults(0).reordered);
    }

    @Test
    void corruptFlipsExactlyOneBit() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withCorrupt(1));
        List<byte[]> out = pass(device, 200);
        assertEquals(200, out.size());
        for (int i = 0; i < 200; i++) {
            byte[] expected = frame(i);
            int flipped = 0;
            for (int j = 0; j < expected.length; j++) {
                flipped += Integer.bitCount((expected[j] ^ out.get(i)[j]) & 0xFF);
            }
            assertEquals(1, flipped, "frame " + i);
        }
        assertEquals(200, device.rxFaults(0).corrupted);
    }

    @Test
    void corruptionVoidsAChecksumTheDeviceVerified() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withCorrupt(1));
        PacketBuffer verified = inner.frame(frame(1));
        verified.setFlags(PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        inner.rxQueue.add(verified);
        assertEquals(1, device.receive(0, batch));
        assertFalse(batch.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "the stack must check it again");
        batch.releaseAll();
    }

    @Test
    void dropsACorruptedFrameWhoseChecksumTheDeviceWouldComplete() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withCorrupt(1).withDirection(FaultPlan.Direction.TX));
        batch.add(inner.frame(frame(1)).setChecksumRequest(34, 16));
        batch.add(inner.frame(frame(2)).setSegmented(1448));
        batch.add(inner.frame(frame(3)));
        assertEquals(3, device.transmit(0, batch));
        batch.removeFirst(3);
        assertEquals(1, inner.sent.size(), "only the frame whose checksum was already complete goes out");
        int flipped = 0;
        for (int j = 0; j < 60; j++) {
            flipped += Integer.bitCount((frame(3)[j] ^ inner.sent.get(0)[j]) & 0xFF);
        }
        assertEquals(1, flipped, "frame 3, corrupted");
        assertEquals(3, device.txFaults(0).corrupted);
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void aDuplicateKeepsTheOffloadRequests() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDuplicate(1));
        PacketBuffer original = inner.frame(frame(4));
        original.setChecksumRequest(34, 16).setSegmented(1448).setTransportOffset(original.offset() + 34);
        inner.rxQueue.add(original);
        assertEquals(2, device.receive(0, batch));
        for (int i = 0; i < 2; i++) {
            PacketBuffer b = batch.get(i);
            assertTrue(b.hasFlag(PacketBuffer.FLAG_SEGMENTED | PacketBuffer.FLAG_CHECKSUM_PARTIAL));
            assertEquals(1448, b.segmentBytes());
            assertEquals(34, b.checksumStart());
            assertEquals(16, b.checksumOffset());
            assertEquals(b.offset() + 34, b.transportOffset());
        }
        batch.releaseAll();
    }

    @Test
    void delayHoldsFramesUntilTheClockPassesTheirTime() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDelayNs(5_000_000));
        inner.inject(frame(1));
        assertEquals(0, device.receive(0, batch));
        now[0] += 2_000_000;
        inner.inject(frame(2));
        assertEquals(0, device.receive(0, batch));
        assertEquals(2, device.held(0));
        now[0] += 2_999_999;
        assertEquals(0, device.receive(0, batch));
        now[0] += 1;
        assertEquals(1, device.receive(0, batch));
        assertEquals(1, number(TestDevice.bytes(batch.get(0))));
        now[0] += 2_000_000;
        assertEquals(1, device.receive(0, batch));
        batch.releaseAll();
        assertEquals(0, device.held(0));
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void rateLimitPolicesFramesBeyondTheBucket() {
        // 8 Mbit/s is 1 bit per ns; the bucket holds 10 ms: 80,000 bits = 10 frames of 1000 bytes.
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withRateBitsPerSecond(8_000_000));
        byte[] big = new byte[1000];
        for (int i = 0; i < 12; i++) {
            inner.inject(big);
        }
        assertEquals(10, device.receive(0, batch));
        assertEquals(2, device.rxFaults(0).rateLimited);
        batch.releaseAll();
        now[0] += 1_000_000; // 8,000 bits: one more frame
        inner.inject(big);
        inner.inject(big);
        assertEquals(1, device.receive(0, batch));
        assertEquals(3, device.rxFaults(0).rateLimited);
        batch.releaseAll();
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void delayedTransmitFramesLeaveOnALaterCall() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDelayNs(1_000_000)
                .withDirection(FaultPlan.Direction.TX));
        batch.add(inner.frame(frame(1)));
        batch.add(inner.frame(frame(2)));
        assertEquals(2, device.transmit(0, batch));
        batch.removeFirst(2);
        assertTrue(inner.sent.isEmpty());
        now[0] += 1_000_000;
        assertEquals(0, device.receive(0, batch));
        assertEquals(List.of(1, 2), inner.sent.stream().map(FaultInjectingDeviceTest::number).toList());
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void keepsTransmitFramesTheInnerDeviceRefusesForTheNextCall() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDirection(FaultPlan.Direction.TX));
        inner.txLimit = 1;
        for (int i = 0; i < 3; i++) {
            batch.add(inner.frame(frame(i)));
        }
        assertEquals(3, device.transmit(0, batch));
        batch.clear();
        assertEquals(1, inner.sent.size());
        assertEquals(2, device.held(0));
        device.transmit(0, batch);
        device.receive(0, batch);
        assertEquals(List.of(0, 1, 2), inner.sent.stream().map(FaultInjectingDeviceTest::number).toList());
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void faultsOnlyTheConfiguredDirection() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDrop(1).withDirection(FaultPlan.Direction.RX));
        batch.add(inner.frame(frame(1)));
        assertEquals(1, device.transmit(0, batch));
        batch.clear();
        assertEquals(1, inner.sent.size());
        inner.inject(frame(2));
        assertEquals(0, device.receive(0, batch));
        assertEquals(1, device.rxFaults(0).dropped);
        assertEquals(0, device.txFaults(0).frames);
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void closeReleasesHeldFramesAndClosesTheInnerDevice() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED).withDelayNs(1_000_000_000L).withReorder(0.5));
        for (int i = 0; i < 20; i++) {
            inner.inject(frame(i));
        }
        assertEquals(0, device.receive(0, batch));
        batch.add(inner.frame(frame(99)));
        device.transmit(0, batch);
        batch.clear();
        assertTrue(inner.pool.inUse() > 0);
        device.close();
        device.close();
        assertTrue(inner.closed);
        assertEquals(0, inner.pool.inUse());
    }

    @Test
    void delegatesDescriptionAndProperties() {
        FaultInjectingDevice device = wrap(FaultPlan.seeded(SEED));
        assertEquals("test0", device.name());
        assertEquals("faults(test)", device.description());
        assertEquals(inner.macAddress(), device.macAddress());
        assertEquals(1500, device.mtu());
        assertSame(inner.pool, device.pool(0));
        assertSame(inner.counters, device.counters(0));
        assertTrue(Arrays.asList(device.toString().split(" ")).contains("faults(test)"));
    }
}
