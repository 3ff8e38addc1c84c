package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacketBatchTest {

    private final Arena arena = Arena.ofConfined();
    private final PacketPool pool = PacketPool.create("b", PacketMemory.offHeap(arena, 8 * 256), 8, 256, 64);

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void addRefusesWhenFull() {
        PacketBatch batch = new PacketBatch(2);
        assertTrue(batch.add(pool.allocate()));
        assertTrue(batch.add(pool.allocate()));
        PacketBuffer extra = pool.allocate();
        assertFalse(batch.add(extra));
        assertTrue(batch.isFull());
        assertEquals(0, batch.remaining());
        extra.release();
        batch.releaseAll();
        assertEquals(0, pool.inUse());
    }

    @Test
    void removeFirstShiftsTheRestToTheFront() {
        PacketBatch batch = new PacketBatch(4);
        PacketBuffer[] b = new PacketBuffer[4];
        for (int i = 0; i < 4; i++) {
            b[i] = pool.allocate();
            batch.add(b[i]);
        }
        batch.removeFirst(3);
        assertEquals(1, batch.size());
        assertSame(b[3], batch.get(0));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.get(1));
        batch.removeFirst(0);
        assertEquals(1, batch.size());
        batch.removeFirst(5);
        assertTrue(batch.isEmpty());
        for (PacketBuffer x : b) {
            x.release();
        }
    }

    @Test
    void clearForgetsWithoutReleasing() {
        PacketBatch batch = new PacketBatch(4);
        pool.allocate(batch, 3);
        PacketBuffer first = batch.get(0);
        batch.clear();
        assertTrue(batch.isEmpty());
        assertEquals(3, pool.inUse());
        assertEquals(1, first.refCount());
    }

    @Test
    void releaseAllReturnsBuffersToPool() {
        PacketBatch batch = new PacketBatch();
        assertEquals(PacketBatch.DEFAULT_CAPACITY, batch.capacity());
        pool.allocate(batch, 8);
        batch.releaseAll();
        assertEquals(0, pool.inUse());
        assertEquals(0, batch.size());
    }

    @Test
    void setAndTruncateCompactWithoutReleasing() {
        PacketBatch batch = new PacketBatch(4);
        pool.allocate(batch, 4);
        PacketBuffer kept = batch.get(2);
        PacketBuffer dropped = batch.get(1);
        batch.set(1, kept);
        batch.truncate(2);
        assertEquals(2, batch.size());
        assertSame(kept, batch.get(1));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.set(2, kept));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.truncate(3));
        assertEquals(4, pool.inUse());
        assertEquals(1, dropped.refCount());
        batch.truncate(0);
        assertTrue(batch.isEmpty());
    }

    @Test
    void rejectsNonPositiveCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new PacketBatch(0));
    }
}
