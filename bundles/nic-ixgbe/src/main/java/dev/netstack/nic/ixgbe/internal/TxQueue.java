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
import java.lang.foreign.ValueLayout;
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
 * those descriptors once they are done (§7.2.3.5), and a DD on an RS descriptor means every
 * descriptor before it is done too. A FIFO of RS positions tells reclaim where to look: one
 * descriptor read per group. {@link #transmit} reclaims first, and so does every receive poll of
 * the queue ({@code IxgbeDevice.receive}), so buffers come back even when nothing more is sent.
 * When the ring is full, {@link #transmit} takes fewer frames (back-pressure) and the caller keeps
 * the rest.
 *
 * <p>Checksum offload: a buffer with {@link PacketBuffer#FLAG_CHECKSUM_PARTIAL} for TCP or UDP over
 * IPv4 gets the L4 checksum inserted by the device (POPTS.TXSM) under an advanced context
 * descriptor (§7.2.3.2.3) that gives the header lengths; the context sits in slot 0 and is
 * rewritten only when the lengths or the L4 type change. Other requests are computed here.
 *
 * <p>Confined to the shard that owns the queue. Nothing allocates per packet.
 */
public final class TxQueue {

    /** Descriptors per RS: few enough write-backs, soon enough reclaim. */
    public static final int RS_INTERVAL = 32;

    private static final int MIN_FRAME = 14;
    private static final ValueLayout.OfShort BE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

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
    /** The context last written to slot 0, 0 for none (see {@link #checksumContext}). */
    private int lastContext;

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
        int free = mask - ((tail - clean) & mask);
        int n = batch.size();
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
            int context = 0;
            if (buffer.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL)) {
                context = checksumContext(buffer);
                if (context == 0) {
                    softwareChecksum(buffer);
                }
            }
            boolean newContext = context != 0 && context != lastContext;
            if (free < (newContext ? 2 : 1)) {
                break; // ring full: the caller keeps this one and the rest
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
            if (newContext) {
                writeContext(index, context);
                lastContext = context;
                buffers[index] = null;
                index = (index + 1) & mask;
                free--;
                sinceRs++;
            }
            long at = (long) index * TX_DESC_BYTES;
            int command = TXD_DTYP_DATA | TXD_CMD_DEXT | TXD_CMD_IFCS | TXD_CMD_EOP | length;
            if (++sinceRs >= RS_INTERVAL) {
                command |= TXD_CMD_RS;
                markRs(index);
            }
            // PAYLEN: the whole frame, as there is no segmentation offload here.
            int olinfo = length << TXD_PAYLEN_SHIFT;
            if (context != 0) {
                // Use context slot 0 (IDX 0), check it (CC), insert the L4 checksum (POPTS.TXSM).
                olinfo |= TXD_CC | TXD_POPTS_TXSM;
            }
            ring.set(LONG, at, buffer.ioAddress() + buffer.offset());
            ring.set(INT, at + 8, command);
            ring.set(INT, at + 12, olinfo);
            buffers[index] = buffer;
            counters.txPackets++;
            counters.txBytes += length;
            index = (index + 1) & mask;
            free--;
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

    /**
     * The offload context a checksum request needs, packed as MACLEN | IPLEN << 8 | L4 type << 16
     * | 1 << 24 (never 0), or 0 if the device cannot do it: the device knows TCP (checksum at 16)
     * and UDP (checksum at 6) after an IPv4 header whose start it is told (§7.2.3.2.3).
     */
    private static int checksumContext(PacketBuffer buffer) {
        int start = buffer.checksumStart();
        int macLength = buffer.networkOffset() >= 0 ? buffer.networkOffset() - buffer.offset() : 14;
        int ipLength = start - macLength;
        int l4Type;
        if (buffer.checksumOffset() == 16) {
            l4Type = 1;
        } else if (buffer.checksumOffset() == 6) {
            l4Type = 0;
        } else {
            return 0;
        }
        if (macLength < 14 || macLength > 127 || ipLength < 20 || ipLength > 511
                || start + buffer.checksumOffset() + 2 > buffer.length()) {
            return 0;
        }
        return macLength | ipLength << 8 | l4Type << 16 | 1 << 24;
    }

    /** Advanced context descriptor (§7.2.3.2.3) in slot IDX 0: header lengths and L4 type, IPv4. */
    private void writeContext(int index, int context) {
        long at = (long) index * TX_DESC_BYTES;
        int macLength = context & 0xFF;
        int ipLength = (context >>> 8) & 0xFF;
        int l4Type = (context >>> 16) & 0x1;
        ring.set(INT, at, ipLength | macLength << TXCTX_MACLEN_SHIFT);
        ring.set(INT, at + 4, 0);
        ring.set(INT, at + 8, TXD_DTYP_CONTEXT | TXD_CMD_DEXT | TXCTX_TUCMD_IPV4
                | (l4Type == 1 ? TXCTX_TUCMD_L4T_TCP : TXCTX_TUCMD_L4T_UDP));
        ring.set(INT, at + 12, 0); // IDX 0, no L4LEN or MSS without segmentation
    }

    /**
     * What the device would have done, for requests it cannot take: the ones' complement sum from
     * the checksum start to the end (the field holds the pseudo-header sum), stored complemented.
     */
    private static void softwareChecksum(PacketBuffer buffer) {
        MemorySegment s = buffer.segment();
        long from = buffer.offset() + buffer.checksumStart();
        long end = buffer.end();
        long sum = 0;
        long i = from;
        for (; i + 1 < end; i += 2) {
            sum += s.get(BE_SHORT, i) & 0xFFFF;
        }
        if (i < end) {
            sum += (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        int checksum = ~(int) sum & 0xFFFF;
        s.set(BE_SHORT, from + buffer.checksumOffset(), (short) (checksum == 0 ? 0xFFFF : checksum));
        buffer.setFlags(buffer.flags() & ~PacketBuffer.FLAG_CHECKSUM_PARTIAL);
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
                if (buffers[i] != null) { // null: a context descriptor
                    buffers[i].release();
                    buffers[i] = null;
                }
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
            if (buffers[clean] != null) {
                buffers[clean].release();
                buffers[clean] = null;
            }
            clean = (clean + 1) & mask;
        }
        rsCount = 0;
        sinceRs = 0;
        lastContext = 0;
    }
}
