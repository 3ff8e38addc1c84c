package dev.netstack.nic.ixgbe.model;

import dev.netstack.nic.ixgbe.DmaAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * DMA memory for tests: regions from a shared arena, each given an I/O address in a made-up bus
 * address space far from any virtual address, so that a driver writing a virtual address into a
 * descriptor or register is caught (the model finds no region there and fails loudly).
 *
 * <p>The model translates I/O addresses with {@link #region(long, long)}: a search over a few
 * regions, allocation-free.
 */
public final class ModelDma implements DmaAllocator {

    /** Where the bus addresses start; odd-looking on purpose. */
    public static final long IO_BASE = 0x0000_5A00_0000_0000L;

    private final Arena arena = Arena.ofShared();
    private long nextIo = IO_BASE;
    private long[] bases = new long[16];
    private long[] sizes = new long[16];
    private MemorySegment[] segments = new MemorySegment[16];
    private int count;

    @Override
    public synchronized Region allocate(long bytes, long alignment) {
        MemorySegment segment = arena.allocate(bytes, Math.max(alignment, 64));
        long io = (nextIo + 0xFFFF) & ~0xFFFFL; // 64 KiB aligned, which covers any alignment asked
        nextIo = io + bytes + 0x10000; // a gap, so running off a region's end hits nothing
        if (count == bases.length) {
            bases = java.util.Arrays.copyOf(bases, count * 2);
            sizes = java.util.Arrays.copyOf(sizes, count * 2);
            segments = java.util.Arrays.copyOf(segments, count * 2);
        }
        bases[count] = io;
        sizes[count] = bytes;
        segments[count] = segment;
        count++;
        return new Region(segment, io);
    }

    /**
     * The index of the region holding {@code length} bytes from I/O address {@code io}.
     *
     * @throws IllegalStateException if no region holds them all: a DMA to memory the driver never
     *         gave the device, which on hardware would corrupt memory or fault in the IOMMU
     */
    public int region(long io, long length) {
        for (int i = 0; i < count; i++) {
            long offset = io - bases[i];
            if (offset >= 0 && offset + length <= sizes[i]) {
                return i;
            }
        }
        throw new IllegalStateException("model: DMA of " + length + " bytes at I/O address 0x" + Long.toHexString(io)
                + " outside every DMA region the driver allocated");
    }

    public MemorySegment segment(int region) {
        return segments[region];
    }

    public long offset(int region, long io) {
        return io - bases[region];
    }

    /** Regions allocated so far. */
    public int regions() {
        return count;
    }

    @Override
    public void close() {
        arena.close();
    }
}
