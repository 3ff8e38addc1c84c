package dev.netstack.ip.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flyweight view of an ICMP message header (RFC 792) at an offset of a {@link MemorySegment}:
 * type, code, checksum and the 4-byte "rest of header", which is identifier and sequence number
 * for echo (types 0 and 8) and unused (or the next-hop MTU, RFC 1191) for errors, which then quote
 * the offending IP header and the first 8 bytes of its data.
 *
 * <pre>
 * +--------+--------+-----------------+
 * |  type  |  code  |    checksum     |
 * +--------+--------+-----------------+
 * |   identifier    | sequence number |   (echo)
 * |      unused     |   next-hop MTU  |   (destination unreachable)
 * +-----------------+-----------------+
 * |  data / quoted IP header + 8 bytes|
 * </pre>
 *
 * <p>{@link #checkLength(int)} once, then every accessor reads inside the message.
 */
public final class IcmpHeader {

    public static final int LENGTH = 8;

    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int IDENTIFIER = 4;
    public static final int SEQUENCE = 6;
    public static final int REST = 4;
    public static final int NEXT_HOP_MTU = 6;

    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    public static final int TYPE_SOURCE_QUENCH = 4;
    public static final int TYPE_REDIRECT = 5;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;

    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_TTL_EXCEEDED = 0;
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private MemorySegment segment;
    private long offset;

    public IcmpHeader wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Whether {@code available} bytes hold the 8-byte header. */
    public boolean checkLength(int available) {
        return available >= LENGTH;
    }

    /** Whether the type is an error message (RFC 1122 §3.2.2: no error is sent about one). */
    public static boolean isError(int type) {
        return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_SOURCE_QUENCH || type == TYPE_REDIRECT
                || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM;
    }

    public int type() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + TYPE) & 0xFF;
    }

    public IcmpHeader setType(int type) {
        segment.set(ValueLayout.JAVA_BYTE, offset + TYPE, (byte) type);
        return this;
    }

    public int code() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + CODE) & 0xFF;
    }

    public IcmpHeader setCode(int code) {
        segment.set(ValueLayout.JAVA_BYTE, offset + CODE, (byte) code);
        return this;
    }

    public int checksum() {
        return segment.get(SHORT_BE, offset + CHECKSUM) & 0xFFFF;
    }

    public IcmpHeader setChecksum(int value) {
        segment.set(SHORT_BE, offset + CHECKSUM, (short) value);
        return this;
    }

    public int identifier() {
        return segment.get(SHORT_BE, offset + IDENTIFIER) & 0xFFFF;
    }

    public IcmpHeader setIdentifier(int value) {
        segment.set(SHORT_BE, offset + IDENTIFIER, (short) value);
        return this;
    }

    public int sequence() {
        return segment.get(SHORT_BE, offset + SEQUENCE) & 0xFFFF;
    }

    public IcmpHeader setSequence(int value) {
        segment.set(SHORT_BE, offset + SEQUENCE, (short) value);
        return this;
    }

    /** The 4 bytes after the checksum as one int (unused for most errors: zero). */
    public int rest() {
        return segment.get(INT_BE, offset + REST);
    }

    public IcmpHeader setRest(int value) {
        segment.set(INT_BE, offset + REST, value);
        return this;
    }

    /** RFC 1191: the next-hop MTU of a "fragmentation needed" message. */
    public int nextHopMtu() {
        return segment.get(SHORT_BE, offset + NEXT_HOP_MTU) & 0xFFFF;
    }

    /** Whether the checksum verifies over the whole message of {@code length} bytes. */
    public boolean checksumValid(int length) {
        return InternetChecksum.verify(segment, offset, length);
    }

    /** Computes and stores the checksum over the whole message of {@code length} bytes. */
    public IcmpHeader fillChecksum(int length) {
        setChecksum(0);
        setChecksum(InternetChecksum.compute(segment, offset, length));
        return this;
    }

    /** Writes type, code and the rest-of-header word; the checksum is left zero (see {@link #fillChecksum}). */
    public IcmpHeader emit(int type, int code, int rest) {
        setType(type);
        setCode(code);
        setChecksum(0);
        setRest(rest);
        return this;
    }

    @Override
    public String toString() {
        int type = type();
        String rest = type == TYPE_ECHO_REQUEST || type == TYPE_ECHO_REPLY
                ? " id=" + identifier() + " seq=" + sequence()
                : " rest=0x" + Integer.toHexString(rest());
        return "ICMP[type=" + type + " code=" + code() + rest + " sum=0x" + Integer.toHexString(checksum()) + "]";
    }
}
