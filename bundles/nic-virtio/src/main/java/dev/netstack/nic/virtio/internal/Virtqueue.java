package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The driver's side of one split virtqueue (virtio 1.1 §2.6): a descriptor table, the available
 * ring the driver writes and the used ring the device writes, all little-endian in memory the
 * device reaches by DMA. Read §2.6.13 (supplying buffers) and §2.6.14 (receiving used buffers)
 * first.
 *
 * <pre>
 *  offset 0                 16·N                 16·N + 6 + 2·N      align 4096
 *  | descriptors[N] 16 B each | avail: flags idx ring[N] used_event | pad | used: flags idx ring[N]{id,len} avail_event |
 * </pre>
 *
 * <p>This is the legacy layout (§2.6.2, used ring aligned to 4096 so the device can find it from
 * one page number); the modern transport is given the three addresses and accepts it too.
 *
 * <p>Each buffer takes exactly one descriptor (no chains, no indirect descriptors), so descriptor
 * IDs are a free stack and the buffer of a used entry is found by its ID. Indexes are free-running
 * 16-bit counters (§2.6.6: "idx ... wraps naturally at 65536"); slots are {@code index & (N-1)}.
 *
 * <p>Notification suppression: the driver sets {@link #AVAIL_F_NO_INTERRUPT} once (it polls, so it
 * never wants interrupts, §2.6.7) and, after publishing new buffers, notifies the device only if
 * the device has not set {@link #USED_F_NO_NOTIFY} (§2.6.10). Event indexes (VIRTIO_F_EVENT_IDX)
 * are not negotiated.
 *
 * <p>Ordering (§2.6.13.3, §2.6.13.4): descriptors and ring entries are written before the
 * available index (release fence); the index is written before the device's flags are read (full
 * fence); the used index is read before the used entries (acquire fence). Confined to one thread.
 */
public final class Virtqueue {

    /** Descriptor flag: the device writes this buffer (receive), §2.6.5. */
    public static final int DESC_F_WRITE = 2;
    /** Available ring flag: the driver wants no interrupts, §2.6.7. */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** Used ring flag: the device wants no notifications, §2.6.10. */
    public static final int USED_F_NO_NOTIFY = 1;
    /** Legacy queue alignment (§2.6.2). */
    public static final int ALIGN = 4096;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle U16_VOLATILE = U16.varHandle();

    private final int queueIndex;
    private final int size;
    private final int mask;
    private final MemorySegment ring;
    private final long descOffset;
    private final long availOffset;
    private final long usedOffset;
    private final long descAddress;
    private final long availAddress;
    private final long usedAddress;
    private final Notifier notifier;
    private final PacketBuffer[] buffers;
    private final short[] freeIds;
    private int freeCount;
    /** Next available index to publish (free-running, 16 bits used). */
    private int availIdx;
    /** Available index last written to the ring. */
    private int publishedIdx;
    /** Next used index to consume. */
    private int lastUsedIdx;
    private int lastUsedLength;
    private long notifications;
    private long suppressedNotifications;

    /**
     * A queue of {@code size} entries (a power of two, at most 32768) laid out at
     * {@code ringOffset} in {@code memory}, which must hold {@link #ringBytes(int)} bytes there
     * without crossing a discontinuity of I/O addresses.
     */
    public Virtqueue(int queueIndex, int size, PacketMemory memory, long ringOffset, Notifier notifier) {
        if (size <= 0 || size > 32768 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("virtqueue size must be a power of two up to 32768, got " + size);
        }
        if (ringOffset % ALIGN != 0 || ringOffset + ringBytes(size) > memory.segment().byteSize()) {
            throw new IllegalArgumentException("ring of " + ringBytes(size) + " bytes at " + ringOffset
                    + " must be 4096-aligned within " + memory.segment().byteSize() + " bytes");
        }
        this.queueIndex = queueIndex;
        this.size = size;
        this.mask = size - 1;
        this.ring = memory.segment();
        this.descOffset = ringOffset;
        this.availOffset = ringOffset + 16L * size;
        this.usedOffset = ringOffset + usedRingOffset(size);
        this.descAddress = memory.ioAddress(descOffset);
        this.availAddress = memory.ioAddress(availOffset);
        this.usedAddress = memory.ioAddress(usedOffset);
        this.notifier = notifier;
        this.buffers = new PacketBuffer[size];
        this.freeIds = new short[size];
        ring.asSlice(ringOffset, ringBytes(size)).fill((byte) 0);
        for (int i = size - 1; i >= 0; i--) {
            freeIds[freeCount++] = (short) i;
        }
        ring.set(U16, availOffset, (short) AVAIL_F_NO_INTERRUPT); // §2.6.7: we poll
    }

    /** Offset of the used ring from the start of the queue: after descriptors and avail, 4096-aligned. */
    public static long usedRingOffset(int size) {
        return align(16L * size + 6 + 2L * size);
    }

