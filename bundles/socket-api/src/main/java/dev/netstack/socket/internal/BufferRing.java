package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;

/**
 * A single-producer single-consumer ring of packet buffers with three ints of metadata each
 * (address, port, a spare), between an application thread and the shard. Same publication rule as
 * {@link ByteRing}: slot written, then the volatile {@code tail}; slot read, then {@code head}.
 * Ownership of a buffer moves with it.
 */
final class BufferRing {

    private final PacketBuffer[] buffers;
    private final int[] meta;
    private final int mask;
    private volatile long head;
    private volatile long tail;

    BufferRing(int capacity) {
        int size = Integer.highestOneBit(Math.max(capacity, 2) - 1) << 1;
        this.buffers = new PacketBuffer[size];
        this.meta = new int[size * 3];
        this.mask = size - 1;
    }

    int size() {
        return (int) (tail - head);
    }

    boolean isFull() {
        return tail - head == buffers.length;
    }

    /** Producer: false if full (the caller keeps the buffer). */
    boolean offer(PacketBuffer buffer, int a, int b, int c) {
        long t = tail;
        if (t - head == buffers.length) {
            return false;
        }
        int i = (int) (t & mask);
        buffers[i] = buffer;
        meta[3 * i] = a;
        meta[3 * i + 1] = b;
        meta[3 * i + 2] = c;
        tail = t + 1;
        return true;
    }

    /** Consumer: the head buffer without taking it, or null. */
    PacketBuffer peek() {
        long h = head;
        return h == tail ? null : buffers[(int) (h & mask)];
    }

    /** Consumer: metadata {@code k} (0..2) of the head slot. */
    int peekMeta(int k) {
        return meta[3 * (int) (head & mask) + k];
    }

    /** Consumer: takes the head buffer, or null. */
    PacketBuffer poll() {
        long h = head;
        if (h == tail) {
            return null;
        }
        int i = (int) (h & mask);
        PacketBuffer buffer = buffers[i];
        buffers[i] = null;
        head = h + 1;
        return buffer;
    }
}
