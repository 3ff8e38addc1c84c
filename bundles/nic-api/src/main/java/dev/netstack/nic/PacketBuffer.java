package dev.netstack.nic;

import java.lang.foreign.MemorySegment;

/**
 * One packet in an off-heap slot of a {@link PacketPool}.
 *
 * <pre>
 *  slot: 0 ............ offset ................ offset+length ........... capacity
 *        |   headroom   |         data          |         tailroom          |
 *        +--------------+-----------------------+---------------------------+
 *                       ^ first byte of the outermost header present
 * </pre>
 *
 * <p>Headers are prepended into the headroom without copying ({@link #prepend(int)}) and stripped
 * on receive by moving {@code offset} forward ({@link #advance(int)}). Layers record where their
 * header starts ({@link #linkOffset()}, {@link #networkOffset()}, {@link #transportOffset()}) so
 * the layers above can still read it.
 *
 * <p>Header views address bytes as {@code (segment(), absoluteOffset)}; nothing here slices the
 * segment, so the data path allocates nothing.
 *
 * <p><b>Ownership.</b> A buffer has one owner at a time. Methods that take a buffer say whether
 * they take ownership or borrow it. The owner either hands the buffer on or calls
 * {@link #release()}. Buffers that several holders keep (a TCP retransmit queue and the device
 * transmitting it) are shared with {@link #retain()}: each holder releases once, and the slot goes
 * back to its pool when the count reaches zero.
 *
 * <p><b>Threads.</b> A buffer, like its pool, is confined to the thread of the shard that owns
 * the pool.
 */
public final class PacketBuffer {

    /** The device verified the layer 3 and layer 4 checksums (receive). */
    public static final int FLAG_CHECKSUM_VERIFIED = 1;
    /** The device must fill in the layer 4 checksum (transmit). */
    public static final int FLAG_CHECKSUM_PARTIAL = 1 << 1;
    /**
     * A TCP/IPv4 frame larger than the MTU (generic segmentation offload). On transmit: the device
     * cuts it into segments of {@link #segmentBytes()} payload bytes each (TSO) and completes their
     * TCP checksums; the checksum field holds the pseudo-header sum (RFC 9293 §3.1, without the
     * final complement) and the TCP header starts at {@link #transportOffset()}. Only sent to a
     * device that advertises {@link DeviceCapabilities#OFFLOAD_TSO}. On receive: the peer
     * coalesced segments of {@link #segmentBytes()} payload bytes into this frame.
     */
    public static final int FLAG_SEGMENTED = 1 << 2;

    private final PacketPool pool;
    private final int index;
    private final MemorySegment slot;
    private final long ioAddress;
    private final int capacity;

    private int offset;
    private int length;
    private int refCount;
    private int flags;
    private int interfaceIndex;
    private int queue;
    private int linkOffset = -1;
    private int networkOffset = -1;
    private int transportOffset = -1;
    private int checksumStart;
    private int checksumOffset;
    private int segmentBytes;

    PacketBuffer(PacketPool pool, int index, MemorySegment slot, long ioAddress) {
        this.pool = pool;
        this.index = index;
        this.slot = slot;
        this.ioAddress = ioAddress;
        this.capacity = (int) slot.byteSize();
    }

    /** The whole slot; data is at {@code [offset(), offset() + length())}. */
    public MemorySegment segment() {
        return slot;
    }

    /** Device address of the first byte of the slot (see {@link PacketMemory#ioAddress}). */
    public long ioAddress() {
        return ioAddress;
    }

    /** The pool this buffer returns to. */
    public PacketPool pool() {
        return pool;
    }

    /** This buffer's index in its pool, stable for its lifetime. */
    public int index() {
        return index;
    }

    public int capacity() {
        return capacity;
    }

    /** Offset of the first data byte within {@link #segment()}. */
    public int offset() {
        return offset;
    }

    /** Number of data bytes. */
    public int length() {
        return length;
    }

    public int headroom() {
        return offset;
    }

    public int tailroom() {
        return capacity - offset - length;
    }

    /** Offset within {@link #segment()} just past the last data byte. */
    public int end() {
        return offset + length;
    }

    /**
     * Sets where the data lies. Used by devices after a receive and by code that builds a packet.
     *
     * @throws IndexOutOfBoundsException if the range is not within the slot (a programming error)
     */
    public PacketBuffer setData(int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > capacity) {
            throw new IndexOutOfBoundsException("data [" + offset + ", +" + length + ") outside slot of " + capacity);
        }
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Grows the data by {@code bytes} at the front, into the headroom, and returns the new offset. */
    public int prepend(int bytes) {
        if (bytes > offset) {
            throw new IndexOutOfBoundsException("prepend " + bytes + " with headroom " + offset);
        }
        offset -= bytes;
        length += bytes;
        return offset;
    }

