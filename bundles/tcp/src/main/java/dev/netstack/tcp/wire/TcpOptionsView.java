package dev.netstack.tcp.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The options of one TCP segment, parsed into fields (reused: one instance per receive path) and
 * emitted by the static {@code write...} methods.
 *
 * <p>Read first: RFC 9293 §3.2 (option format, EOL, NOP, MSS; an option whose length runs past
 * the header or is below 2 makes the segment's options unusable), RFC 7323 §2.2 and §3.2 (window
 * scale, timestamps), RFC 2018 §2-3 (SACK-permitted, SACK blocks).
 *
 * <p>{@link #parse} never throws: malformed options return false and leave the fields describing
 * only the options read before the fault. Unknown options are skipped by their length.
 */
public final class TcpOptionsView {

    public static final int KIND_EOL = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;

    /** At most four SACK blocks fit in 40 option bytes (RFC 2018 §3). */
    public static final int MAX_SACK_BLOCKS = 4;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** MSS option value, or -1 if absent. */
    public int mss;
    /** Window scale shift (clamped to 14 per RFC 7323 §2.3), or -1 if absent. */
    public int windowScale;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    /** Number of SACK blocks read. */
    public int sackBlocks;
    /** Left and right edges: {@code sackEdges[2i]}, {@code sackEdges[2i+1]}. */
    public final int[] sackEdges = new int[2 * MAX_SACK_BLOCKS];

    public void clear() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlocks = 0;
    }

    /**
     * Parses the options at {@code [offset, offset + length)}.
     *
     * @return false if an option is malformed (length below 2, running past the end, or a known
     *     option with the wrong length)
     */
    public boolean parse(MemorySegment segment, long offset, int length) {
        clear();
        long at = offset;
        long end = offset + length;
        while (at < end) {
            int kind = segment.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
            if (kind == KIND_EOL) {
                return true;
            }
            if (kind == KIND_NOP) {
                at++;
                continue;
            }
            if (end - at < 2) {
                return false;
            }
            int optionLength = segment.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF;
            if (optionLength < 2 || optionLength > end - at) {
                return false;
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (optionLength != 4) {
                        return false;
                    }
                    mss = segment.get(SHORT_BE, at + 2) & 0xFFFF;
                }
                case KIND_WINDOW_SCALE -> {
                    if (optionLength != 3) {
                        return false;
                    }
                    // RFC 7323 §2.3: a shift above 14 is used as 14.
                    windowScale = Math.min(14, segment.get(ValueLayout.JAVA_BYTE, at + 2) & 0xFF);
                }
                case KIND_SACK_PERMITTED -> {
                    if (optionLength != 2) {
                        return false;
                    }
                    sackPermitted = true;
                }
                case KIND_TIMESTAMP -> {
                    if (optionLength != 10) {
                        return false;
                    }
                    hasTimestamp = true;
                    tsVal = segment.get(INT_BE, at + 2);
                    tsEcr = segment.get(INT_BE, at + 6);
                }
                case KIND_SACK -> {
                    int blocks = (optionLength - 2) / 8;
                    if ((optionLength - 2) % 8 != 0 || blocks == 0 || blocks > MAX_SACK_BLOCKS) {
                        return false;
                    }
                    for (int i = 0; i < blocks; i++) {
                        sackEdges[2 * i] = segment.get(INT_BE, at + 2 + 8L * i);
                        sackEdges[2 * i + 1] = segment.get(INT_BE, at + 6 + 8L * i);
                    }
                    sackBlocks = blocks;
                }
                default -> {
                    // unknown option: skipped by its length (RFC 9293 §3.2, MUST-6)
                }
            }
            at += optionLength;
        }
        return true;
    }

    /** Writes MSS (4 bytes) at {@code at}; returns the offset after it. */
    public static long writeMss(MemorySegment segment, long at, int mss) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) KIND_MSS);
        segment.set(ValueLayout.JAVA_BYTE, at + 1, (byte) 4);
        segment.set(SHORT_BE, at + 2, (short) mss);
        return at + 4;
    }

    /** Writes NOP + window scale (4 bytes). */
    public static long writeWindowScale(MemorySegment segment, long at, int shift) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 1, (byte) KIND_WINDOW_SCALE);
        segment.set(ValueLayout.JAVA_BYTE, at + 2, (byte) 3);
        segment.set(ValueLayout.JAVA_BYTE, at + 3, (byte) shift);
        return at + 4;
    }

    /** Writes NOP NOP SACK-permitted (4 bytes). */
    public static long writeSackPermitted(MemorySegment segment, long at) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 1, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 2, (byte) KIND_SACK_PERMITTED);
        segment.set(ValueLayout.JAVA_BYTE, at + 3, (byte) 2);
        return at + 4;
    }

    /** Writes NOP NOP timestamps (12 bytes, the RFC 7323 Appendix A layout). */
    public static long writeTimestamp(MemorySegment segment, long at, int tsVal, int tsEcr) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 1, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 2, (byte) KIND_TIMESTAMP);
        segment.set(ValueLayout.JAVA_BYTE, at + 3, (byte) 10);
        segment.set(INT_BE, at + 4, tsVal);
        segment.set(INT_BE, at + 8, tsEcr);
        return at + 12;
    }

    /** Writes NOP NOP SACK with {@code blocks} blocks from {@code edges} (4 + 8·blocks bytes). */
    public static long writeSack(MemorySegment segment, long at, int[] edges, int blocks) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 1, (byte) KIND_NOP);
        segment.set(ValueLayout.JAVA_BYTE, at + 2, (byte) KIND_SACK);
        segment.set(ValueLayout.JAVA_BYTE, at + 3, (byte) (2 + 8 * blocks));
        for (int i = 0; i < blocks; i++) {
            segment.set(INT_BE, at + 4 + 8L * i, edges[2 * i]);
            segment.set(INT_BE, at + 8 + 8L * i, edges[2 * i + 1]);
        }
        return at + 4 + 8L * blocks;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        if (mss >= 0) {
            text.append("mss ").append(mss).append(',');
        }
        if (sackPermitted) {
            text.append("sackOK,");
        }
        if (hasTimestamp) {
            text.append("TS val ").append(Integer.toUnsignedString(tsVal)).append(" ecr ")
                    .append(Integer.toUnsignedString(tsEcr)).append(',');
        }
        if (windowScale >= 0) {
            text.append("wscale ").append(windowScale).append(',');
        }
        for (int i = 0; i < sackBlocks; i++) {
            text.append("sack ").append(Integer.toUnsignedString(sackEdges[2 * i])).append(':')
                    .append(Integer.toUnsignedString(sackEdges[2 * i + 1])).append(',');
        }
        if (text.length() > 1) {
            text.setLength(text.length() - 1);
        }
        return text.append(']').toString();
    }
}
