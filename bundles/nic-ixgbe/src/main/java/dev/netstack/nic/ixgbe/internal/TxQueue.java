package dev.netstack.nic.ixgbe.internal;

import static dev.netstack.nic.ixgbe.internal.Regs.*;
import static dev.netstack.nic.ixgbe.internal.RxQueue.INT;
import static dev.netstack.nic.ixgbe.internal.RxQueue.LONG;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.ixgbe.Registers;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One transmit ring of advanced data descriptors (82599 §7.2.3.2.4, ring structure §7.2.3.3).
 *
 * <pre>
 *   descriptors:  .... clean ................. tail ..................... clean-1
 *                      | handed to the device: |  free for software       | always empty:
 *                      | sent or being sent    |                          | tail == head means "nothing to send"
 * </pre>
 *
 * <p>Software writes descriptors at {@code tail} and publishes them with one TDT write per call.
 * Buffers are reclaimed lazily: every {@value #RS_INTERVAL}th descriptor, and the last of each
 * call, carries RS (report status); with TXDCTL.WTHRESH = 0 the device writes DD back into exactly
 * those descriptors once they are done (§7.2.3.5.1), and a DD on an RS descriptor means every
 * descriptor before it is done too. A FIFO of RS positions tells reclaim where to look: one
 * descriptor read per group. When the ring is full, {@link #transmit} takes fewer frames
 * (back-pressure) and the caller keeps the rest.
 *
 * <p>Confined to the shard that owns the queue. Nothing allocates per packet.
 */
public final class TxQueue {

    /** Descriptors per RS: few enough write-backs, soon enough reclaim. */
    public static final int RS_INTERVAL = 32;

    private static final int MIN_FRAME = 14;

    private final Registers regs;
    private final int queue;
    private final MemorySegment ring;
    private final int mask;
    private final PacketBuffer[] buffers;
    private final PacketPool pool;
    private final DeviceCounters counters;
    private final int maxFrameBytes;
    private final int[] rsFifo;
    private int rsHead;
    private int rsCount;
    private int sinceRs;
    private int tail;
    private int clean;

    public TxQueue(Registers regs, int queue, MemorySegment ring, int size, PacketPool pool, DeviceCounters counters,
            int maxFrameBytes) {
        this.regs = regs;
        this.queue = queue;
        this.ring = ring;
        this.mask = size - 1;
        this.buffers = new PacketBuffer[size];
        this.pool = pool;
        this.counters = counters;
        this.maxFrameBytes = maxFrameBytes;
        this.rsFifo = new int[size];
    }

    public int transmit(PacketBatch batch) {
        reclaim();
        int inFlight = (tail - clean) & mask;
        int room = mask - inFlight;
        int n = Math.min(batch.size(), room);
        int taken = 0;
        int index = tail;
        for (; taken < n; taken++) {
            PacketBuffer buffer = batch.get(taken);
            int length = buffer.length();
            if (length < MIN_FRAME || length > maxFrameBytes) {
                counters.txErrors++;
                buffer.release();
                continue;
            }
            if (buffer.pool() != pool) {
                // Not in this queue's DMA pool: the device cannot reach it, so copy it over.
                PacketBuffer copy = pool.allocate();
                if (copy == null) {
                    break;
                }
                MemorySegment.copy(buffer.segment(), buffer.offset(), copy.segment(), copy.offset(), length);
                copy.setData(copy.offset(), length);
                buffer.release();
                buffer = copy;
            }
            long at = (long) index * TX_DESC_BYTES;
            int command = TXD_DTYP_DATA | TXD_CMD_DEXT | TXD_CMD_IFCS | TXD_CMD_EOP | length;
            if (++sinceRs >= RS_INTERVAL) {
                command |= TXD_CMD_RS;
                markRs(index);
            }
            ring.set(LONG, at, buffer.ioAddress() + buffer.offset());
            ring.set(INT, at + 8, command);
            // PAYLEN: the whole frame, as there is no segmentation offload here.
            ring.set(INT, at + 12, length << TXD_PAYLEN_SHIFT);
            buffers[index] = buffer;
            counters.txPackets++;
            counters.txBytes += length;
            index = (index + 1) & mask;
        }
        if (index != tail) {
            int lastWritten = (index - 1) & mask;
            if (sinceRs > 0) {
                // Report status on the last descriptor too, so a burst that stops here is reclaimed.
                long at = (long) lastWritten * TX_DESC_BYTES + 8;
                ring.set(INT, at, ring.get(INT, at) | TXD_CMD_RS);
                markRs(lastWritten);
            }
            tail = index;
            VarHandle.releaseFence();
            regs.set32(tdt(queue), index);
        }
        return taken;
    }

    private void markRs(int index) {
        sinceRs = 0;
        rsFifo[(rsHead + rsCount) & mask] = index;
        rsCount++;
    }

    /** Returns the buffers of every RS group the device has finished to their pool. */
    public int reclaim() {
        int freed = 0;
        while (rsCount > 0) {
            int done = rsFifo[rsHead];
            if ((ring.get(INT, (long) done * TX_DESC_BYTES + TXWB_STATUS) & TXD_STAT_DD) == 0) {
                break;
            }
            VarHandle.acquireFence();
            while (true) {
                int i = clean;
                buffers[i].release();
                buffers[i] = null;
                clean = (i + 1) & mask;
                freed++;
                if (i == done) {
                    break;
                }
            }
            rsHead = (rsHead + 1) & mask;
            rsCount--;
        }
        return freed;
    }

    /** Descriptors handed to the device and not yet reclaimed. */
    public int inFlight() {
        return (tail - clean) & mask;
    }

    /** Releases every buffer still on the ring; the device must be stopped. */
    public void releaseAll() {
        while (clean != tail) {
            buffers[clean].release();
            buffers[clean] = null;
            clean = (clean + 1) & mask;
        }
        rsCount = 0;
        sinceRs = 0;
    }
}
