package dev.netstack.nic;

/**
 * A reusable, fixed-capacity array of buffers passed to and from the batch calls of
 * {@link NetDevice}. The batch never owns its buffers: whoever filled it does, until a call that
 * takes ownership says otherwise.
 */
public final class PacketBatch {

    /** A typical burst: large enough to amortise a system call or a doorbell, small enough for L1. */
    public static final int DEFAULT_CAPACITY = 64;

    private final PacketBuffer[] buffers;
    private int size;

    public PacketBatch(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be positive, got " + capacity);
        }
        this.buffers = new PacketBuffer[capacity];
    }

    public PacketBatch() {
        this(DEFAULT_CAPACITY);
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return buffers.length;
    }

    public int remaining() {
        return buffers.length - size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public boolean isFull() {
        return size == buffers.length;
    }

    public PacketBuffer get(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i + " >= " + size);
        }
        return buffers[i];
    }

    /**
     * Replaces entry {@code i} (below {@link #size()}), for a device that keeps some of the frames it
     * received and compacts them to the front. Nothing is released.
     */
    public void set(int i, PacketBuffer buffer) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i + " >= " + size);
        }
        buffers[i] = buffer;
    }

    /** Forgets the entries from {@code newSize} on, without releasing them. */
    public void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IndexOutOfBoundsException("truncate to " + newSize + " of " + size);
        }
        for (int i = newSize; i < size; i++) {
            buffers[i] = null;
        }
        size = newSize;
    }

    /** Appends a buffer; returns false (and keeps nothing) when full. */
    public boolean add(PacketBuffer buffer) {
        if (size == buffers.length) {
            return false;
        }
        buffers[size++] = buffer;
        return true;
    }

    /** Forgets all entries without releasing them. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            buffers[i] = null;
        }
        size = 0;
    }

    /** Drops the first {@code n} entries (those a device accepted) and moves the rest to the front. */
    public void removeFirst(int n) {
        if (n <= 0) {
            return;
        }
        if (n >= size) {
            clear();
            return;
        }
        System.arraycopy(buffers, n, buffers, 0, size - n);
        for (int i = size - n; i < size; i++) {
            buffers[i] = null;
        }
        size -= n;
    }

    /** Releases every buffer in the batch and clears it. */
    public void releaseAll() {
        for (int i = 0; i < size; i++) {
            buffers[i].release();
            buffers[i] = null;
        }
        size = 0;
    }
}
