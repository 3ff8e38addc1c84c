package dev.netstack.socket.internal;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * A single-producer single-consumer byte ring between an application thread and the shard thread.
 *
 * <pre>
 *   0            head (consumer)        tail (producer)           capacity
 *   │  free      │▓▓▓▓▓ readable ▓▓▓▓▓▓│  free (writable)         │
 *   positions grow without bound; index = position &amp; mask; tail - head = readable
 * </pre>
 *
 * <p>The producer writes bytes, then publishes them with a volatile write of {@code tail}; the
 * consumer reads {@code tail} (volatile), copies, then frees the space with a volatile write of
 * {@code head}. Each side writes only its own position. The storage is a heap array viewed also as a
 * {@link MemorySegment}, so the shard copies between the ring and a connection without allocating.
 */
final class ByteRing {

    private final byte[] data;
    private final MemorySegment segment;
    private final int mask;
    private volatile long head;
    private volatile long tail;

    ByteRing(int capacityBytes) {
        int capacity = Integer.highestOneBit(Math.max(capacityBytes, 64) - 1) << 1;
        this.data = new byte[capacity];
        this.segment = MemorySegment.ofArray(data);
        this.mask = capacity - 1;
    }

    int capacity() {
        return data.length;
    }

    int readable() {
        return (int) (tail - head);
    }

    int writable() {
        return data.length - (int) (tail - head);
    }

    byte[] array() {
        return data;
    }

    MemorySegment segment() {
        return segment;
    }

    // ------------------------------------------------------------------ producer side

    /** Index and length of the contiguous free run at the tail. */
    int tailIndex() {
        return (int) (tail & mask);
    }

    int contiguousWritable() {
        return Math.min(writable(), data.length - tailIndex());
    }

    /** Publishes {@code n} bytes written at {@link #tailIndex()}. */
    void produced(int n) {
        tail = tail + n;
    }

    int write(byte[] src, int offset, int length) {
        int n = Math.min(length, writable());
        int at = tailIndex();
        int first = Math.min(n, data.length - at);
        System.arraycopy(src, offset, data, at, first);
        System.arraycopy(src, offset + first, data, 0, n - first);
        produced(n);
        return n;
    }

    int write(MemorySegment src, long offset, int length) {
        int n = Math.min(length, writable());
        int at = tailIndex();
        int first = Math.min(n, data.length - at);
        MemorySegment.copy(src, offset, segment, at, first);
        MemorySegment.copy(src, offset + first, segment, 0, n - first);
        produced(n);
        return n;
    }

    int write(ByteBuffer src) {
        int n = Math.min(src.remaining(), writable());
        int at = tailIndex();
        int first = Math.min(n, data.length - at);
        src.get(data, at, first);
        src.get(data, 0, n - first);
        produced(n);
        return n;
    }

    /** Writes an int at {@code position} (not yet published), wrapping. */
    void putInt(long position, int value) {
        for (int i = 0; i < 4; i++) {
            data[(int) ((position + i) & mask)] = (byte) (value >>> (24 - 8 * i));
        }
    }

    /** Copies {@code n} bytes to {@code position} (not yet published), wrapping. */
    void putBytes(long position, MemorySegment src, long offset, int n) {
        int at = (int) (position & mask);
        int first = Math.min(n, data.length - at);
        MemorySegment.copy(src, offset, segment, at, first);
        MemorySegment.copy(src, offset + first, segment, 0, n - first);
    }

    void putBytes(long position, byte[] src, int offset, int n) {
        int at = (int) (position & mask);
        int first = Math.min(n, data.length - at);
        System.arraycopy(src, offset, data, at, first);
        System.arraycopy(src, offset + first, data, 0, n - first);
    }

    /** Copies {@code n} bytes from {@code src}'s position (not moving it) to {@code position}. */
    void putBytes(long position, ByteBuffer src, int n) {
        int at = (int) (position & mask);
        int first = Math.min(n, data.length - at);
        src.get(src.position(), data, at, first);
        src.get(src.position() + first, data, 0, n - first);
    }

    long tailPosition() {
        return tail;
    }

    // ------------------------------------------------------------------ consumer side

    int headIndex() {
        return (int) (head & mask);
    }

    int contiguousReadable() {
        return Math.min(readable(), data.length - headIndex());
    }

    /** Frees {@code n} bytes at the head. */
    void consumed(int n) {
        head = head + n;
    }

    int read(byte[] dst, int offset, int max) {
        int n = Math.min(max, readable());
        int at = headIndex();
        int first = Math.min(n, data.length - at);
        System.arraycopy(data, at, dst, offset, first);
        System.arraycopy(data, 0, dst, offset + first, n - first);
        consumed(n);
        return n;
    }

    int read(MemorySegment dst, long offset, int max) {
        int n = Math.min(max, readable());
        int at = headIndex();
        int first = Math.min(n, data.length - at);
        MemorySegment.copy(segment, at, dst, offset, first);
        MemorySegment.copy(segment, 0, dst, offset + first, n - first);
        consumed(n);
        return n;
    }

    int read(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), readable());
        int at = headIndex();
        int first = Math.min(n, data.length - at);
        dst.put(data, at, first);
        dst.put(data, 0, n - first);
        consumed(n);
        return n;
    }

    /** Copies {@code n} bytes starting {@code skip} bytes after the head, without consuming. */
    void peek(int skip, MemorySegment dst, long offset, int n) {
        int at = (int) ((head + skip) & mask);
        int first = Math.min(n, data.length - at);
        MemorySegment.copy(segment, at, dst, offset, first);
        MemorySegment.copy(segment, 0, dst, offset + first, n - first);
    }

    void peek(int skip, byte[] dst, int offset, int n) {
        int at = (int) ((head + skip) & mask);
        int first = Math.min(n, data.length - at);
        System.arraycopy(data, at, dst, offset, first);
        System.arraycopy(data, 0, dst, offset + first, n - first);
    }

    void peek(int skip, ByteBuffer dst, int n) {
        int at = (int) ((head + skip) & mask);
        int first = Math.min(n, data.length - at);
        dst.put(data, at, first);
        dst.put(data, 0, n - first);
    }

    int peekInt(int skip) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = (v << 8) | (data[(int) ((head + skip + i) & mask)] & 0xFF);
        }
        return v;
    }
}
