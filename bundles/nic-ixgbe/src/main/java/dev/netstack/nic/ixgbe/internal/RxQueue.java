package dev.netstack.nic.ixgbe.internal;

import static dev.netstack.nic.ixgbe.internal.Regs.*;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.ixgbe.Registers;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One receive ring of advanced one-buffer descriptors (82599 §7.1.6, ring structure §7.1.9).
 *
 * <pre>
 *   descriptors:  0 ........ next ............ RDH ............. RDT ....... size-1
 *                 |  owned by software: done, |  owned by hardware:  | sw, refilled,
 *                 |  not yet looked at        |  empty, to be filled | not yet handed over
 * </pre>
 *
 * <p>The device fills descriptors from RDH up to, not including, RDT; RDH == RDT means it has none
 * left and drops (SRRCTL.Drop_En, counted in QPRDC). Software reads write-backs from {@code next}
 * while DD is set, refills each descriptor with a fresh buffer at once and hands the batch back by
 * one RDT write: RDT = the last descriptor refilled, off by one on purpose, so that RDT never
 * catches up with RDH, which would read as "no descriptors" rather than "all descriptors".
 *
 * <p>Confined to the shard that owns the queue. Nothing allocates per packet.
 */
public final class RxQueue {

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Registers regs;
    private final int queue;
    private final MemorySegment ring;
    private final int mask;
    private final PacketBuffer[] buffers;
    private final PacketPool pool;
    private final int headroom;
    private final DeviceCounters counters;
    private int next;
    /** Inside a frame that spans descriptors (no EOP yet): drop until EOP. */
    private boolean discarding;

    public RxQueue(Registers regs, int queue, MemorySegment ring, int size, PacketPool pool, DeviceCounters counters) {
        this.regs = regs;
        this.queue = queue;
        this.ring = ring;
        this.mask = size - 1;
        this.buffers = new PacketBuffer[size];
        this.pool = pool;
        this.headroom = pool.headroom();
        this.counters = counters;
    }

    /** Gives every descriptor a buffer (§7.1.6.1 read format: packet address, header address 0). */
    public void fill() {
        for (int i = 0; i <= mask; i++) {
            PacketBuffer buffer = pool.allocate();
            if (buffer == null) {
                throw new IllegalStateException("pool " + pool.name() + " is smaller than its RX ring");
            }
            buffers[i] = buffer;
            arm(i, buffer);
        }
    }

    /** The tail to write once the queue is enabled: all but one descriptor for the device. */
    public int initialTail() {
        return mask;
    }

    public int receive(PacketBatch batch) {
        int max = batch.remaining();
        int index = next;
        int last = -1;
        int received = 0;
        while (received < max) {
            long at = (long) index * RX_DESC_BYTES;
            int statusError = ring.get(INT, at + RXWB_STATUS_ERROR);
            if ((statusError & RXD_STAT_DD) == 0) {
                break;
            }
            // The rest of the write-back is valid once DD is seen (§7.1.6.2): read it after DD.
            VarHandle.acquireFence();
            int length = ring.get(SHORT, at + RXWB_LENGTH) & 0xFFFF;
            PacketBuffer buffer = buffers[index];
            PacketBuffer refill;
            boolean endOfPacket = (statusError & RXD_STAT_EOP) != 0;
            if (discarding || !endOfPacket || (statusError & RXD_ERR_RXE) != 0) {
                // A frame larger than one buffer (cannot happen with jumbo frames off) or a MAC
                // error: drop every piece and keep the buffer on the ring.
                discarding = !endOfPacket;
                if (endOfPacket) {
                    counters.rxErrors++; // once per frame, at its last piece
                }
                refill = buffer;
            } else if ((refill = pool.allocate()) == null) {
                // No buffer to put in its place: drop this frame rather than stall the ring.
                counters.rxDropped++;
                refill = buffer;
            } else {
                buffer.setData(headroom, length);
                buffer.setQueue(queue);
                buffer.setLinkOffset(headroom);
                buffer.setFlags(checksumFlags(statusError));
                batch.add(buffer);
                received++;
                counters.rxPackets++;
                counters.rxBytes += length;
            }
            buffers[index] = refill;
            arm(index, refill);
            last = index;
            index = (index + 1) & mask;
        }
        if (last >= 0) {
            next = index;
            // Descriptors must be in memory before the device sees the new tail (§7.1.9).
            VarHandle.releaseFence();
            regs.set32(rdt(queue), last);
        }
        return received;
    }

    /**
     * IPCS and L4I say the IPv4 header and the TCP/UDP checksum were checked, IPE and L4E that they
     * failed (§7.1.6.2 extended status and error fields).
     */
    private static int checksumFlags(int statusError) {
        int checked = RXD_STAT_IPCS | RXD_STAT_L4CS;
        if ((statusError & checked) == checked && (statusError & (RXD_ERR_IPE | RXD_ERR_L4E)) == 0) {
            return PacketBuffer.FLAG_CHECKSUM_VERIFIED;
        }
        return 0;
    }

    private void arm(int index, PacketBuffer buffer) {
        long at = (long) index * RX_DESC_BYTES;
        ring.set(LONG, at, buffer.ioAddress() + headroom);
        // Header buffer address 0; its low bit overlaps DD of the write-back, so this also clears DD.
        ring.set(LONG, at + 8, 0L);
    }

    /** Releases the buffers on the ring; the device must be stopped. */
    public void releaseAll() {
        for (int i = 0; i <= mask; i++) {
            if (buffers[i] != null) {
                buffers[i].release();
                buffers[i] = null;
            }
        }
    }
}
