package dev.netstack.tcp.wire;

import dev.netstack.ip.wire.InternetChecksum;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flyweight view of a TCP header (RFC 9293 §3.1) at an offset of a {@link MemorySegment}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  DOff | Rsrvd |C|E|U|A|P|R|S|F|            Window             |
 * |           Checksum            |         Urgent Pointer        |
 * |                    Options (DOff > 5)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Call {@link #checkLength(int)} once with the bytes of the segment; after it returns
 * {@link #OK} every getter reads inside the segment. Options are read by
 * {@link TcpOptionsView#parse}. Setters return {@code this}. Nothing allocates except
 * {@link #toString()}.
 */
public final class TcpHeader {

    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;

    public static final int SOURCE_PORT = 0;
    public static final int DESTINATION_PORT = 2;
    public static final int SEQUENCE = 4;
    public static final int ACKNOWLEDGMENT = 8;
    public static final int DATA_OFFSET = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT_POINTER = 18;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** {@link #checkLength} results. */
    public static final int OK = 0;
    public static final int TRUNCATED = 1;
    public static final int BAD_DATA_OFFSET = 2;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private MemorySegment segment;
    private long offset;

    public TcpHeader wrap(MemorySegment segment, long offset) {
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
     * Validates a segment of {@code length} bytes: at least 20 bytes, and a data offset of 5 to 15
     * words that fits (RFC 9293 §3.1).
     */
    public int checkLength(int length) {
        if (length < MIN_LENGTH) {
            return TRUNCATED;
        }
        int headerLength = headerLength();
        if (headerLength < MIN_LENGTH || headerLength > length) {
            return BAD_DATA_OFFSET;
        }
        return OK;
    }

    public int sourcePort() {
        return segment.get(SHORT_BE, offset + SOURCE_PORT) & 0xFFFF;
    }

    public TcpHeader sourcePort(int port) {
        segment.set(SHORT_BE, offset + SOURCE_PORT, (short) port);
        return this;
    }

    public int destinationPort() {
        return segment.get(SHORT_BE, offset + DESTINATION_PORT) & 0xFFFF;
    }

    public TcpHeader destinationPort(int port) {
        segment.set(SHORT_BE, offset + DESTINATION_PORT, (short) port);
        return this;
    }

    public int sequence() {
        return segment.get(INT_BE, offset + SEQUENCE);
    }

    public TcpHeader sequence(int seq) {
        segment.set(INT_BE, offset + SEQUENCE, seq);
        return this;
    }

    public int acknowledgment() {
        return segment.get(INT_BE, offset + ACKNOWLEDGMENT);
    }

    public TcpHeader acknowledgment(int ack) {
        segment.set(INT_BE, offset + ACKNOWLEDGMENT, ack);
        return this;
    }

    /** Header length in bytes (data offset × 4). */
    public int headerLength() {
        return ((segment.get(ValueLayout.JAVA_BYTE, offset + DATA_OFFSET) >>> 4) & 0x0F) * 4;
    }

    /** Sets the data offset from a header length in bytes (a multiple of 4); clears the reserved bits. */
    public TcpHeader headerLength(int bytes) {
        segment.set(ValueLayout.JAVA_BYTE, offset + DATA_OFFSET, (byte) ((bytes / 4) << 4));
        return this;
    }

    public int flags() {
        return segment.get(ValueLayout.JAVA_BYTE, offset + FLAGS) & 0xFF;
    }

    public TcpHeader flags(int flags) {
        segment.set(ValueLayout.JAVA_BYTE, offset + FLAGS, (byte) flags);
        return this;
    }

    public boolean hasFlag(int flag) {
        return (flags() & flag) != 0;
    }

    /** The window field, unscaled. */
    public int window() {
        return segment.get(SHORT_BE, offset + WINDOW) & 0xFFFF;
    }

    public TcpHeader window(int window) {
        segment.set(SHORT_BE, offset + WINDOW, (short) window);
        return this;
    }

    public int checksum() {
        return segment.get(SHORT_BE, offset + CHECKSUM) & 0xFFFF;
    }

    public TcpHeader checksum(int checksum) {
        segment.set(SHORT_BE, offset + CHECKSUM, (short) checksum);
        return this;
    }

    public int urgentPointer() {
        return segment.get(SHORT_BE, offset + URGENT_POINTER) & 0xFFFF;
    }

    public TcpHeader urgentPointer(int pointer) {
        segment.set(SHORT_BE, offset + URGENT_POINTER, (short) pointer);
        return this;
    }

    /** Offset of the first option byte within the segment. */
    public long optionsOffset() {
        return offset + MIN_LENGTH;
    }

    /**
     * Computes and stores the checksum over the header and {@code length - headerLength} data bytes
     * that follow it, with the IPv4 pseudo-header (RFC 9293 §3.1).
     *
     * @param length the whole TCP segment, header and data, in bytes
     */
    public TcpHeader fillChecksum(int source, int destination, int length) {
        checksum(0);
        long sum = InternetChecksum.pseudoHeaderSum(source, destination, 6, length);
        checksum(InternetChecksum.finish(InternetChecksum.sum(segment, offset, length, sum)));
        return this;
    }

    /** Whether a received segment of {@code length} bytes has a correct checksum (RFC 9293 §3.1). */
    public boolean verifyChecksum(int source, int destination, int length) {
        long sum = InternetChecksum.pseudoHeaderSum(source, destination, 6, length);
        return InternetChecksum.fold(InternetChecksum.sum(segment, offset, length, sum)) == 0xFFFF;
    }

    /** Flags as tcpdump prints them: {@code S}, {@code S.}, {@code FP.}, ... */
    public static String flagsToString(int flags) {
        StringBuilder text = new StringBuilder();
        if ((flags & SYN) != 0) {
            text.append('S');
        }
        if ((flags & FIN) != 0) {
            text.append('F');
        }
        if ((flags & RST) != 0) {
            text.append('R');
        }
        if ((flags & PSH) != 0) {
            text.append('P');
        }
        if ((flags & URG) != 0) {
            text.append('U');
        }
        if ((flags & ECE) != 0) {
            text.append('E');
        }
        if ((flags & CWR) != 0) {
            text.append('W');
        }
        if ((flags & ACK) != 0) {
            text.append('.');
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return "TCP " + sourcePort() + " > " + destinationPort() + " [" + flagsToString(flags()) + "] seq "
                + Integer.toUnsignedString(sequence()) + " ack " + Integer.toUnsignedString(acknowledgment())
                + " win " + window() + " hlen " + headerLength();
    }
}
