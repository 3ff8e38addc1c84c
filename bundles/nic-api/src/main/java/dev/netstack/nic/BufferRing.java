package dev.netstack.nic;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded single-producer, single-consumer ring of buffer references between two shard threads.
 * No locks: the producer publishes a slot with a release store of {@code tail}, the consumer frees
 * it with a release store of {@code head}; each side reads the other's index with an acquire load,
 * and only when its cached copy says the ring is full (producer) or empty (consumer).
 *
 * <pre>
 *   slots:  [ . . . h0 h1 h2 . . . ]     head ≤ tail ≤ head + capacity
 *                   ^head     ^tail       full when tail - head == capacity
 *   producer thread: offer, hasRoom       consumer thread: poll, peek
 * </pre>
 *
 * <p>The ring does not own what it carries: whoever put a buffer in decided who owns it on the way
 * out. Entries handed over this way are safely published to the consumer (happens-before through
 * the {@code tail} store and load), so the consumer may read and write the buffer's bytes and
 * fields; only the thread of the buffer's pool may release it.
 */
final class BufferRing {

    private static final VarHandle HEAD;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HEAD = lookup.findVarHandle(BufferRing.class, "head", long.class);
            TAIL = lookup.findVarHandle(BufferRing.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final PacketBuffer[] slots;
    private final int mask;

    // Producer side: its index and its cached view of the consumer's. The padding keeps the two
    // threads' indices on separate cache lines (the JVM keeps declared long fields together).
    private long p00, p01, p02, p03, p04, p05, p06, p07;
    private long tail;
    private long headCache;
    private long p10, p11, p12, p13, p14, p15, p16, p17;
    // Consumer side.
    private long head;
    private long tailCache;
    private long p20, p21, p22, p23, p24, p25, p26, p27;

    /** A ring of at least {@code capacity} entries (rounded up to a power of two). */
    BufferRing(int capacity) {
        if (capacity < 1 || capacity > 1 << 30) {
            throw new IllegalArgumentException("ring capacity must be from 1 to 2^30, got " + capacity);
        }
        int size = capacity == 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
        this.slots = new PacketBuffer[size];
        this.mask = size - 1;
    }

    int capacity() {
        return slots.length;
    }

    /** Producer: whether {@link #offer} would succeed now. */
    boolean hasRoom() {
        long t = tail;
        if (t - headCache < slots.length) {
            return true;
        }
        headCache = (long) HEAD.getAcquire(this);
        return t - headCache < slots.length;
    }

    /** Producer: appends {@code buffer}, or returns false (keeping nothing) if the ring is full. */
    boolean offer(PacketBuffer buffer) {
        if (!hasRoom()) {
            return false;
        }
        long t = tail;
        slots[(int) t & mask] = buffer;
        TAIL.setRelease(this, t + 1);
        return true;
    }

    /** Consumer: the oldest entry, without taking it, or null if the ring is empty. */
    PacketBuffer peek() {
        long h = head;
        if (h == tailCache) {
            tailCache = (long) TAIL.getAcquire(this);
            if (h == tailCache) {
                return null;
            }
        }
        return slots[(int) h & mask];
    }

    /** Consumer: takes the oldest entry, or returns null if the ring is empty. */
    PacketBuffer poll() {
        long h = head;
        if (h == tailCache) {
            tailCache = (long) TAIL.getAcquire(this);
            if (h == tailCache) {
                return null;
            }
        }
        int slot = (int) h & mask;
        PacketBuffer buffer = slots[slot];
        slots[slot] = null;
        HEAD.setRelease(this, h + 1);
        return buffer;
    }

    /** Entries in the ring; exact on either thread when the other is idle, an estimate otherwise. */
    int size() {
        long h = (long) HEAD.getAcquire(this);
        long t = (long) TAIL.getAcquire(this);
        return (int) Math.max(0, Math.min(t - h, slots.length));
    }
}
