package dev.netstack.nic.virtio.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The device's side of a split virtqueue (virtio 1.1 §2.6), written from the specification, for
 * tests: reads what the driver made available, writes used entries, sets the device's flags.
 * Addresses in descriptors are taken as offsets into the same memory when they fall inside it.
 */
final class RingModel {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Descriptor(int id, long address, int length, int flags) {
    }

    private final MemorySegment memory;
    private final int size;
    private final long desc;
    private final long avail;
    private final long used;
    private int lastAvail;
    private int usedIdx;

    RingModel(MemorySegment memory, long ringOffset, int size) {
        this.memory = memory;
        this.size = size;
        this.desc = ringOffset;
        this.avail = ringOffset + 16L * size;
        this.used = ringOffset + Virtqueue.usedRingOffset(size);
    }

    int availFlags() {
        return memory.get(U16, avail) & 0xffff;
    }

    int availIdx() {
        return memory.get(U16, avail + 2) & 0xffff;
    }

    int usedIdx() {
        return usedIdx;
    }

    /** Buffers made available and not yet taken by the model. */
    int pending() {
        return (availIdx() - lastAvail) & 0xffff;
    }

    /** Takes everything the driver made available since the last call (§2.6.6). */
    List<Descriptor> takeAvailable() {
        List<Descriptor> out = new ArrayList<>();
        int idx = availIdx();
        while (lastAvail != idx) {
            int id = memory.get(U16, avail + 4 + 2L * (lastAvail % size)) & 0xffff;
            long d = desc + 16L * id;
            out.add(new Descriptor(id, memory.get(U64, d), memory.get(U32, d + 8), memory.get(U16, d + 12) & 0xffff));
            lastAvail = (lastAvail + 1) & 0xffff;
        }
        return out;
    }

    /** Returns descriptor {@code id} with {@code length} bytes written (§2.6.8): entry first, then the index. */
    void use(int id, int length) {
        long e = used + 4 + 8L * (usedIdx % size);
        memory.set(U32, e, id);
        memory.set(U32, e + 4, length);
        usedIdx = (usedIdx + 1) & 0xffff;
        memory.set(U16, used + 2, (short) usedIdx);
    }

    /** Sets or clears VIRTQ_USED_F_NO_NOTIFY (§2.6.10). */
    void suppressNotifications(boolean suppress) {
        memory.set(U16, used, (short) (suppress ? Virtqueue.USED_F_NO_NOTIFY : 0));
    }

    /** The bytes at a descriptor's address, which must lie in {@code memory} at {@code base}. */
    static MemorySegment at(MemorySegment memory, long base, long address, long length) {
        return memory.asSlice(address - base, length);
    }
}
