package dev.netstack.nic;

import java.lang.foreign.MemorySegment;

/**
 * A fixed set of equal-sized packet buffers carved from one {@link PacketMemory} region at
 * creation; nothing is allocated afterwards.
 *
 * <p>Free buffers sit on a stack, so the most recently released (and cache-warm) buffer is handed
 * out next. A pool is confined to one thread, the shard that owns it: it takes no locks.
 *
 * <p>Leak checks: {@link #inUse()} goes back to its baseline when every buffer has been released.
 */
public final class PacketPool {

    /** Default room before the data, enough for every header the stack prepends plus a device header. */
    public static final int DEFAULT_HEADROOM = 128;
    /** Default slot size: a 1500-byte MTU frame, the headroom, rounded to a power of two. */
    public static final int DEFAULT_BUFFER_SIZE = 2048;

    private final String name;
    private final PacketMemory memory;
    private final int bufferSize;
    private final int headroom;
    private final PacketBuffer[] all;
    private final PacketBuffer[] free;
    private int freeCount;
    private long allocationFailures;

    private PacketPool(String name, PacketMemory memory, int bufferCount, int bufferSize, int headroom) {
        if (bufferCount <= 0) {
            throw new IllegalArgumentException("a pool needs at least one buffer, got " + bufferCount);
        }
        if (bufferSize <= headroom || headroom < 0) {
            throw new IllegalArgumentException("buffer size " + bufferSize + " must exceed headroom " + headroom);
        }
        if ((long) bufferCount * bufferSize > memory.segment().byteSize()) {
            throw new IllegalArgumentException(bufferCount + " buffers of " + bufferSize + " bytes do not fit in "
                    + memory.segment().byteSize() + " bytes of packet memory");
        }
        if (bufferSize > memory.contiguousChunkBytes() || memory.contiguousChunkBytes() % bufferSize != 0) {
            throw new IllegalArgumentException("buffer size " + bufferSize
                    + " must divide the memory's contiguous chunk of " + memory.contiguousChunkBytes() + " bytes");
        }
        this.name = name;
        this.memory = memory;
        this.bufferSize = bufferSize;
        this.headroom = headroom;
        this.all = new PacketBuffer[bufferCount];
        this.free = new PacketBuffer[bufferCount];
        MemorySegment region = memory.segment();
        for (int i = 0; i < bufferCount; i++) {
            long at = (long) i * bufferSize;
            PacketBuffer buffer = new PacketBuffer(this, i, region.asSlice(at, bufferSize), memory.ioAddress(at));
            all[i] = buffer;
        }
        // Push in reverse so buffer 0 is handed out first: easier to read in traces.
        for (int i = bufferCount - 1; i >= 0; i--) {
            free[freeCount++] = all[i];
        }
    }

    /**
     * A pool of {@code bufferCount} buffers of {@code bufferSize} bytes, each with {@code headroom}
     * bytes reserved in front of the data.
     */
    public static PacketPool create(String name, PacketMemory memory, int bufferCount, int bufferSize, int headroom) {
        return new PacketPool(name, memory, bufferCount, bufferSize, headroom);
    }

    /** Takes one buffer (refCount 1, empty data after the headroom), or null if none is free. */
    public PacketBuffer allocate() {
        if (freeCount == 0) {
            allocationFailures++;
            return null;
        }
        PacketBuffer buffer = free[--freeCount];
        free[freeCount] = null;
        buffer.reset(headroom);
        return buffer;
    }

    /** Takes up to {@code count} buffers into {@code batch}; returns how many it took. */
    public int allocate(PacketBatch batch, int count) {
        int n = Math.min(count, Math.min(freeCount, batch.remaining()));
        for (int i = 0; i < n; i++) {
            PacketBuffer buffer = free[--freeCount];
            free[freeCount] = null;
            buffer.reset(headroom);
            batch.add(buffer);
        }
        if (n < count) {
            allocationFailures++;
        }
        return n;
    }

    void recycle(PacketBuffer buffer) {
        free[freeCount++] = buffer;
    }

    /** The buffer with this index, for drivers that find buffers by descriptor index. */
    public PacketBuffer buffer(int index) {
        return all[index];
    }

    public String name() {
        return name;
    }

    public PacketMemory memory() {
        return memory;
    }

    public int bufferSize() {
        return bufferSize;
    }

    public int headroom() {
        return headroom;
    }

    public int capacity() {
        return all.length;
    }

    public int available() {
        return freeCount;
    }

    public int inUse() {
        return all.length - freeCount;
    }

    /** Times {@link #allocate} found too few free buffers. */
    public long allocationFailures() {
        return allocationFailures;
    }

    @Override
    public String toString() {
        return "PacketPool[" + name + " " + inUse() + "/" + all.length + " in use, " + bufferSize + " B]";
    }
}
