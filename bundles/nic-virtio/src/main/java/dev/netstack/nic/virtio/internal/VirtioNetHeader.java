package dev.netstack.nic.virtio.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * View of {@code struct virtio_net_hdr} (virtio 1.1 §5.1.6), which precedes every frame in both
 * directions:
 *
 * <pre>
 *  0       1          2         4          6            8             10            12
 *  | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset | num_buffers |
 * </pre>
 *
 * <p>Little-endian. {@code num_buffers} exists only with VIRTIO_F_VERSION_1 or
 * VIRTIO_NET_F_MRG_RXBUF (§5.1.6: the legacy header without mergeable buffers is 10 bytes).
 * Transmitted frames carry a zero header (no checksum offload, no segmentation), so
 * {@link #clear()} is all the transmit path writes.
 */
public final class VirtioNetHeader {

    /** Size without {@code num_buffers}: legacy devices without mergeable receive buffers. */
    public static final int LEGACY_BYTES = 10;
    /** Size with {@code num_buffers}: VERSION_1 (modern) devices. */
    public static final int MODERN_BYTES = 12;

    public static final int FLAGS = 0;
    public static final int GSO_TYPE = 1;
    public static final int HDR_LEN = 2;
    public static final int GSO_SIZE = 4;
    public static final int CSUM_START = 6;
    public static final int CSUM_OFFSET = 8;
    public static final int NUM_BUFFERS = 10;

    /** The device or driver must compute the checksum from csum_start (§5.1.6.2). */
    public static final int F_NEEDS_CSUM = 1;
    /** The device validated the checksum (§5.1.6.4, with VIRTIO_NET_F_GUEST_CSUM). */
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int length;
    private MemorySegment segment;
    private long offset;

    /** A view of headers of {@code length} bytes: {@link #LEGACY_BYTES} or {@link #MODERN_BYTES}. */
    public VirtioNetHeader(int length) {
        if (length != LEGACY_BYTES && length != MODERN_BYTES) {
            throw new IllegalArgumentException("virtio-net header is 10 or 12 bytes, not " + length);
        }
        this.length = length;
    }

    /** The header length for a device with or without VERSION_1 / MRG_RXBUF. */
    public static int length(boolean version1OrMergeable) {
        return version1OrMergeable ? MODERN_BYTES : LEGACY_BYTES;
    }

    public VirtioNetHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public int length() {
        return length;
    }

    /** Whether {@code available} bytes from the wrapped offset hold a whole header. */
    public boolean checkLength(long available) {
        return available >= length;
    }

    public int flags() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + FLAGS) & 0xff;
    }

    public VirtioNetHeader flags(int flags) {
        segment.set(ValueLayout.JAVA_BYTE, offset + FLAGS, (byte) flags);
        return this;
    }

    public int gsoType() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + GSO_TYPE) & 0xff;
    }

    public VirtioNetHeader gsoType(int type) {
        segment.set(ValueLayout.JAVA_BYTE, offset + GSO_TYPE, (byte) type);
        return this;
    }

    public int hdrLen() {
        return get(HDR_LEN);
    }

    public VirtioNetHeader hdrLen(int value) {
        return put(HDR_LEN, value);
    }

    public int gsoSize() {
        return get(GSO_SIZE);
    }

    public VirtioNetHeader gsoSize(int value) {
        return put(GSO_SIZE, value);
    }

    public int csumStart() {
        return get(CSUM_START);
    }

    public VirtioNetHeader csumStart(int value) {
        return put(CSUM_START, value);
    }

    public int csumOffset() {
        return get(CSUM_OFFSET);
    }

    public VirtioNetHeader csumOffset(int value) {
        return put(CSUM_OFFSET, value);
    }

    /** Buffers the frame spans (1 without mergeable buffers); 1 for a 10-byte header, which lacks it. */
    public int numBuffers() {
        return length == MODERN_BYTES ? get(NUM_BUFFERS) : 1;
    }

    public VirtioNetHeader numBuffers(int value) {
        if (length == MODERN_BYTES) {
            put(NUM_BUFFERS, value);
        }
        return this;
    }

    /** Zeroes the header: no checksum to compute, no segmentation (§5.1.6.2). */
    public VirtioNetHeader clear() {
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, 0L);
        segment.set(U16, offset + 8, (short) 0);
        if (length == MODERN_BYTES) {
            segment.set(U16, offset + 10, (short) 0);
        }
        return this;
    }

    private int get(int field) {
        return segment.get(U16, offset + field) & 0xffff;
    }

    private VirtioNetHeader put(int field, int value) {
        segment.set(U16, offset + field, (short) value);
        return this;
    }

    @Override
    public String toString() {
        return "virtio_net_hdr[" + length + " B flags=" + flags() + " gso=" + gsoType() + " hdr_len=" + hdrLen()
                + " gso_size=" + gsoSize() + " csum_start=" + csumStart() + " csum_offset=" + csumOffset()
                + (length == MODERN_BYTES ? " num_buffers=" + numBuffers() : "") + "]";
    }
}
