package dev.netstack.ip.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum: the 16-bit one's complement of the one's complement sum of 16-bit words.
 *
 * <p>Read first: RFC 1071 (computing it: byte-order independence, deferred carries, summing wider
 * words and folding), RFC 1624 (incremental update, eqn. 3: {@code HC' = ~(~HC + ~m + m')}),
 * RFC 9293 §3.1 / RFC 768 (the pseudo-header for TCP and UDP).
 *
 * <p>Sums are kept unfolded in a {@code long} ("partial sums") so they can be chained:
 * {@code finish(sum(seg, a, n, pseudoHeaderSum(...)))}. Summing 64 bits at a time into two 32-bit
 * halves and folding at the end is exact because 2^16 is 1 modulo 0xFFFF (RFC 1071 §2(B)).
 * Nothing here allocates.
 */
public final class InternetChecksum {

    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private InternetChecksum() {
    }

    /**
     * Adds {@code length} bytes at {@code offset} to the partial sum {@code initial}. The bytes are
     * taken as big-endian 16-bit words starting at an even position; an odd last byte is padded
     * with zero (RFC 1071 §4.1).
     */
    public static long sum(MemorySegment segment, long offset, int length, long initial) {
        long sum = initial;
        long at = offset;
        long end = offset + length;
        // Each 64-bit word adds two 32-bit halves: at most 2^33 per word, no overflow below 2^30 words.
        while (end - at >= 8) {
            long word = segment.get(LONG_BE, at);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
            at += 8;
        }
        if (end - at >= 4) {
            sum += segment.get(INT_BE, at) & 0xFFFF_FFFFL;
            at += 4;
        }
        if (end - at >= 2) {
            sum += segment.get(SHORT_BE, at) & 0xFFFF;
            at += 2;
        }
        if (end - at == 1) {
            sum += (segment.get(ValueLayout.JAVA_BYTE, at) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a partial sum to 16 bits (without complementing). */
    public static int fold(long sum) {
        long s = (sum >>> 32) + (sum & 0xFFFF_FFFFL);
        s = (s >>> 16) + (s & 0xFFFF);
        s = (s >>> 16) + (s & 0xFFFF);
        s = (s >>> 16) + (s & 0xFFFF);
        return (int) s;
    }

    /** The checksum field value for a partial sum: the complement of the folded sum. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** The checksum of {@code length} bytes, to store in a zeroed checksum field. */
    public static int compute(MemorySegment segment, long offset, int length) {
        return finish(sum(segment, offset, length, 0));
    }

    /** Whether bytes that include their checksum field verify (their sum folds to 0xFFFF). */
    public static boolean verify(MemorySegment segment, long offset, int length) {
        return fold(sum(segment, offset, length, 0)) == 0xFFFF;
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered data changes from
     * {@code oldWord} to {@code newWord}.
     */
    public static int update(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** RFC 1624 eqn. 3 for a 32-bit field (an address) that changes. */
    public static int update32(int checksum, int oldValue, int newValue) {
        return update(update(checksum, oldValue >>> 16, newValue >>> 16), oldValue & 0xFFFF, newValue & 0xFFFF);
    }

    /**
     * The partial sum of the IPv4 pseudo-header for TCP and UDP (RFC 9293 §3.1, RFC 768): source,
     * destination, zero and protocol, and the transport length.
     */
    public static long pseudoHeaderSum(int source, int destination, int protocol, int transportLength) {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF)
                + (protocol & 0xFF) + (transportLength & 0xFFFF);
    }
}
