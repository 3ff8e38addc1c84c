package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The data path of one virtio-net queue pair (virtio 1.1 §5.1.6): a receive queue kept full of
 * pool buffers and a transmit queue, each frame preceded by a {@link VirtioNetHeader}. Independent
 * of the transport, so tests run it against a model of the device.
 *
 * <p>Buffer layout: the header sits in the headroom, immediately before the frame, so header and
 * frame are one descriptor (VIRTIO_F_ANY_LAYOUT, implied by VERSION_1, §5.1.6.6; legacy QEMU
 * offers it):
 *
 * <pre>
 *  slot: 0 ...... headroom-hdr | virtio_net_hdr | Ethernet frame ...... | capacity
 *                              ^ descriptor address (receive and transmit)
 * </pre>
 *
 * <p>Batching: the receive queue is refilled only when at least {@link #refillBatch()} descriptors
 * are free, with one notification per refill; transmitted buffers are reclaimed from the used ring
 * only when {@link #reclaimBatch()} have completed or the free descriptors do not cover the frames
 * to send. Confined to the thread of the shard that owns the queue pair; allocates nothing.
 */
public final class NetQueues {

    private static final int ETHERNET_HEADER = 14;
    private static final int UDP_CHECKSUM_OFFSET = 6;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Virtqueue rx;
    private final Virtqueue tx;
    private final PacketPool pool;
    private final DeviceCounters counters;
    private final VirtioNetHeader header;
    private final int headerBytes;
    private final int headroom;
    private final int refillBatch;
    private final int reclaimBatch;
    private final int maxFrameBytes;
    private final int queue;
    private final boolean txChecksumOffload;
    private final boolean rxChecksumReported;
    private final boolean mergeable;
    private long rxRefills;
    private long txReclaims;

    /** A queue pair without checksum offloads. */
    public NetQueues(int queue, Virtqueue rx, Virtqueue tx, PacketPool pool, int headerBytes, DeviceCounters counters) {
        this(queue, rx, tx, pool, headerBytes, counters, false, false, false);
    }

    /** A queue pair without mergeable receive buffers. */
    public NetQueues(int queue, Virtqueue rx, Virtqueue tx, PacketPool pool, int headerBytes, DeviceCounters counters,
            boolean txChecksumOffload, boolean rxChecksumReported) {
        this(queue, rx, tx, pool, headerBytes, counters, txChecksumOffload, rxChecksumReported, false);
    }

    /**
     * @param txChecksumOffload VIRTIO_NET_F_CSUM was negotiated: partial checksums go to the device
     * @param rxChecksumReported VIRTIO_NET_F_GUEST_CSUM was negotiated: the device flags frames
     *        whose checksum it validated and may deliver frames whose checksum is only partial
     * @param mergeable VIRTIO_NET_F_MRG_RXBUF was negotiated: a received frame may span
     *        {@code num_buffers} receive buffers (§5.1.6.4); needs the 12-byte header
     */
    public NetQueues(int queue, Virtqueue rx, Virtqueue tx, PacketPool pool, int headerBytes, DeviceCounters counters,
            boolean txChecksumOffload, boolean rxChecksumReported, boolean mergeable) {
        if (mergeable && headerBytes != VirtioNetHeader.MODERN_BYTES) {
            throw new IllegalArgumentException("mergeable receive buffers need the 12-byte virtio-net header");
        }
        if (pool.headroom() < headerBytes) {
            throw new IllegalArgumentException("pool headroom " + pool.headroom() + " leaves no room for the "
                    + headerBytes + "-byte virtio-net header");
        }
        this.queue = queue;
        this.rx = rx;
        this.tx = tx;
        this.pool = pool;
        this.counters = counters;
        this.header = new VirtioNetHeader(headerBytes);
        this.headerBytes = headerBytes;
        this.headroom = pool.headroom();
        this.refillBatch = Math.max(1, Math.min(32, rx.size() / 4));
        this.reclaimBatch = Math.max(1, Math.min(32, tx.size() / 4));
        this.maxFrameBytes = pool.bufferSize() - headroom;
        this.txChecksumOffload = txChecksumOffload;
        this.rxChecksumReported = rxChecksumReported;
        this.mergeable = mergeable;
    }

    public Virtqueue rx() {
        return rx;
    }

    public Virtqueue tx() {
        return tx;
    }

    public PacketPool pool() {
        return pool;
    }

    public int headerBytes() {
        return headerBytes;
    }

    /** Whether received frames may span several buffers (VIRTIO_NET_F_MRG_RXBUF). */
    public boolean mergeable() {
        return mergeable;
    }

    /** Free receive descriptors that trigger a refill. */
    public int refillBatch() {
        return refillBatch;
    }

    /** Completed transmissions that trigger a reclaim. */
    public int reclaimBatch() {
        return reclaimBatch;
    }

    /** Refills done (each ends with at most one notification). */
    public long rxRefills() {
        return rxRefills;
    }

    /** Reclaims of the transmit used ring done. */
    public long txReclaims() {
        return txReclaims;
    }

    /**
     * Gives the device every free receive descriptor, filled with a pool buffer (§5.1.6.3), if at
     * least {@code minimum} are free; one notification for the lot.
     *
     * @return buffers added
     */
    public int refill(int minimum) {
        if (rx.freeCount() < minimum || rx.freeCount() == 0) {
            return 0;
        }
        int added = 0;
        int deviceBytes = pool.bufferSize() - headroom + headerBytes;
        while (rx.freeCount() > 0) {
            PacketBuffer buffer = pool.allocate();
            if (buffer == null) {
                break; // the stack holds the rest; refill again when it releases them
            }
            rx.add(buffer, buffer.ioAddress() + headroom - headerBytes, deviceBytes, true);
            added++;
        }
        if (added > 0) {
            rxRefills++;
            rx.kick();
        }
        return added;
    }

    /** Fills the whole receive queue (device initialisation). */
    public int fill() {
        return refill(1);
    }

    /**
     * Takes received frames from the used ring into {@code batch}, data starting at the Ethernet
     * header, then refills the ring if a batch of descriptors is free (§5.1.6.4).
     */
    public int receive(PacketBatch batch) {
        int received = 0;
        while (batch.remaining() > 0) {
            PacketBuffer buffer = rx.takeUsed();
            if (buffer == null) {
                if (rx.lastUsedLength() < 0) {
                    counters.rxErrors++; // a corrupt used entry; the loop moves past it
                    continue;
                }
                break;
            }
            int usedBytes = rx.lastUsedLength();
            int frameBytes = usedBytes - headerBytes;
            if (mergeable && usedBytes >= headerBytes) {
                int parts = header.wrap(buffer.segment(), headroom - headerBytes).numBuffers();
                if (parts != 1) {
                    frameBytes = gather(buffer, frameBytes, parts);
                }
            }
            if (frameBytes < ETHERNET_HEADER || frameBytes > maxFrameBytes) {
                counters.rxErrors++;
                buffer.release();
                continue;
            }
            buffer.setData(headroom, frameBytes).setQueue(queue).setLinkOffset(headroom);
            if (rxChecksumReported && !receivedChecksum(buffer)) {
                counters.rxErrors++;
                buffer.release();
                continue;
            }
            batch.add(buffer);
            counters.rxPackets++;
            counters.rxBytes += frameBytes;
            received++;
        }
        refill(refillBatch);
        return received;
    }

    /**
     * With MRG_RXBUF (§5.1.6.4): the frame whose first buffer is {@code first} continues in the
     * next {@code parts - 1} used entries, which the device publishes together with the first
     * (§5.1.6.4.1: at least num_buffers are observed as used). Their data, which starts at the
     * descriptor address without a header, is copied after the first part if the whole frame fits
     * in one buffer. Every continuation entry is consumed and its buffer released whatever happens.
     *
     * @return the frame's length, or -1 if it is to be dropped (too large, num_buffers 0, fewer
     *         entries than announced, a corrupt entry)
     */
    private int gather(PacketBuffer first, int firstBytes, int parts) {
        boolean keep = parts > 0 && firstBytes >= 0;
        int total = firstBytes;
        for (int i = 1; i < parts; i++) {
            PacketBuffer part = rx.takeUsed();
            if (part == null) {
                if (rx.lastUsedLength() < 0) {
                    counters.rxErrors++; // a corrupt entry: consumed, but the frame has a hole
                    keep = false;
                    continue;
                }
                return -1; // fewer used entries than num_buffers: a device bug; drop what we have
            }
            int partBytes = rx.lastUsedLength();
            if (keep && partBytes >= 0 && partBytes <= maxFrameBytes - total) {
                MemorySegment.copy(part.segment(), headroom - headerBytes, first.segment(), headroom + total, partBytes);
                total += partBytes;
            } else {
                keep = false;
            }
            part.release();
        }
        return keep ? total : -1;
    }

    /**
     * Queues frames from the front of {@code batch} (§5.1.6.2), one descriptor each with a zeroed
     * header before it, and notifies the device once. Frames from another pool are copied into one
     * of ours, since only this pool's memory is reachable by the device.
     *
     * @return frames taken (the device owns them now), from the front of the batch
     */
    public int transmit(PacketBatch batch) {
        int size = batch.size();
        if (tx.pendingUsed() >= reclaimBatch || tx.freeCount() < size) {
            reclaim();
        }
        int taken = 0;
        while (taken < size && tx.freeCount() > 0) {
            PacketBuffer buffer = batch.get(taken);
            int length = buffer.length();
            if (length < ETHERNET_HEADER || length > maxFrameBytes) {
                counters.txDropped++;
                buffer.release();
                taken++;
                continue;
            }
            if (buffer.pool() != pool || buffer.offset() < headerBytes) {
                PacketBuffer copy = pool.allocate();
                if (copy == null) {
                    break; // no buffer to copy into: the caller keeps the frame and retries
                }
                MemorySegment.copy(buffer.segment(), buffer.offset(), copy.segment(), headroom, length);
                copy.setData(headroom, length);
                if (buffer.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL)) { // the copy owes the same checksum
                    copy.setChecksumRequest(buffer.checksumStart(), buffer.checksumOffset());
                }
                buffer.release();
                buffer = copy;
            }
            int at = buffer.offset() - headerBytes;
            header.wrap(buffer.segment(), at).clear();
            if (buffer.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL)) {
                int start = buffer.checksumStart();
                int field = start + buffer.checksumOffset();
                if (start < ETHERNET_HEADER || field + 2 > length) {
                    counters.txDropped++; // a request outside the frame: never hand it to the device
                    buffer.release();
                    taken++;
                    continue;
                }
                if (txChecksumOffload) { // §5.1.6.2: the device sums from csum_start to the end
                    header.flags(VirtioNetHeader.F_NEEDS_CSUM).csumStart(start).csumOffset(buffer.checksumOffset());
                } else {
                    completeChecksum(buffer.segment(), buffer.offset(), start, buffer.checksumOffset(), length);
                }
            }
            tx.add(buffer, buffer.ioAddress() + at, length + headerBytes, false);
            counters.txPackets++;
            counters.txBytes += length;
            taken++;
        }
        if (taken > 0) {
            tx.kick();
        }
        return taken;
    }

    /**
     * With GUEST_CSUM (§5.1.6.4): DATA_VALID marks a frame whose checksum the device validated;
     * NEEDS_CSUM marks one whose layer 4 checksum field holds only the pseudo-header sum (a frame
     * the host sent with checksum offload): the driver completes it here, so the stack always sees
     * a valid checksum. Returns false if the header's checksum range lies outside the frame.
     */
    private boolean receivedChecksum(PacketBuffer buffer) {
        header.wrap(buffer.segment(), headroom - headerBytes);
        int flags = header.flags();
        if ((flags & VirtioNetHeader.F_NEEDS_CSUM) != 0) {
            int start = header.csumStart();
            int offset = header.csumOffset();
            if (start < ETHERNET_HEADER || start + offset + 2 > buffer.length()) {
                return false;
            }
            completeChecksum(buffer.segment(), headroom, start, offset, buffer.length());
            buffer.setFlags(buffer.flags() | PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        } else if ((flags & VirtioNetHeader.F_DATA_VALID) != 0) {
            buffer.setFlags(buffer.flags() | PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        }
        return true;
    }

    /**
     * Completes a partial Internet checksum (RFC 1071) in software: the field at
     * {@code start + offset} holds the pseudo-header sum; the one's complement of the sum of
     * everything from {@code start} to the end of the frame replaces it. A UDP result of 0 is
     * sent as 0xffff (RFC 768: 0 means no checksum). Offsets are from the frame's first byte at
     * {@code frame} in {@code segment}.
     */
    static void completeChecksum(MemorySegment segment, int frame, int start, int offset, int frameBytes) {
        long sum = 0;
        int at = frame + start;
        int end = frame + frameBytes;
        for (; at + 1 < end; at += 2) {
            sum += segment.get(BE16, at) & 0xffff;
        }
        if (at < end) {
            sum += (segment.get(ValueLayout.JAVA_BYTE, at) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int checksum = (int) ~sum & 0xffff;
        if (checksum == 0 && offset == UDP_CHECKSUM_OFFSET) {
            checksum = 0xffff;
        }
        segment.set(BE16, frame + start + offset, (short) checksum);
    }

    /** Releases every buffer the device has finished transmitting. */
    public int reclaim() {
        int reclaimed = 0;
        PacketBuffer buffer;
        while ((buffer = tx.takeUsed()) != null || tx.lastUsedLength() < 0) {
            if (buffer == null) {
                counters.txErrors++;
                continue;
            }
            buffer.release();
            reclaimed++;
        }
        if (reclaimed > 0) {
            txReclaims++;
        }
        return reclaimed;
    }

    /** After a device reset: gives every buffer the rings still hold back to the pool. */
    public void releaseAll() {
        rx.releaseAll();
        tx.releaseAll();
    }
}
