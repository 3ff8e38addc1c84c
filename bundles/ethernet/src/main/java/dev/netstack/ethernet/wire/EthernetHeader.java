package dev.netstack.ethernet.wire;

import java.lang.foreign.MemorySegment;

/**
 * A view of an Ethernet II header (IEEE 802.3 clause 3.2, "DIX" framing as used by RFC 894 for
 * IPv4 and RFC 826 for ARP):
 *
 * <pre>
 *  0                   6                   12      14
 *  +-------------------+-------------------+-------+
 *  |  destination MAC  |    source MAC     | type  |  payload (46..1500 bytes) ...
 *  +-------------------+-------------------+-------+
 * </pre>
 *
 * <p>Left out: 802.1Q VLAN tags (EtherType {@link #ETHER_TYPE_VLAN} is recognised but not parsed,
 * so tagged frames are dispatched as that unknown EtherType), 802.3 length/LLC framing (type values
 * below {@link #MIN_ETHER_TYPE}), and the FCS, which devices strip.
 *
 * <p>Usage: {@code wrap(segment, offset)}, then {@link #checkLength(long)} with the bytes available
 * from {@code offset}; once that passes, no accessor can fail. Reusable; not thread-safe.
 */
public final class EthernetHeader {

    public static final int DESTINATION_OFFSET = 0;
    public static final int SOURCE_OFFSET = 6;
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Header length in bytes. */
    public static final int LENGTH = 14;

    /** Smallest value that is an EtherType rather than an 802.3 length (IEEE 802.3 clause 3.2.6). */
    public static final int MIN_ETHER_TYPE = 0x0600;
    public static final int ETHER_TYPE_IPV4 = 0x0800;
    public static final int ETHER_TYPE_ARP = 0x0806;
    /** 802.1Q tag: not supported (see class comment). */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    public static final int ETHER_TYPE_IPV6 = 0x86DD;

    private MemorySegment segment;
    private long offset;

    /** Points this view at the header starting at {@code offset} in {@code segment}. */
    public EthernetHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Whether {@code availableBytes} (counted from the wrapped offset) hold a whole header. */
    public boolean checkLength(long availableBytes) {
        return availableBytes >= LENGTH && offset + LENGTH <= segment.byteSize();
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    public long destination() {
        return WireBytes.getMac(segment, offset + DESTINATION_OFFSET);
    }

    public EthernetHeader destination(long mac) {
        WireBytes.setMac(segment, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public long source() {
        return WireBytes.getMac(segment, offset + SOURCE_OFFSET);
    }

    public EthernetHeader source(long mac) {
        WireBytes.setMac(segment, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public int etherType() {
        return WireBytes.getU16(segment, offset + ETHER_TYPE_OFFSET);
    }

    public EthernetHeader etherType(int etherType) {
        WireBytes.setU16(segment, offset + ETHER_TYPE_OFFSET, etherType);
        return this;
    }

    @Override
    public String toString() {
        if (segment == null || offset + LENGTH > segment.byteSize()) {
            return "EthernetHeader[truncated]";
        }
        return "EthernetHeader[" + WireBytes.formatMac(source()) + " > " + WireBytes.formatMac(destination())
                + " type=0x" + String.format("%04x", etherType()) + "]";
    }
}
