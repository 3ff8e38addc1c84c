package dev.netstack.tcp.internal;

/**
 * A sorted, merged set of sequence-number ranges {@code [left, right)} held in two int arrays:
 * the receiver's out-of-order ranges (RFC 9293 §3.10.7.4 "seventh", RFC 2018 §4 for the SACK
 * blocks it reports) and the sender's SACK scoreboard (RFC 6675 §3). Comparisons use sequence
 * arithmetic, so ranges must lie within 2^31 of each other (they lie within one window).
 * Allocation-free after construction; bounded by {@code maxRanges} (a memory bound: an insert
 * that would need more ranges fails).
 */
final class SeqRanges {

    private final int[] lefts;
    private final int[] rights;
    private int count;
    /** Sum of range lengths, kept as ranges are added and dropped. */
    private long totalBytes;

    SeqRanges(int maxRanges) {
        lefts = new int[maxRanges];
        rights = new int[maxRanges];
    }

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean le(int a, int b) {
        return a - b <= 0;
    }

    int count() {
        return count;
    }

    int left(int i) {
        return lefts[i];
    }

    int right(int i) {
        return rights[i];
    }

    void clear() {
        count = 0;
        totalBytes = 0;
    }

    /**
     * Adds {@code [left, right)}, merging with overlapping or adjacent ranges.
     *
     * @return the index of the range now holding it, or -1 if it needed a new range and none was free
     */
    int add(int left, int right) {
        if (!lt(left, right)) {
            return -2;
        }
        int i = 0;
        while (i < count && lt(rights[i], left)) {
            i++;
        }
        if (i == count || lt(right, lefts[i])) {
            // no overlap or adjacency: insert at i
            if (count == lefts.length) {
                return -1;
            }
            System.arraycopy(lefts, i, lefts, i + 1, count - i);
            System.arraycopy(rights, i, rights, i + 1, count - i);
            lefts[i] = left;
            rights[i] = right;
            count++;
            totalBytes += right - left;
            return i;
        }
        // merge [left, right) into range i and any following ranges it reaches
        totalBytes -= rights[i] - lefts[i];
        if (lt(left, lefts[i])) {
            lefts[i] = left;
        }
        if (lt(rights[i], right)) {
            rights[i] = right;
        }
        int j = i + 1;
        while (j < count && le(lefts[j], rights[i])) {
            totalBytes -= rights[j] - lefts[j];
            if (lt(rights[i], rights[j])) {
                rights[i] = rights[j];
            }
            j++;
        }
        totalBytes += rights[i] - lefts[i];
        int removed = j - i - 1;
        if (removed > 0) {
            System.arraycopy(lefts, j, lefts, i + 1, count - j);
            System.arraycopy(rights, j, rights, i + 1, count - j);
            count -= removed;
        }
        return i;
    }

    /** Drops everything below {@code seq} (cumulatively acknowledged or delivered). */
    void removeBelow(int seq) {
        int drop = 0;
        while (drop < count && le(rights[drop], seq)) {
            totalBytes -= rights[drop] - lefts[drop];
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(lefts, drop, lefts, 0, count - drop);
            System.arraycopy(rights, drop, rights, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && lt(lefts[0], seq)) {
            totalBytes -= seq - lefts[0];
            lefts[0] = seq;
        }
    }

    /** Whether {@code seq} lies in a range. */
    boolean contains(int seq) {
        for (int i = 0; i < count; i++) {
            if (le(lefts[i], seq) && lt(seq, rights[i])) {
                return true;
            }
        }
        return false;
    }

    /** The right edge of the range starting exactly at {@code seq}, or {@code seq} if none does. */
    int coveredFrom(int seq) {
        for (int i = 0; i < count; i++) {
            if (le(lefts[i], seq) && lt(seq, rights[i])) {
                return rights[i];
            }
        }
        return seq;
    }

    /** Sum of range lengths. */
    long totalBytes() {
        return totalBytes;
    }

    /** Bytes of the ranges that lie in {@code [from, to)} (0 unless {@code from < to}). */
    long bytesBetween(int from, int to) {
        long total = 0;
        if (!lt(from, to)) {
            return 0;
        }
        for (int i = 0; i < count; i++) {
            int l = lefts[i];
            int r = rights[i];
            if (le(to, l)) {
                break;
            }
            if (lt(from, r)) {
                total += (lt(to, r) ? to : r) - (lt(l, from) ? from : l);
            }
        }
        return total;
    }

    /** Whether any range shares a sequence number with {@code [from, to)}. */
    boolean overlaps(int from, int to) {
        for (int i = 0; i < count; i++) {
            if (le(to, lefts[i])) {
                return false;
            }
            if (lt(from, rights[i])) {
                return lt(from, to);
            }
        }
        return false;
    }

    /** The left edge of the first range starting above {@code seq}, or {@code fallback} if none does. */
    int nextLeftAbove(int seq, int fallback) {
        for (int i = 0; i < count; i++) {
            if (lt(seq, lefts[i])) {
                return lefts[i];
            }
        }
        return fallback;
    }

    /** The right edge of the highest range ending at or below {@code seq}, or {@code fallback} if none does. */
    int lastRightAtOrBelow(int seq, int fallback) {
        for (int i = count - 1; i >= 0; i--) {
            if (le(rights[i], seq)) {
                return rights[i];
            }
        }
        return fallback;
    }

    /** Bytes in ranges at or above {@code seq}. */
    long bytesAbove(int seq) {
        long total = 0;
        for (int i = count - 1; i >= 0; i--) {
            if (le(rights[i], seq)) {
                break;
            }
            total += rights[i] - (lt(lefts[i], seq) ? seq : lefts[i]);
        }
        return total;
    }

    /** The highest right edge, or {@code fallback} if empty. */
    int highest(int fallback) {
        return count == 0 ? fallback : rights[count - 1];
    }
}
