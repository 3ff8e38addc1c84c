package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VirtqueueTest {

    private final Arena arena = Arena.ofConfined();
    private final PacketMemory ringMemory = PacketMemory.offHeap(arena, 1 << 20);
    private final PacketPool pool = PacketPool.create("test", PacketMemory.offHeap(arena, 64 * 2048), 64, 2048, 128);
    private int notifications;
    private final Notifier notifier = q -> notifications++;

    @AfterEach
    void close() {
        arena.close();
    }

    private Virtqueue queue(int size, RingModel[] model) {
        Virtqueue q = new Virtqueue(1, size, ringMemory, 0, notifier);
        model[0] = new RingModel(ringMemory.segment(), 0, size);
        return q;
    }

    @Test
    void layoutFollowsTheLegacySpecification() {
        // §2.6.2: 16·256 + 6 + 2·256 = 4614 → 8192; used 6 + 8·256 = 2054 → 4096
        assertEquals(8192, Virtqueue.usedRingOffset(256));
        assertEquals(12288, Virtqueue.ringBytes(256));
        Virtqueue q = new Virtqueue(0, 256, ringMemory, 4096, notifier);
        long base = ringMemory.ioAddress(4096);
        assertEquals(base, q.descriptorAddress());
        assertEquals(base + 4096, q.availAddress());
        assertEquals(base + 8192, q.usedAddress());
    }

    @Test
    void rejectsSizesThatAreNotPowersOfTwoAndMisalignedRings() {
        assertThrows(IllegalArgumentException.class, () -> new Virtqueue(0, 100, ringMemory, 0, notifier));
        assertThrows(IllegalArgumentException.class, () -> new Virtqueue(0, 256, ringMemory, 100, notifier));
    }

    @Test
    void asksForNoInterrupts() {
        RingModel[] m = new RingModel[1];
        queue(8, m);
        assertEquals(Virtqueue.AVAIL_F_NO_INTERRUPT, m[0].availFlags());
    }

    @Test
    void addedBuffersBecomeVisibleOnlyOnKick() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        PacketBuffer b = pool.allocate();
        assertTrue(q.add(b, 0x1234_5678_9aL, 1514, true));
        assertEquals(0, m[0].availIdx());
        assertTrue(q.kick());
        assertEquals(1, m[0].availIdx());
        List<RingModel.Descriptor> d = m[0].takeAvailable();
        assertEquals(1, d.size());
        assertEquals(0x1234_5678_9aL, d.get(0).address());
        assertEquals(1514, d.get(0).length());
        assertEquals(Virtqueue.DESC_F_WRITE, d.get(0).flags());
        assertEquals(1, notifications);
    }

    @Test
    void kickWithNothingNewDoesNotNotify() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        assertFalse(q.kick());
        q.add(pool.allocate(), 0, 60, false);
        q.kick();
        assertFalse(q.kick());
        assertEquals(1, notifications);
    }

    @Test
    void notificationIsSkippedWhileTheDeviceSetsNoNotify() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        m[0].suppressNotifications(true);
        q.add(pool.allocate(), 0, 60, false);
        assertFalse(q.kick());
        assertEquals(0, notifications);
        assertEquals(1, q.suppressedNotifications());
        assertEquals(1, m[0].availIdx()); // published all the same
        m[0].suppressNotifications(false);
        q.add(pool.allocate(), 0, 60, false);
        assertTrue(q.kick());
        assertEquals(1, notifications);
    }

    @Test
    void usedBuffersComeBackWithTheirLengthInTheDevicesOrder() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        PacketBuffer[] b = new PacketBuffer[3];
        for (int i = 0; i < 3; i++) {
            b[i] = pool.allocate();
            q.add(b[i], i, 100 + i, true);
        }
        q.kick();
        List<RingModel.Descriptor> d = m[0].takeAvailable();
        assertNull(q.takeUsed());
        m[0].use(d.get(2).id(), 72);
        m[0].use(d.get(0).id(), 64);
        assertEquals(2, q.pendingUsed());
        assertSame(b[2], q.takeUsed());
        assertEquals(72, q.lastUsedLength());
        assertSame(b[0], q.takeUsed());
        assertEquals(64, q.lastUsedLength());
        assertNull(q.takeUsed());
        assertEquals(7, q.freeCount());
    }

    @Test
    void aFullQueueRefusesMoreBuffers() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(4, m);
        for (int i = 0; i < 4; i++) {
            assertTrue(q.add(pool.allocate(), 0, 60, false));
        }
        PacketBuffer extra = pool.allocate();
        assertFalse(q.add(extra, 0, 60, false));
        assertEquals(0, q.freeCount());
        extra.release();
    }

    @Test
    void indexesWrapAt65536() {
        long seed = System.nanoTime();
        System.out.println("indexesWrapAt65536 seed " + seed);
        Random random = new Random(seed);
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        ArrayDeque<RingModel.Descriptor> held = new ArrayDeque<>();
        int added = 0;
        int taken = 0;
        while (taken < 70_000) {
            int n = random.nextInt(q.freeCount() + 1);
            for (int i = 0; i < n; i++) {
                PacketBuffer b = pool.allocate();
                b.setData(128, 60 + (added % 100));
                assertTrue(q.add(b, added, b.length(), false));
                added++;
            }
            q.kick();
            assertEquals(added & 0xffff, m[0].availIdx());
            held.addAll(m[0].takeAvailable());
            int use = random.nextInt(held.size() + 1);
            for (int i = 0; i < use; i++) {
                // complete out of order now and then
                RingModel.Descriptor d = random.nextBoolean() ? held.pollFirst() : held.pollLast();
                m[0].use(d.id(), d.length());
            }
            PacketBuffer b;
            while ((b = q.takeUsed()) != null) {
                assertEquals(b.length(), q.lastUsedLength(), "seed " + seed);
                b.release();
                taken++;
            }
        }
        assertTrue(added > 65536);
        assertEquals(held.size(), q.inFlight(), "seed " + seed);
    }

    @Test
    void aCorruptUsedEntryIsSkippedWithoutLosingTheRest() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        PacketBuffer b = pool.allocate();
        q.add(b, 0, 60, true);
        q.kick();
        int id = m[0].takeAvailable().get(0).id();
        m[0].use(999, 60);
        m[0].use(id, 60);
        assertNull(q.takeUsed());
        assertEquals(-1, q.lastUsedLength());
        assertSame(b, q.takeUsed());
        assertNull(q.takeUsed());
        assertEquals(0, q.lastUsedLength());
    }

    @Test
    void releaseAllGivesBackEveryBufferTheDeviceHeld() {
        RingModel[] m = new RingModel[1];
        Virtqueue q = queue(8, m);
        for (int i = 0; i < 5; i++) {
            q.add(pool.allocate(), 0, 60, true);
        }
        q.kick();
        assertEquals(5, pool.inUse());
        assertEquals(5, q.releaseAll());
        assertEquals(0, pool.inUse());
        assertEquals(8, q.freeCount());
    }
}
