package dev.netstack.nic.tap.internal;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.os.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One queue of a TAP device: a non-blocking descriptor on {@code /dev/net/tun} attached to the TAP
 * (TUNSETIFF), with its own pools, counters and offload scratch state; one frame per read(2) or
 * write(2). {@link dev.netstack.nic.tap.TapDevice} says what the frames and the virtio-net header
 * look like; this class moves them.
 *
 * <p>Threads: {@link #receive} and {@link #transmit} on the shard that owns the queue only.
 */
public final class TapQueue {

    /** Ethernet II header: destination, source, EtherType. */
    public static final int ETHERNET_HEADER = 14;
    /** Room for one 802.1Q tag beyond the MTU. */
    public static final int VLAN_TAG = 4;
    /** TCP's checksum field, from the start of its header (RFC 9293 §3.1). */
    private static final int TCP_CHECKSUM_FIELD = 16;
    /** Smallest TCP header, IPv4 header; a segmented frame has at least both after Ethernet. */
    private static final int MIN_TCP_IPV4_HEADERS = 40;

    private final int fd;
    private final PacketPool pool;
    private final int readBytes;
    private final int maxFrameBytes;
    /** Whether every frame carries a virtio_net_hdr (IFF_VNET_HDR) and the offloads are on. */
    private final boolean offload;
    /** Frames larger than the MTU (with offloads): coalesced receives; null without offloads. */
    private final PacketPool largePool;
    private final int largeReadBytes;
    /** The large buffer the next read goes into (with offloads); kept while frames fit small buffers. */
    private PacketBuffer staging;
    /** Header and frame of a transmit whose buffer has no headroom for the header (with offloads). */
    private final MemorySegment txScratch;
    private final VnetHeader vnet = new VnetHeader();
    private final DeviceCounters counters = new DeviceCounters();
    /** errno capture for the shard's data-path calls. */
    private final Linux dataPath = new Linux();
    private volatile boolean closed;

    /**
     * @param poolName names the pools ({@code tap:ns0}, the large one {@code tap-large:ns0})
     * @param fd the queue's descriptor, attached to the TAP; this queue closes it
     * @param mtu the device's MTU
     * @param poolBuffers buffers in the pool; the large pool (with offloads) has {@code largeBuffers}
     */
    public TapQueue(String poolName, int fd, int mtu, int poolBuffers, int largeBuffers, boolean offload) {
        this.fd = fd;
        this.offload = offload;
        this.maxFrameBytes = mtu + ETHERNET_HEADER;
        int headroom = PacketPool.DEFAULT_HEADROOM;
        int bufferSize = Math.max(PacketPool.DEFAULT_BUFFER_SIZE,
                Integer.highestOneBit(headroom + maxFrameBytes + VLAN_TAG - 1) << 1);
        PacketMemory memory = PacketMemory.offHeap(Arena.ofAuto(), (long) bufferSize * poolBuffers);
        this.pool = PacketPool.create("tap:" + poolName, memory, poolBuffers, bufferSize, headroom);
        this.readBytes = bufferSize - headroom;
        if (offload) {
            // 64-byte multiple holding the headroom, the largest IPv4 datagram with Ethernet and a VLAN tag
            int largeSize = (headroom + DeviceCapabilities.MAX_SEGMENTED_FRAME_BYTES + VLAN_TAG + 63) & ~63;
            this.largePool = PacketPool.create("tap-large:" + poolName,
                    PacketMemory.offHeap(Arena.ofAuto(), (long) largeSize * largeBuffers), largeBuffers, largeSize,
                    headroom);
            this.largeReadBytes = largeSize - headroom;
            this.txScratch = Arena.ofAuto().allocate(largeSize, 64);
        } else {
            this.largePool = null;
            this.largeReadBytes = 0;
            this.txScratch = null;
        }
    }

    /** The descriptor, -1 once closed. */
    public int fd() {
        return closed ? -1 : fd;
    }

    public PacketPool pool() {
        return pool;
    }

    public DeviceCounters counters() {
        return counters;
    }

    /**
     * Reads frames, marked as from queue {@code queue}, until the batch is full, the TAP has none
     * waiting (EAGAIN) or the pool is empty.
     * Frames shorter than an Ethernet header or longer than the MTU allows (with offloads: unless the
     * kernel coalesced them, gso_type set) are dropped and counted as receive errors.
     */
    public int receive(int queue, PacketBatch batch) {
        if (offload) {
            return receiveWithHeader(queue, batch);
        }
        int received = 0;
        int headroom = pool.headroom();
        while (batch.remaining() > 0 && !closed) {
            PacketBuffer buffer = pool.allocate();
            if (buffer == null) {
                break; // frames wait in the kernel's queue until the stack releases buffers
            }
            int n = dataPath.read(fd, buffer.segment().address() + headroom, readBytes);
            if (n < 0) {
                buffer.release();
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n != -Linux.EAGAIN) {
                    counters.rxErrors++;
                }
                break;
            }
            if (n < ETHERNET_HEADER || n > maxFrameBytes + VLAN_TAG) {
                buffer.release();
                counters.rxErrors++;
                continue;
            }
            buffer.setData(headroom, n).setQueue(queue).setLinkOffset(headroom);
            batch.add(buffer);
            counters.rxPackets++;
            counters.rxBytes += n;
            received++;
        }
        return received;
    }

    /**
     * With IFF_VNET_HDR: reads header and frame into a large buffer ({@link #staging}); a frame that
     * fits a normal buffer is copied into one (a copy of at most an MTU costs less than the read),
     * a larger one (a coalesced TCP segment) is handed up in the large buffer itself.
     */
    private int receiveWithHeader(int queue, PacketBatch batch) {
        int received = 0;
        int headroom = largePool.headroom();
        while (batch.remaining() > 0 && !closed) {
            PacketBuffer large = staging;
            if (large == null) {
                large = largePool.allocate();
                if (large == null) {
                    break; // frames wait in the kernel's queue until the stack releases buffers
                }
                staging = large;
            }
            long at = large.segment().address() + headroom - VnetHeader.LENGTH;
            int n = dataPath.read(fd, at, largeReadBytes + VnetHeader.LENGTH);
            if (n < 0) {
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n != -Linux.EAGAIN) {
                    counters.rxErrors++;
                }
                break;
            }
            n -= VnetHeader.LENGTH;
            if (n < ETHERNET_HEADER) {
                counters.rxErrors++;
                continue;
            }
            vnet.wrap(large.segment(), headroom - VnetHeader.LENGTH);
            int flags = 0;
            int vnetFlags = vnet.flags();
            if ((vnetFlags & VnetHeader.F_NEEDS_CSUM) != 0) {
                // §5.1.6.4: the kernel's own send with the layer 4 sum left partial. The data never
                // crossed a wire, so it is trusted as Linux trusts CHECKSUM_PARTIAL on receive.
                int start = vnet.csumStart();
                if (start < ETHERNET_HEADER || start + vnet.csumOffset() + 2 > n) {
                    counters.rxErrors++; // a checksum range outside the frame: malformed
                    continue;
                }
                flags = PacketBuffer.FLAG_CHECKSUM_VERIFIED;
            } else if ((vnetFlags & VnetHeader.F_DATA_VALID) != 0) {
                flags = PacketBuffer.FLAG_CHECKSUM_VERIFIED;
            }
            boolean coalesced = (vnet.gsoType() & ~VnetHeader.GSO_ECN) != VnetHeader.GSO_NONE;
            if (!coalesced && n > maxFrameBytes + VLAN_TAG) {
                counters.rxErrors++;
                continue;
            }
            PacketBuffer buffer;
            if (n <= readBytes && (buffer = pool.allocate()) != null) {
                MemorySegment.copy(large.segment(), headroom, buffer.segment(), pool.headroom(), n);
                buffer.setData(pool.headroom(), n).setLinkOffset(pool.headroom());
            } else {
                buffer = large;
                staging = null;
                buffer.setData(headroom, n).setLinkOffset(headroom);
            }
            buffer.setFlags(flags).setQueue(queue);
            if (flags != 0) {
                counters.rxChecksumOffloaded++;
            }
            if (coalesced) {
                counters.rxSegmented++;
            }
            batch.add(buffer);
            counters.rxPackets++;
            counters.rxBytes += n;
            received++;
            if (staging == null && batch.remaining() > 0) {
                staging = largePool.allocate();
                if (staging == null) {
                    break;
                }
            }
        }
        return received;
    }

    /**
     * Writes frames from the front of the batch, one write(2) each, until one would block (EAGAIN:
     * the caller keeps it and the rest). A frame the kernel refuses for another reason is dropped,
     * counted and taken all the same, so one bad frame cannot stall the queue.
     */
    public int transmit(PacketBatch batch) {
        int taken = 0;
        int size = batch.size();
        while (taken < size && !closed) {
            PacketBuffer buffer = batch.get(taken);
            int length = buffer.length();
            boolean segmented = offload && buffer.hasFlag(PacketBuffer.FLAG_SEGMENTED);
            int limit = segmented ? DeviceCapabilities.MAX_SEGMENTED_FRAME_BYTES + VLAN_TAG : maxFrameBytes + VLAN_TAG;
            if (length < ETHERNET_HEADER || length > limit) {
                counters.txDropped++;
                buffer.release();
                taken++;
                continue;
            }
            int header = 0;
            long from = buffer.segment().address() + buffer.offset();
            if (offload) {
                MemorySegment bytes = buffer.segment();
                long at = buffer.offset() - VnetHeader.LENGTH;
                if (at < 0) {
                    // no headroom for the header (rare: a buffer from elsewhere): write from a copy
                    MemorySegment.copy(bytes, buffer.offset(), txScratch, VnetHeader.LENGTH, length);
                    bytes = txScratch;
                    at = 0;
                    from = txScratch.address() + VnetHeader.LENGTH;
                }
                if (!writeHeader(buffer, bytes, at, segmented)) {
                    counters.txDropped++; // an offload request outside the frame: never hand it to the kernel
                    buffer.release();
                    taken++;
                    continue;
                }
                header = VnetHeader.LENGTH;
            }
            int n = dataPath.write(fd, from - header, length + header);
            if (n < 0) {
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n == -Linux.EAGAIN) {
                    break;
                }
                counters.txErrors++;
            } else {
                counters.txPackets++;
                counters.txBytes += n - header;
            }
            buffer.release();
            taken++;
        }
        return taken;
    }

    /**
     * The virtio_net_hdr in the {@value VnetHeader#LENGTH} bytes in front of the frame. A segmented
     * frame: gso_type TCPV4, gso_size, hdr_len up to the end of the TCP header, and NEEDS_CSUM over
     * the TCP header at {@link PacketBuffer#transportOffset()} (§5.1.6.2). Returns false if the
     * request does not fit the frame.
     */
    private boolean writeHeader(PacketBuffer buffer, MemorySegment bytes, long at, boolean segmented) {
        vnet.wrap(bytes, at).clear();
        int length = buffer.length();
        if (segmented) {
            int start = buffer.transportOffset() - buffer.offset();
            if (buffer.transportOffset() < 0 || start < ETHERNET_HEADER + 20 || start + 20 > length) {
                return false;
            }
            int dataOffsetByte = buffer.segment().get(ValueLayout.JAVA_BYTE, buffer.transportOffset() + 12L) & 0xFF;
            int headers = start + (dataOffsetByte >>> 4) * 4;
            int mss = buffer.segmentBytes();
            if (headers > length || mss <= 0 || mss > 0xFFFF || headers < ETHERNET_HEADER + MIN_TCP_IPV4_HEADERS) {
                return false;
            }
            vnet.flags(VnetHeader.F_NEEDS_CSUM).gsoType(VnetHeader.GSO_TCPV4).hdrLen(headers).gsoSize(mss)
                    .csumStart(start).csumOffset(TCP_CHECKSUM_FIELD);
            counters.txChecksumOffloaded++;
            if (length > maxFrameBytes) {
                counters.txSegmented++;
            }
        } else if (buffer.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL)) {
            int start = buffer.checksumStart();
            if (start < ETHERNET_HEADER || start + buffer.checksumOffset() + 2 > length) {
                return false;
            }
            vnet.flags(VnetHeader.F_NEEDS_CSUM).csumStart(start).csumOffset(buffer.checksumOffset());
            counters.txChecksumOffloaded++;
        }
        return true;
    }

    /** Closes the descriptor (the last queue closed removes a non-persistent TAP). Idempotent. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        new Linux().close(fd);
        // the staging buffer stays unreleased: it is shard-confined, and the pool's memory is GC-managed
    }
}
