package dev.netstack.launcher.bench;

/**
 * A histogram of non-negative {@code long} values (latencies in nanoseconds) that records without
 * allocating, in the manner of HdrHistogram: exact below {@value #LINEAR}, then log-linear, each
 * power of two split into {@value #SUB_BUCKETS} equal buckets, so a reported value is at most
 * 1/{@value #SUB_BUCKETS} (0.8 %) above the true one.
 *
 * <pre>
 *   index  0 .. 255            value = index                         (exact)
 *   index  256 + (g-1)*128 + s value in [(128+s) &lt;&lt; g, (129+s) &lt;&lt; g)  g = msb - 7, s = 0..127
 * </pre>
 *
 * <p>One writer thread at a time; read it after the writer stopped (or accept a torn snapshot).
 */
public final class LogLinearHistogram {

    static final int SUB_BUCKETS = 128;
    static final int LINEAR = 2 * SUB_BUCKETS;
    /** Groups g = 1..55 cover values up to {@code Long.MAX_VALUE} (msb 62). */
    private static final int GROUPS = 63 - 7;

    private final long[] counts = new long[LINEAR + (GROUPS - 1) * SUB_BUCKETS];
    private long count;
    private long sum;
    private long max;
    private long min = Long.MAX_VALUE;

    /** Adds one value; negative values count as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts[index(v)]++;
        count++;
        sum += v;
        if (v > max) {
            max = v;
        }
        if (v < min) {
            min = v;
        }
    }

    static int index(long value) {
        if (value < LINEAR) {
            return (int) value;
        }
        int msb = 63 - Long.numberOfLeadingZeros(value);
        int group = msb - 7;
        int sub = (int) (value >>> group) - SUB_BUCKETS;
        return LINEAR + (group - 1) * SUB_BUCKETS + sub;
    }

    /** The largest value that falls into bucket {@code index}. */
    static long highestEquivalent(int index) {
        if (index < LINEAR) {
            return index;
        }
        int group = (index - LINEAR) / SUB_BUCKETS + 1;
        long sub = (index - LINEAR) % SUB_BUCKETS;
        long low = (SUB_BUCKETS + sub) << group;
        return low + (1L << group) - 1;
    }

    public long count() {
        return count;
    }

    public long max() {
        return count == 0 ? 0 : max;
    }

    public long min() {
        return count == 0 ? 0 : min;
    }

    public double mean() {
        return count == 0 ? 0 : (double) sum / count;
    }

    /**
     * The value at {@code percentile} (0 to 100): the highest value equivalent to the bucket where
     * the cumulative count first reaches {@code ceil(percentile/100 * count)}, capped at the exact
     * maximum. 0 when empty.
     */
    public long percentile(double percentile) {
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(Math.min(100, Math.max(0, percentile)) / 100 * count));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(highestEquivalent(i), max);
            }
        }
        return max;
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        count = 0;
        sum = 0;
        max = 0;
        min = Long.MAX_VALUE;
    }
}