    /** Drops {@code bytes} from the front of the data (stripping a header on receive). */
    public PacketBuffer advance(int bytes) {
        if (bytes > length) {
            throw new IndexOutOfBoundsException("advance " + bytes + " past length " + length);
        }
        offset += bytes;
        length -= bytes;
        return this;
    }

    /** Grows the data by {@code bytes} at the end and returns the offset of the first new byte. */
    public int append(int bytes) {
        if (bytes > tailroom()) {
            throw new IndexOutOfBoundsException("append " + bytes + " with tailroom " + tailroom());
        }
        int at = offset + length;
        length += bytes;
        return at;
    }

    /** Cuts the data to its first {@code newLength} bytes (dropping link padding, say). */
    public PacketBuffer truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IndexOutOfBoundsException("truncate to " + newLength + " of " + length);
        }
        length = newLength;
        return this;
    }

    public int flags() {
        return flags;
    }

    public PacketBuffer setFlags(int flags) {
        this.flags = flags;
        return this;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** Index of the interface the packet arrived on or leaves by. */
    public int interfaceIndex() {
        return interfaceIndex;
    }

    public PacketBuffer setInterfaceIndex(int interfaceIndex) {
        this.interfaceIndex = interfaceIndex;
        return this;
    }

    /** Device queue the packet arrived on. */
    public int queue() {
        return queue;
    }

    public PacketBuffer setQueue(int queue) {
        this.queue = queue;
        return this;
    }

    /** Offset of the link-layer header within the slot, or -1. */
    public int linkOffset() {
        return linkOffset;
    }

    public PacketBuffer setLinkOffset(int linkOffset) {
        this.linkOffset = linkOffset;
        return this;
    }

    /** Offset of the network-layer (IP) header within the slot, or -1. */
    public int networkOffset() {
        return networkOffset;
    }

    public PacketBuffer setNetworkOffset(int networkOffset) {
        this.networkOffset = networkOffset;
        return this;
    }

    /** Offset of the transport-layer header within the slot, or -1. */
    public int transportOffset() {
        return transportOffset;
    }

    public PacketBuffer setTransportOffset(int transportOffset) {
        this.transportOffset = transportOffset;
        return this;
    }

    /** With {@link #FLAG_CHECKSUM_PARTIAL}: where the device starts summing, from {@link #offset()}. */
    public int checksumStart() {
        return checksumStart;
    }

    /** With {@link #FLAG_CHECKSUM_PARTIAL}: where the device stores the sum, from {@link #checksumStart()}. */
    public int checksumOffset() {
        return checksumOffset;
    }

    public PacketBuffer setChecksumRequest(int start, int offsetFromStart) {
        this.checksumStart = start;
        this.checksumOffset = offsetFromStart;
        this.flags |= FLAG_CHECKSUM_PARTIAL;
        return this;
    }

    /** With {@link #FLAG_SEGMENTED}: payload bytes per segment (the MSS the segments carry). */
    public int segmentBytes() {
        return segmentBytes;
    }

    /** Sets {@link #FLAG_SEGMENTED} with {@code segmentBytes} of payload per segment. */
    public PacketBuffer setSegmented(int segmentBytes) {
        this.segmentBytes = segmentBytes;
        this.flags |= FLAG_SEGMENTED;
        return this;
    }

    /**
     * Copies the offload requests of {@code source} (checksum request, segmentation) and its layer
     * offsets, for a copy of its bytes at the same offsets in this buffer (flags are set apart).
     */
    public PacketBuffer copyOffloadFrom(PacketBuffer source) {
        checksumStart = source.checksumStart;
        checksumOffset = source.checksumOffset;
        segmentBytes = source.segmentBytes;
        linkOffset = source.linkOffset;
        networkOffset = source.networkOffset;
        transportOffset = source.transportOffset;
        return this;
    }

    /** Number of holders; 0 means the buffer is free in its pool. */
    public int refCount() {
        return refCount;
    }

    /** Adds a holder. Each holder releases once. */
    public PacketBuffer retain() {
        if (refCount <= 0) {
            throw new IllegalStateException("retain of a free buffer " + this);
        }
        refCount++;
        return this;
    }

    /** Drops a holder; the last one returns the slot to its pool. */
    public void release() {
        if (refCount <= 0) {
            throw new IllegalStateException("double release of " + this);
        }
        if (--refCount == 0) {
            pool.recycle(this);
        }
    }

    /** Called by the pool when it hands the buffer out: data starts after the pool's headroom. */
    void reset(int headroom) {
        refCount = 1;
        offset = headroom;
        length = 0;
        flags = 0;
        interfaceIndex = 0;
        queue = 0;
        linkOffset = -1;
        networkOffset = -1;
        transportOffset = -1;
        checksumStart = 0;
        checksumOffset = 0;
        segmentBytes = 0;
    }

    @Override
    public String toString() {
        return "PacketBuffer[" + pool.name() + "#" + index + " offset=" + offset + " length=" + length
                + " refs=" + refCount + "]";
    }
}
