package dev.netstack.ip.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flyweight view of an IPv4 header (RFC 791 §3.1) at an offset of a {@link MemorySegment}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |    DSCP   |ECN|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options (IHL > 5)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Call {@link #checkLength(int)} once with the bytes available; after it returns {@link #OK}
 * every getter reads inside the packet. Setters return {@code this}. Nothing allocates except
 * {@link #toString()}.
 */
public final class Ipv4Header {

    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;
    public static final int MAX_TOTAL_LENGTH = 65_535;

    public static final int VERSION_IHL = 0;
    public static final int DSCP_ECN = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int IDENTIFICATION = 4;
    public static final int FLAGS_FRAGMENT = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SOURCE = 12;
    public static final int DESTINATION = 16;

    /** Flag bits in the 16-bit flags/fragment offset field. */
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    public static final int FLAG_RESERVED = 0x8000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    public static final int PROTOCOL_ICMP = 1;
    public static final int PROTOCOL_TCP = 6;
    public static final int PROTOCOL_UDP = 17;

    /** {@link #checkLength} results. */
    public static final int OK = 0;
    public static final int TRUNCATED = 1;
    public static final int BAD_IHL = 2;
    public static final int BAD_TOTAL_LENGTH = 3;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private MemorySegment segment;
    private long offset;

    public Ipv4Header wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    /**
     * RFC 791 §3.1 and RFC 1122 §3.2.1.1: whether {@code available} bytes hold a whole header and
     * the datagram it announces. Returns {@link #OK}, {@link #TRUNCATED} (fewer than 20 bytes or
     * than the header length), {@link #BAD_IHL} (IHL below 5) or {@link #BAD_TOTAL_LENGTH} (total
     * length below the header length or beyond the bytes available). Does not check the version.
     */
    public int checkLength(int available) {
        if (available < MIN_LENGTH) {
            return TRUNCATED;
        }
        int headerLength = headerLength();
        if (headerLength < MIN_LENGTH) {
            return BAD_IHL;
        }
        if (headerLength > available) {
            return TRUNCATED;
        }
        int total = totalLength();
        if (total < headerLength || total > available) {
            return BAD_TOTAL_LENGTH;
        }
        return OK;
    }

    private int u8(int field) {
        return segment.get(ValueLayout.JAVA_BYTE, offset + field) & 0xFF;
    }

    private int u16(int field) {
        return segment.get(SHORT_BE, offset + field) & 0xFFFF;
    }

    private void u8(int field, int value) {
        segment.set(ValueLayout.JAVA_BYTE, offset + field, (byte) value);
    }

    private void u16(int field, int value) {
        segment.set(SHORT_BE, offset + field, (short) value);
    }

    public int version() {
        return u8(VERSION_IHL) >>> 4;
    }

    /** IHL in 32-bit words. */
    public int ihl() {
        return u8(VERSION_IHL) & 0x0F;
    }

    /** IHL in bytes. */
    public int headerLength() {
        return ihl() * 4;
    }

    /** Sets version 4 and the header length in bytes (a multiple of 4, 20 to 60). */
    public Ipv4Header setVersionAndHeaderLength(int headerLength) {
        u8(VERSION_IHL, 0x40 | (headerLength >>> 2 & 0x0F));
        return this;
    }

    public int dscpEcn() {
        return u8(DSCP_ECN);
    }

    public Ipv4Header setDscpEcn(int value) {
        u8(DSCP_ECN, value);
        return this;
    }

    public int totalLength() {
        return u16(TOTAL_LENGTH);
    }

    public Ipv4Header setTotalLength(int value) {
        u16(TOTAL_LENGTH, value);
        return this;
    }

    public int identification() {
        return u16(IDENTIFICATION);
    }

    public Ipv4Header setIdentification(int value) {
        u16(IDENTIFICATION, value);
        return this;
    }

    /** The raw flags and fragment offset field. */
    public int flagsFragment() {
        return u16(FLAGS_FRAGMENT);
    }

    public Ipv4Header setFlagsFragment(int value) {
        u16(FLAGS_FRAGMENT, value);
        return this;
    }

    public boolean dontFragment() {
        return (flagsFragment() & FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments() {
        return (flagsFragment() & FLAG_MORE_FRAGMENTS) != 0;
    }

    /** Fragment offset in bytes (the field counts 8-byte units, RFC 791 §3.1). */
    public int fragmentOffsetBytes() {
        return (flagsFragment() & FRAGMENT_OFFSET_MASK) << 3;
    }

    /** Whether this is a fragment: MF set or a non-zero offset. */
    public boolean isFragment() {
        return (flagsFragment() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return u8(TTL);
    }

    public Ipv4Header setTtl(int value) {
        u8(TTL, value);
        return this;
    }

    public int protocol() {
        return u8(PROTOCOL);
    }

    public Ipv4Header setProtocol(int value) {
        u8(PROTOCOL, value);
        return this;
    }

    public int checksum() {
        return u16(CHECKSUM);
    }

    public Ipv4Header setChecksum(int value) {
        u16(CHECKSUM, value);
        return this;
    }

    public int source() {
        return segment.get(INT_BE, offset + SOURCE);
    }

    public Ipv4Header setSource(int address) {
        segment.set(INT_BE, offset + SOURCE, address);
        return this;
    }

    public int destination() {
        return segment.get(INT_BE, offset + DESTINATION);
    }

    public Ipv4Header setDestination(int address) {
        segment.set(INT_BE, offset + DESTINATION, address);
        return this;
    }

    /** Whether the header checksum verifies over {@link #headerLength()} bytes. */
    public boolean checksumValid() {
        return InternetChecksum.verify(segment, offset, headerLength());
    }

    /** Computes and stores the header checksum over {@link #headerLength()} bytes. */
    public Ipv4Header fillChecksum() {
        setChecksum(0);
        setChecksum(InternetChecksum.compute(segment, offset, headerLength()));
        return this;
    }

    /**
     * Writes a whole 20-byte header without options: version 4, IHL 5, DSCP/ECN 0, the given
     * fields, and the checksum.
     */
    public Ipv4Header emit(int totalLength, int identification, int flagsFragment, int ttl, int protocol,
            int source, int destination) {
        setVersionAndHeaderLength(MIN_LENGTH);
        setDscpEcn(0);
        setTotalLength(totalLength);
        setIdentification(identification);
        setFlagsFragment(flagsFragment);
        setTtl(ttl);
        setProtocol(protocol);
        setSource(source);
        setDestination(destination);
        return fillChecksum();
    }

    @Override
    public String toString() {
        return "IPv4[" + Ipv4Address.format(source()) + " > " + Ipv4Address.format(destination())
                + " proto=" + protocol() + " ihl=" + ihl() + " len=" + totalLength() + " id=" + identification()
                + (dontFragment() ? " DF" : "") + (moreFragments() ? " MF" : "")
                + " frag=" + fragmentOffsetBytes() + " ttl=" + ttl()
                + " sum=0x" + Integer.toHexString(checksum()) + "]";
    }
}