    /** Bytes of one queue in the legacy layout (§2.6.2). */
    public static long ringBytes(int size) {
        return usedRingOffset(size) + align(6 + 8L * size);
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) & -ALIGN;
    }

    public int queueIndex() {
        return queueIndex;
    }

    public int size() {
        return size;
    }

    /** Descriptors free for {@link #add}. */
    public int freeCount() {
        return freeCount;
    }

    /** Buffers the device holds (added and not yet taken back). */
    public int inFlight() {
        return size - freeCount;
    }

    public long descriptorAddress() {
        return descAddress;
    }

    public long availAddress() {
        return availAddress;
    }

    public long usedAddress() {
        return usedAddress;
    }

    /** Times {@link #kick} notified the device. */
    public long notifications() {
        return notifications;
    }

    /** Times {@link #kick} published buffers without notifying, because the device said so. */
    public long suppressedNotifications() {
        return suppressedNotifications;
    }

    /**
     * Puts one buffer in the next available slot, not yet visible to the device (§2.6.13.1,
     * §2.6.13.2): the device reads or writes {@code length} bytes at I/O address {@code ioAddress}.
     *
     * @return false if no descriptor is free (nothing changed)
     */
    public boolean add(PacketBuffer buffer, long ioAddress, int length, boolean deviceWrites) {
        if (freeCount == 0) {
            return false;
        }
        int id = freeIds[--freeCount];
        long d = descOffset + 16L * id;
        ring.set(U64, d, ioAddress);
        ring.set(U32, d + 8, length);
        ring.set(U16, d + 12, (short) (deviceWrites ? DESC_F_WRITE : 0));
        ring.set(U16, d + 14, (short) 0);
        buffers[id] = buffer;
        ring.set(U16, availOffset + 4 + 2L * (availIdx & mask), (short) id);
        availIdx++;
        return true;
    }

    /**
     * Makes the buffers added since the last call visible to the device and notifies it unless it
     * asked not to be (§2.6.13.3, §2.6.13.4, §2.6.10).
     *
     * @return whether the device was notified
     */
    public boolean kick() {
        if (availIdx == publishedIdx) {
            return false;
        }
        VarHandle.releaseFence(); // descriptors and ring entries before the index
        U16_VOLATILE.setVolatile(ring, availOffset + 2, (short) availIdx);
        publishedIdx = availIdx;
        VarHandle.fullFence(); // the index before reading the device's flags
        int usedFlags = (short) U16_VOLATILE.getVolatile(ring, usedOffset) & 0xffff;
        if ((usedFlags & USED_F_NO_NOTIFY) != 0) {
            suppressedNotifications++;
            return false;
        }
        notifications++;
        notifier.notifyDevice(queueIndex);
        return true;
    }

    /** Used entries the device has returned that {@link #takeUsed} has not taken yet. */
    public int pendingUsed() {
        int usedIdx = (short) U16_VOLATILE.getVolatile(ring, usedOffset + 2) & 0xffff;
        return (usedIdx - lastUsedIdx) & 0xffff;
    }

    /**
     * Takes the next buffer the device has used (§2.6.14), or null if there is none; its length
     * (bytes the device wrote) is then {@link #lastUsedLength()}. Ownership of the buffer returns
     * to the caller.
     */
    public PacketBuffer takeUsed() {
        int usedIdx = (short) U16_VOLATILE.getVolatile(ring, usedOffset + 2) & 0xffff;
        if (usedIdx == lastUsedIdx) {
            lastUsedLength = 0;
            return null;
        }
        VarHandle.acquireFence(); // the index before the entries it covers
        long e = usedOffset + 4 + 8L * (lastUsedIdx & mask);
        int id = ring.get(U32, e);
        lastUsedLength = ring.get(U32, e + 4);
        lastUsedIdx = (lastUsedIdx + 1) & 0xffff;
        if (id < 0 || id >= size || buffers[id] == null) {
            lastUsedLength = -1; // a device bug; skip the entry rather than corrupt the free stack
            return null;
        }
        PacketBuffer buffer = buffers[id];
        buffers[id] = null;
        freeIds[freeCount++] = (short) id;
        return buffer;
    }

    /** Bytes the device wrote into the buffer {@link #takeUsed} returned last (-1 after a bad entry). */
    public int lastUsedLength() {
        return lastUsedLength;
    }

    /**
     * Takes back every buffer the device still holds, used or not, and releases it. Only after the
     * device has been reset (§2.4), when it no longer touches the ring.
     */
    public int releaseAll() {
        int released = 0;
        for (int id = 0; id < size; id++) {
            if (buffers[id] != null) {
                buffers[id].release();
                buffers[id] = null;
                freeIds[freeCount++] = (short) id;
                released++;
            }
        }
        return released;
    }

    @Override
    public String toString() {
        return "Virtqueue[" + queueIndex + " size " + size + ", " + inFlight() + " in flight, avail "
                + (availIdx & 0xffff) + ", used " + lastUsedIdx + "]";
    }
}
