package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BufferRingTest {

    private final Arena arena = Arena.ofShared();
    private final PacketPool pool = PacketPool.create("ring", PacketMemory.offHeap(arena, 64 * 256), 64, 256, 64);

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void roundsCapacityUpToAPowerOfTwo() {
        assertEquals(1, new BufferRing(1).capacity());
        assertEquals(8, new BufferRing(5).capacity());
        assertEquals(8, new BufferRing(8).capacity());
        assertThrows(IllegalArgumentException.class, () -> new BufferRing(0));
    }

    @Test
    void handsEntriesOverInOrderAndRefusesWhenFull() {
        BufferRing ring = new BufferRing(4);
        assertNull(ring.poll());
        assertNull(ring.peek());
        for (int i = 0; i < 4; i++) {
            assertTrue(ring.offer(pool.buffer(i)));
        }
        assertFalse(ring.hasRoom());
        assertFalse(ring.offer(pool.buffer(4)));
        assertEquals(4, ring.size());
        assertSame(pool.buffer(0), ring.peek());
        assertSame(pool.buffer(0), ring.poll());
        assertTrue(ring.offer(pool.buffer(4)));
        for (int i = 1; i <= 4; i++) {
            assertSame(pool.buffer(i), ring.poll());
        }
        assertNull(ring.poll());
        assertEquals(0, ring.size());
    }

    @Test
    void carriesAMillionEntriesBetweenTwoThreadsInOrder() throws InterruptedException {
        BufferRing ring = new BufferRing(16);
        int total = 1_000_000;
        AtomicReference<String> failure = new AtomicReference<>();
        Thread consumer = new Thread(() -> {
            int expected = 0;
            while (expected < total) {
                PacketBuffer b = ring.poll();
                if (b == null) {
                    Thread.onSpinWait();
                    continue;
                }
                if (b.index() != expected % pool.capacity()) {
                    failure.compareAndSet(null, "entry " + expected + " was buffer " + b.index());
                }
                expected++;
            }
        });
        consumer.start();
        for (int i = 0; i < total; ) {
            if (ring.offer(pool.buffer(i % pool.capacity()))) {
                i++;
            } else {
                Thread.onSpinWait();
            }
        }
        consumer.join(120_000); // bounded only to fail on a hang
        assertFalse(consumer.isAlive(), "consumer hung");
        assertNull(failure.get());
        assertEquals(0, ring.size());
    }
}
