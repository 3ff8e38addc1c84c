package dev.netstack.nic;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A region of memory that a {@link PacketPool} carves into buffers, and the address a device uses
 * to reach each byte of it.
 *
 * <p>Plain off-heap memory serves software devices (TAP, in-memory links); the PCI drivers back
 * pools with DMA memory whose {@link #ioAddress(long) I/O addresses} differ from the virtual ones.
 */
public interface PacketMemory {

    /** The whole region, valid while the memory is open. */
    MemorySegment segment();

    /**
     * The address a device uses for the byte at {@code offset} in {@link #segment()}. For
     * memory that devices do not reach by DMA this is the virtual address. A buffer never spans a
     * discontinuity of I/O addresses: implementations choose chunk sizes so that it cannot.
     */
    long ioAddress(long offset);

    /** The largest buffer size that never crosses a discontinuity of I/O addresses. */
    default long contiguousChunkBytes() {
        return segment().byteSize();
    }

    /** Zeroed off-heap memory from {@code arena}, aligned to 64 bytes (a cache line). */
    static PacketMemory offHeap(Arena arena, long bytes) {
        MemorySegment segment = arena.allocate(bytes, 64);
        return new PacketMemory() {
            @Override
            public MemorySegment segment() {
                return segment;
            }

            @Override
            public long ioAddress(long offset) {
                return segment.address() + offset;
            }
        };
    }
}
