package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacketBufferTest {

    private final Arena arena = Arena.ofConfined();
    private final PacketPool pool = PacketPool.create("b", PacketMemory.offHeap(arena, 2 * 256), 2, 256, 64);

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @Test
    void appendGrowsDataAtTheEnd() {
        PacketBuffer b = pool.allocate();
        assertEquals(64, b.append(20));
        assertEquals(84, b.append(10));
        assertEquals(30, b.length());
        assertEquals(94, b.end());
        assertEquals(256 - 94, b.tailroom());
    }

    @Test
    void prependUsesHeadroom() {
        PacketBuffer b = pool.allocate();
        b.append(20);
        assertEquals(50, b.prepend(14));
        assertEquals(34, b.length());
        assertEquals(50, b.headroom());
        assertThrows(IndexOutOfBoundsException.class, () -> b.prepend(51));
        assertEquals(50, b.offset());
    }

    @Test
    void advanceStripsAHeader() {
        PacketBuffer b = pool.allocate();
        b.append(60);
        b.advance(14);
        assertEquals(78, b.offset());
        assertEquals(46, b.length());
        assertThrows(IndexOutOfBoundsException.class, () -> b.advance(47));
    }

    @Test
    void appendBeyondTailroomThrowsAndChangesNothing() {
        PacketBuffer b = pool.allocate();
        assertThrows(IndexOutOfBoundsException.class, () -> b.append(256 - 64 + 1));
        assertEquals(0, b.length());
        b.append(256 - 64);
        assertEquals(0, b.tailroom());
    }

    @Test
    void truncateCutsTheEnd() {
        PacketBuffer b = pool.allocate();
        b.append(60);
        b.truncate(42);
        assertEquals(42, b.length());
        assertThrows(IndexOutOfBoundsException.class, () -> b.truncate(43));
        assertThrows(IndexOutOfBoundsException.class, () -> b.truncate(-1));
    }

    @Test
    void setDataChecksTheSlot() {
        PacketBuffer b = pool.allocate();
        b.setData(0, 256);
        assertEquals(0, b.headroom());
        assertThrows(IndexOutOfBoundsException.class, () -> b.setData(1, 256));
        assertThrows(IndexOutOfBoundsException.class, () -> b.setData(-1, 2));
    }

    @Test
    void layerOffsetsStartUnsetAndAreRecorded() {
        PacketBuffer b = pool.allocate();
        assertEquals(-1, b.linkOffset());
        assertEquals(-1, b.networkOffset());
        assertEquals(-1, b.transportOffset());
        b.setLinkOffset(64).setNetworkOffset(78).setTransportOffset(98);
        assertEquals(64, b.linkOffset());
        assertEquals(78, b.networkOffset());
        assertEquals(98, b.transportOffset());
    }

    @Test
    void checksumRequestSetsPartialFlag() {
        PacketBuffer b = pool.allocate();
        b.setFlags(PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        b.setChecksumRequest(34, 16);
        assertTrue(b.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL));
        assertTrue(b.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        assertEquals(34, b.checksumStart());
        assertEquals(16, b.checksumOffset());
    }

    @Test
    void retainedBufferReturnsToPoolAfterLastRelease() {
        PacketBuffer b = pool.allocate();
        b.retain();
        assertEquals(2, b.refCount());
        b.release();
        assertEquals(1, pool.inUse());
        b.release();
        assertEquals(0, pool.inUse());
        assertEquals(0, b.refCount());
    }

    @Test
    void doubleReleaseAndRetainOfFreeBufferThrow() {
        PacketBuffer b = pool.allocate();
        b.release();
        assertThrows(IllegalStateException.class, b::release);
        assertThrows(IllegalStateException.class, b::retain);
        assertEquals(0, pool.inUse());
    }

    @Test
    void toStringNamesPoolAndIndex() {
        PacketBuffer b = pool.allocate();
        b.append(5);
        assertEquals("PacketBuffer[b#0 offset=64 length=5 refs=1]", b.toString());
    }
}
