package dev.netstack.udp.wire;

import dev.netstack.ip.wire.InternetChecksum;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flyweight view of a UDP header (RFC 768) at an offset of a {@link MemorySegment}.
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   source port   |  destination    |
 * |                 |      port       |
 * +--------+--------+--------+--------+
 * |     length      |    checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * </pre>
 *
 * <p>Read first: RFC 768 (the whole of it: length counts header and data; the checksum covers a
 * pseudo-header, the header and the data; a computed 0 is sent as all ones; 0 means "no
 * checksum"), RFC 1122 §4.1.3.4 (a host must verify a checksum that is present).
 *
 * <p>{@link #checkLength(int)} once, then every accessor reads inside the header. Nothing here
 * allocates.
 */
public final class UdpHeader {

    public static final int LENGTH = 8;

    public static final int SOURCE_PORT = 0;
    public static final int DESTINATION_PORT = 2;
    public static final int LENGTH_FIELD = 4;
    public static final int CHECKSUM = 6;

    /** IP protocol number of UDP. */
    public static final int PROTOCOL = 17;
    /** Largest payload in one IPv4 datagram: 65535 - 20 (IP) - 8 (UDP). */
    public static final int MAX_PAYLOAD = 65_507;

    /** {@link #checkLength}: the header and its length field are consistent with the bytes present. */
    public static final int OK = 0;
    /** Fewer than 8 bytes. */
    public static final int TRUNCATED = 1;
    /** The length field is below 8 or exceeds the bytes present. */
    public static final int BAD_LENGTH = 2;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private MemorySegment segment;
    private long offset;

    public UdpHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /**
     * Checks {@code available} bytes (the IP payload) against the header: {@link #OK},
     * {@link #TRUNCATED} or {@link #BAD_LENGTH}. A length field shorter than the bytes present is
     * OK: the rest is padding that the receiver cuts off.
     */
    public int checkLength(int available) {
        if (available < LENGTH) {
            return TRUNCATED;
        }
        int length = length();
        if (length < LENGTH || length > available) {
            return BAD_LENGTH;
        }
        return OK;
    }

    public int sourcePort() {
        return segment.get(SHORT_BE, offset + SOURCE_PORT) & 0xFFFF;
    }

    public UdpHeader setSourcePort(int port) {
        segment.set(SHORT_BE, offset + SOURCE_PORT, (short) port);
        return this;
    }

    public int destinationPort() {
        return segment.get(SHORT_BE, offset + DESTINATION_PORT) & 0xFFFF;
    }

    public UdpHeader setDestinationPort(int port) {
        segment.set(SHORT_BE, offset + DESTINATION_PORT, (short) port);
        return this;
    }

    /** Header plus data, in bytes. */
    public int length() {
        return segment.get(SHORT_BE, offset + LENGTH_FIELD) & 0xFFFF;
    }

    public UdpHeader setLength(int length) {
        segment.set(SHORT_BE, offset + LENGTH_FIELD, (short) length);
        return this;
    }

    public int checksum() {
        return segment.get(SHORT_BE, offset + CHECKSUM) & 0xFFFF;
    }

    public UdpHeader setChecksum(int checksum) {
        segment.set(SHORT_BE, offset + CHECKSUM, (short) checksum);
        return this;
    }

    /** Writes ports and length, and a zero checksum (fill it with {@link #fillChecksum} once the data is in place). */
    public UdpHeader emit(int sourcePort, int destinationPort, int length) {
        setSourcePort(sourcePort);
        setDestinationPort(destinationPort);
        setLength(length);
        setChecksum(0);
        return this;
    }

    /**
     * The checksum to transmit for this header and the {@link #length()} - 8 data bytes after it,
     * with the checksum field taken as zero: RFC 768, a computed 0 is sent as 0xFFFF (all ones,
     * the other one's complement zero), since 0 means "no checksum".
     */
    public int computeChecksum(int source, int destination) {
        int length = length();
        long sum = InternetChecksum.pseudoHeaderSum(source, destination, PROTOCOL, length);
        // The stored field is taken out again: the sum includes it, so the difference is never negative.
        sum = InternetChecksum.sum(segment, offset, length, sum) - checksum();
        int checksum = InternetChecksum.finish(sum);
        return checksum == 0 ? 0xFFFF : checksum;
    }

    /** Computes and stores the checksum (see {@link #computeChecksum}). */
    public UdpHeader fillChecksum(int source, int destination) {
        setChecksum(0);
        return setChecksum(computeChecksum(source, destination));
    }

    /**
     * Whether the stored checksum verifies against the pseudo-header and {@link #length()} bytes.
     * A stored 0 ("no checksum", RFC 768) returns false here: the caller decides by policy
     * whether to accept it (see {@link #hasChecksum()}).
     */
    public boolean checksumValid(int source, int destination) {
        if (!hasChecksum()) {
            return false;
        }
        int length = length();
        long sum = InternetChecksum.pseudoHeaderSum(source, destination, PROTOCOL, length);
        return InternetChecksum.fold(InternetChecksum.sum(segment, offset, length, sum)) == 0xFFFF;
    }

    /** Whether the sender computed a checksum (the field is not 0, RFC 768). */
    public boolean hasChecksum() {
        return checksum() != 0;
    }

    @Override
    public String toString() {
        return "UDP[" + sourcePort() + " > " + destinationPort() + " len=" + length() + " sum=0x"
                + Integer.toHexString(checksum()) + "]";
    }
}
