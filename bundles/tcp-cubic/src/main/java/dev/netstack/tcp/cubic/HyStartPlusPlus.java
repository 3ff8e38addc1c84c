package dev.netstack.tcp.cubic;

/**
 * HyStart++ (RFC 9406): leaves the initial slow start when the RTT starts to climb, before the
 * overshoot that would cost a window of losses, through a few rounds of Conservative Slow Start.
 *
 * <p>Read first: RFC 9406 §4.2 (the algorithm), §4.3 (constants). Used for the initial slow start
 * only (§4.2: "An implementation SHOULD use HyStart++ only for the initial slow start"); a loss or
 * timeout ends it for the life of the connection.
 *
 * <p>Rounds. §4.2 starts a round when the ACK passes windowEnd = SND.NXT of the previous round's
 * start. The SPI passes no sequence numbers, so the same boundary is found in bytes: at the start of
 * a round, its end is the acknowledged-byte count plus the bytes then in flight (SND.NXT − SND.UNA).
 *
 * <p>Slow start increase. §4.2 recommends L = 8·SMSS per ACK without pacing; this stack keeps RFC
 * 3465's L = 2·SMSS (the same as NewReno), so CSS adds a quarter of that.
 *
 * <p>Confined to the connection's shard thread; allocates nothing.
 */
final class HyStartPlusPlus {

    /** §4.3 MIN_RTT_THRESH, MAX_RTT_THRESH, MIN_RTT_DIVISOR, N_RTT_SAMPLE, CSS_GROWTH_DIVISOR, CSS_ROUNDS. */
    static final long MIN_RTT_THRESH_NS = 4_000_000L;
    static final long MAX_RTT_THRESH_NS = 16_000_000L;
    static final int MIN_RTT_DIVISOR = 8;
    static final int N_RTT_SAMPLE = 8;
    static final int CSS_GROWTH_DIVISOR = 4;
    static final int CSS_ROUNDS = 5;

    private static final long NONE = Long.MAX_VALUE;

    private boolean active = true;
    private boolean inCss;
    private int cssRounds;
    private long ackedTotalBytes;
    private long roundEndBytes;
    private long lastRoundMinRttNs = NONE;
    private long currentRoundMinRttNs = NONE;
    private int rttSampleCount;
    private long cssBaselineMinRttNs = NONE;

    /** The state of a new connection's initial slow start. */
    void reset() {
        active = true;
        inCss = false;
        cssRounds = 0;
        ackedTotalBytes = 0;
        roundEndBytes = 0;
        lastRoundMinRttNs = NONE;
        currentRoundMinRttNs = NONE;
        rttSampleCount = 0;
        cssBaselineMinRttNs = NONE;
    }

    /** Whether HyStart++ still governs slow start (initial slow start, no loss yet). */
    boolean active() {
        return active;
    }

    /** Whether the sender is in Conservative Slow Start. */
    boolean inConservativeSlowStart() {
        return inCss;
    }

    /** A loss, a timeout or the end of slow start: HyStart++ is done for this connection. */
    void stop() {
        active = false;
        inCss = false;
    }

    /**
     * Takes one ACK in slow start and returns how much cwnd grows by, or -1 if CSS has run its
     * {@link #CSS_ROUNDS} rounds and the sender is to enter congestion avoidance with
     * ssthresh = cwnd (§4.2). Only called while {@link #active()}.
     */
    long onAck(long ackedBytes, long rttNs, long bytesInFlight, int mssBytes) {
        if (ackedTotalBytes - roundEndBytes >= 0) {
            // §4.2: a new round: remember the last round's minimum, start a fresh one.
            lastRoundMinRttNs = currentRoundMinRttNs;
            currentRoundMinRttNs = NONE;
            rttSampleCount = 0;
            roundEndBytes = ackedTotalBytes + Math.max(bytesInFlight, ackedBytes);
            if (inCss && ++cssRounds >= CSS_ROUNDS) {
                stop();
                return -1;
            }
        }
        ackedTotalBytes += ackedBytes;
        if (rttNs > 0) {
            currentRoundMinRttNs = Math.min(currentRoundMinRttNs, rttNs);
            rttSampleCount++;
        }
        long increase = Math.min(ackedBytes, (long) Cubic.ABC_LIMIT_SEGMENTS * mssBytes);
        if (!inCss) {
            if (rttSampleCount >= N_RTT_SAMPLE && currentRoundMinRttNs != NONE && lastRoundMinRttNs != NONE) {
                long thresholdNs = Math.max(MIN_RTT_THRESH_NS,
                        Math.min(lastRoundMinRttNs / MIN_RTT_DIVISOR, MAX_RTT_THRESH_NS));
                if (currentRoundMinRttNs >= lastRoundMinRttNs + thresholdNs) {
                    // §4.2: the delay rose: Conservative Slow Start.
                    cssBaselineMinRttNs = currentRoundMinRttNs;
                    inCss = true;
                    cssRounds = 0;
                }
            }
            return increase;
        }
        if (rttSampleCount >= N_RTT_SAMPLE && currentRoundMinRttNs < cssBaselineMinRttNs) {
            // §4.2: the rise was spurious: back to standard slow start.
            cssBaselineMinRttNs = NONE;
            inCss = false;
            return increase;
        }
        return increase / CSS_GROWTH_DIVISOR;
    }
}
