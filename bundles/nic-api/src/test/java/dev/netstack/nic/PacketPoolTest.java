package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacketPoolTest {

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private PacketPool pool(int buffers) {
        return PacketPool.create("p", PacketMemory.offHeap(arena, buffers * 2048L), buffers, 2048, 128);
    }

    @Test
    void handsOutBuffersWithHeadroomAndRefCountOne() {
        PacketPool pool = pool(4);
        PacketBuffer b = pool.allocate();
        assertEquals(0, b.index());
        assertEquals(128, b.offset());
        assertEquals(0, b.length());
        assertEquals(1, b.refCount());
        assertEquals(2048, b.capacity());
        assertSame(pool, b.pool());
        assertEquals(1, pool.inUse());
        assertEquals(3, pool.available());
    }

    @Test
    void returnsNullAndCountsFailureWhenEmpty() {
        PacketPool pool = pool(2);
        assertNotNull(pool.allocate());
        assertNotNull(pool.allocate());
        assertNull(pool.allocate());
        assertEquals(1, pool.allocationFailures());
        assertEquals(2, pool.inUse());
    }

    @Test
    void reusesTheMostRecentlyReleasedBufferFirst() {
        PacketPool pool = pool(4);
        PacketBuffer a = pool.allocate();
        PacketBuffer b = pool.allocate();
        a.release();
        b.release();
        assertSame(b, pool.allocate());
        assertSame(a, pool.allocate());
    }

    @Test
    void resetsBufferStateOnReallocation() {
        PacketPool pool = pool(1);
        PacketBuffer b = pool.allocate();
        b.append(100);
        b.setFlags(3).setQueue(2).setInterfaceIndex(5).setNetworkOffset(142);
        b.release();
        PacketBuffer again = pool.allocate();
        assertSame(b, again);
        assertEquals(128, again.offset());
        assertEquals(0, again.length());
        assertEquals(0, again.flags());
        assertEquals(0, again.queue());
        assertEquals(0, again.interfaceIndex());
        assertEquals(-1, again.networkOffset());
    }

    @Test
    void inUseReturnsToBaselineAfterRelease() {
        PacketPool pool = pool(8);
        PacketBatch batch = new PacketBatch(8);
        assertEquals(5, pool.allocate(batch, 5));
        assertEquals(5, pool.inUse());
        batch.releaseAll();
        assertEquals(0, pool.inUse());
    }

    @Test
    void batchAllocationStopsAtPoolOrBatchLimit() {
        PacketPool pool = pool(4);
        PacketBatch batch = new PacketBatch(8);
        assertEquals(4, pool.allocate(batch, 6));
        assertEquals(1, pool.allocationFailures());
        batch.releaseAll();
        PacketBatch small = new PacketBatch(2);
        assertEquals(2, pool.allocate(small, 3));
        small.releaseAll();
    }

    @Test
    void buffersAreDisjointSlicesOfTheMemory() {
        PacketPool pool = pool(3);
        long base = pool.memory().segment().address();
        for (int i = 0; i < 3; i++) {
            PacketBuffer b = pool.buffer(i);
            assertEquals(base + i * 2048L, b.segment().address());
            assertEquals(base + i * 2048L, b.ioAddress());
            assertEquals(i, b.index());
        }
    }

    @Test
    void rejectsBadGeometry() {
        PacketMemory memory = PacketMemory.offHeap(arena, 4096);
        assertThrows(IllegalArgumentException.class, () -> PacketPool.create("p", memory, 0, 2048, 128));
        assertThrows(IllegalArgumentException.class, () -> PacketPool.create("p", memory, 3, 2048, 128));
        assertThrows(IllegalArgumentException.class, () -> PacketPool.create("p", memory, 1, 128, 128));
        assertThrows(IllegalArgumentException.class, () -> PacketPool.create("p", memory, 1, 1500, 128));
    }

    @Test
    void toStringShowsUse() {
        PacketPool pool = pool(2);
        pool.allocate();
        assertEquals("PacketPool[p 1/2 in use, 2048 B]", pool.toString());
    }
}
