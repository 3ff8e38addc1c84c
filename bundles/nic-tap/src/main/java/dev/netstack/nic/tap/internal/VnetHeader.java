package dev.netstack.nic.tap.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A flyweight over {@code struct virtio_net_hdr} (linux/virtio_net.h), the header a TAP opened
 * with {@code IFF_VNET_HDR} puts in front of every frame, both ways. Read the virtio 1.2 spec
 * §5.1.6 ("Device Operation") and the kernel's Documentation/networking/tuntap.rst first.
 *
 * <pre>
 *  0       1          2         4          6            8             10
 *  | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |
 * </pre>
 *
 * <p>The 16-bit fields are little-endian: a TAP uses the host's byte order (x86 and arm64 here)
 * unless TUNSETVNETBE asks otherwise, and virtio 1.x is little-endian anyway.
 */
public final class VnetHeader {

    /** sizeof(struct virtio_net_hdr); TUNSETVNETHDRSZ is set to this. */
    public static final int LENGTH = 10;

    public static final int FLAGS = 0;
    public static final int GSO_TYPE = 1;
    public static final int HDR_LEN = 2;
    public static final int GSO_SIZE = 4;
    public static final int CSUM_START = 6;
    public static final int CSUM_OFFSET = 8;

    /** §5.1.6.2: the layer 4 checksum is partial; sum from csum_start, store at csum_start + csum_offset. */
    public static final int F_NEEDS_CSUM = 1;
    /** §5.1.6.4: the checksum was validated (receive only). */
    public static final int F_DATA_VALID = 2;

    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    /** Flag bit on gso_type: the segments carry ECN's CWR (TUN_F_TSO_ECN). */
    public static final int GSO_ECN = 0x80;

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED
            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private MemorySegment segment;
    private long offset;

    public VnetHeader wrap(MemorySegment segment, long offset) {
        checkLength(segment, offset);
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public static void checkLength(MemorySegment segment, long offset) {
        if (offset < 0 || segment.byteSize() - offset < LENGTH) {
            throw new IndexOutOfBoundsException("virtio_net_hdr needs " + LENGTH + " bytes at " + offset + " of "
                    + segment.byteSize());
        }
    }

    /** Zeroes the header: no checksum request, no segmentation. */
    public VnetHeader clear() {
        segment.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, 0L);
        segment.set(SHORT_LE, offset + CSUM_OFFSET, (short) 0);
        return this;
    }

    public int flags() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + FLAGS) & 0xFF;
    }

    public VnetHeader flags(int flags) {
        segment.set(ValueLayout.JAVA_BYTE, offset + FLAGS, (byte) flags);
        return this;
    }

    public int gsoType() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + GSO_TYPE) & 0xFF;
    }

    public VnetHeader gsoType(int gsoType) {
        segment.set(ValueLayout.JAVA_BYTE, offset + GSO_TYPE, (byte) gsoType);
        return this;
    }

    /** Bytes of headers (Ethernet + IP + TCP) in front of the payload that segmentation repeats. */
    public int hdrLen() {
        return segment.get(SHORT_LE, offset + HDR_LEN) & 0xFFFF;
    }

    public VnetHeader hdrLen(int hdrLen) {
        segment.set(SHORT_LE, offset + HDR_LEN, (short) hdrLen);
        return this;
    }

    /** Payload bytes per segment (the MSS). */
    public int gsoSize() {
        return segment.get(SHORT_LE, offset + GSO_SIZE) & 0xFFFF;
    }

    public VnetHeader gsoSize(int gsoSize) {
        segment.set(SHORT_LE, offset + GSO_SIZE, (short) gsoSize);
        return this;
    }

    /** From the frame's first byte (the Ethernet header). */
    public int csumStart() {
        return segment.get(SHORT_LE, offset + CSUM_START) & 0xFFFF;
    }

    public VnetHeader csumStart(int csumStart) {
        segment.set(SHORT_LE, offset + CSUM_START, (short) csumStart);
        return this;
    }

    /** From {@link #csumStart()}: 16 for TCP, 6 for UDP. */
    public int csumOffset() {
        return segment.get(SHORT_LE, offset + CSUM_OFFSET) & 0xFFFF;
    }

    public VnetHeader csumOffset(int csumOffset) {
        segment.set(SHORT_LE, offset + CSUM_OFFSET, (short) csumOffset);
        return this;
    }

    @Override
    public String toString() {
        return "virtio_net_hdr[flags=" + flags() + " gso_type=" + gsoType() + " hdr_len=" + hdrLen() + " gso_size="
                + gsoSize() + " csum_start=" + csumStart() + " csum_offset=" + csumOffset() + "]";
    }
}
