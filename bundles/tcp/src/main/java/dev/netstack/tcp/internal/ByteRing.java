package dev.netstack.tcp.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An off-heap byte ring for a connection's send or receive buffer. Bytes
 * {@code [0, length())} relative to the read position are committed; a receive buffer may also
 * hold out-of-order bytes further on, written with {@link #writeAt} and committed later with
 * {@link #commit}.
 *
 * <pre>
 *   0          read                      read+length            capacity
 *   |..........|###### committed ########|   free (out-of-order  |
 *   |##########|   (wraps around)                bytes land here)|
 * </pre>
 *
 * <p>Capacity is any size; positions wrap modulo capacity. Shard-confined; allocation-free after
 * construction.
 */
final class ByteRing {

    private final MemorySegment memory;
    private final int capacity;
    private int read;
    private int length;

    ByteRing(int capacity) {
        this.capacity = capacity;
        this.memory = Arena.ofAuto().allocate(capacity, 64);
    }

    int capacity() {
        return capacity;
    }

    /** Committed bytes. */
    int length() {
        return length;
    }

    int free() {
        return capacity - length;
    }

    void clear() {
        read = 0;
        length = 0;
    }

    /** Appends up to {@code count} bytes; returns how many fitted. */
    int append(MemorySegment src, long srcOffset, int count) {
        int n = Math.min(count, free());
        writeAt(length, src, srcOffset, n);
        length += n;
        return n;
    }

    /**
     * Writes {@code count} bytes at {@code position} (relative to the read position) without
     * committing them; the caller guarantees {@code position + count <= capacity}.
     */
    void writeAt(int position, MemorySegment src, long srcOffset, int count) {
        int at = index(position);
        int first = Math.min(count, capacity - at);
        MemorySegment.copy(src, srcOffset, memory, at, first);
        if (count > first) {
            MemorySegment.copy(src, srcOffset + first, memory, 0, count - first);
        }
    }

    /** Commits {@code count} bytes written with {@link #writeAt} just after the committed ones. */
    void commit(int count) {
        length += count;
    }

    /** Copies {@code count} committed bytes from {@code position} (relative to read) into {@code dst}. */
    void copyOut(int position, MemorySegment dst, long dstOffset, int count) {
        int at = index(position);
        int first = Math.min(count, capacity - at);
        MemorySegment.copy(memory, at, dst, dstOffset, first);
        if (count > first) {
            MemorySegment.copy(memory, 0, dst, dstOffset + first, count - first);
        }
    }

    /** Drops {@code count} bytes from the front. */
    void discard(int count) {
        // The read position never jumps back to 0 when the ring empties: out-of-order bytes written
        // beyond the committed ones must keep their place.
        read = index(count);
        length -= count;
    }

    private int index(int position) {
        int at = read + position;
        return at >= capacity ? at - capacity : at;
    }
}
