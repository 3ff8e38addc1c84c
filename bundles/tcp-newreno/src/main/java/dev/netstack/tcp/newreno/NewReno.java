package dev.netstack.tcp.newreno;

import dev.netstack.tcp.CongestionControl;

/**
 * NewReno congestion control for one connection: slow start and congestion avoidance with
 * appropriate byte counting, multiplicative decrease on loss, the loss window on timeout and the
 * restart window after idle.
 *
 * <p>Read first: RFC 5681 §3.1 (slow start, congestion avoidance, equations 1-4), §3.2 (fast
 * retransmit / fast recovery), §4.1 (restarting idle connections); RFC 3465 §2 (byte counting; the
 * limit L, 2·SMSS, but 1·SMSS in the slow start that follows a timeout); RFC 6582 §3.2 (NewReno recovery); RFC 6675 §5 (pipe); RFC 6928 §2 (initial window).
 *
 * <p>What the algorithm does and what the core does. The TCP core detects loss, runs recovery and
 * counts the pipe (RFC 6675 §4): during recovery it sends while {@code pipe < cwnd}. So the window
 * inflation of RFC 5681 §3.2 steps 4-5 and RFC 6582 §3.2 step 2 (cwnd = ssthresh + 3·SMSS, +SMSS per
 * duplicate ACK, deflation on partial ACKs) is not done here: the duplicate ACKs and partial ACKs
 * already lower the core's pipe, which is the same allowance without touching cwnd (RFC 6675 §5
 * step 4.2 sets cwnd = ssthresh). What is left to the algorithm:
 * <ul>
 *   <li>entering recovery: ssthresh = max(FlightSize/2, 2·SMSS) (RFC 5681 eq. 4), cwnd = ssthresh;
 *   <li>leaving recovery on a full ACK: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), the
 *       first option of RFC 6582 §3.2 step 3, which avoids a burst when little is in flight (the
 *       window then grows back to ssthresh by slow start);
 *   <li>on RTO: ssthresh by eq. 4 (only for the first timeout since data was last acknowledged, RFC
 *       5681 §3.1: "has not yet been resent by way of the retransmission timer"), cwnd = LW = 1·SMSS.
 * </ul>
 *
 * <p>Initial window. RFC 5681 eq. 1 allows 2 to 4 segments; this class uses RFC 6928's larger
 * IW = min(10·SMSS, max(2·SMSS, 14600)) bytes, which is what deployed stacks use (Linux since 2.6.39)
 * and which saves round trips for short transfers. It is also the restart window bound of §4.1.
 *
 * <p>Units: every window is in bytes ({@code long}); SMSS is the sender MSS in bytes. cwnd is kept
 * at or below {@link #MAX_WINDOW_BYTES} so that nothing overflows even when the core keeps
 * acknowledging without being window limited (this class does not do RFC 7661 window validation).
 *
 * <p>A change of SMSS (path MTU discovery) keeps cwnd and ssthresh in bytes, which keeps the rate in
 * bytes per RTT; cwnd is raised to at least one new SMSS and a finite ssthresh to at least two.
 *
 * <p>Confined to the connection's shard thread; allocates nothing after construction.
 */
public final class NewReno implements CongestionControl {

    /** The algorithm's name, the value of {@code tcp.cc}. */
    public static final String NAME = "newreno";

    /** RFC 3465 §2.3: the limit L on the slow start increase per ACK, in SMSS. */
    public static final int ABC_LIMIT_SEGMENTS = 2;

    /** RFC 3465 §2.3: L in the slow start that follows a retransmission timeout. */
    public static final int ABC_LIMIT_AFTER_TIMEOUT_SEGMENTS = 1;

    /** cwnd never grows past 2^31 - 1 bytes, twice the largest TCP window (RFC 7323 §2.3). */
    public static final long MAX_WINDOW_BYTES = Integer.MAX_VALUE;

    private int mssBytes;
    private long cwndBytes;
    private long ssthreshBytes = Long.MAX_VALUE;
    /** RFC 3465 §2.1 bytes_acked: bytes acknowledged in congestion avoidance not yet turned into cwnd. */
    private long bytesAckedBytes;
    private boolean inRecovery;
    /** An RTO fired and no ACK for new data has arrived since: a further RTO keeps ssthresh. */
    private boolean timedOutSinceAck;
    /** In the slow start that follows a timeout (until cwnd reaches ssthresh or a new loss). */
    private boolean slowStartAfterTimeout;

    /**
     * @param mssBytes the sender MSS (SMSS) in bytes, positive
     * @param nowNs the shard clock (unused: NewReno keeps no time)
     */
    public NewReno(int mssBytes, long nowNs) {
        if (mssBytes <= 0) {
            throw new IllegalArgumentException("MSS must be positive, got " + mssBytes);
        }
        reset(mssBytes);
    }

    /** Back to the state of a new connection (the factory recycles instances of ended connections). */
    void reset(int mssBytes) {
        this.mssBytes = mssBytes;
        this.cwndBytes = initialWindowBytes(mssBytes);
        this.ssthreshBytes = Long.MAX_VALUE;
        this.bytesAckedBytes = 0;
        this.inRecovery = false;
        this.timedOutSinceAck = false;
        this.slowStartAfterTimeout = false;
    }

    /** RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600)) bytes. */
    public static long initialWindowBytes(int mssBytes) {
        return Math.min(10L * mssBytes, Math.max(2L * mssBytes, 14_600L));
    }

    /**
     * RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2·SMSS).
     */
    static long halvedThreshold(long flightBytes, int mssBytes) {
        return Math.max(Math.max(flightBytes, 0) / 2, 2L * mssBytes);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public long cwndBytes() {
        return cwndBytes;
    }

    @Override
    public long ssthreshBytes() {
        return ssthreshBytes;
    }

    /** The sender MSS in bytes this instance works with. */
    public int mssBytes() {
        return mssBytes;
    }

    /** Whether the core has told us it is in fast recovery. */
    public boolean inRecovery() {
        return inRecovery;
    }

    @Override
    public void onAck(long ackedBytes, long rttNs, long bytesInFlight, long nowNs) {
        if (ackedBytes <= 0) {
            return;
        }
        timedOutSinceAck = false;
        inRecovery = false;
        long credit = ackedBytes;
        if (cwndBytes < ssthreshBytes) {
            // RFC 5681 §3.1 eq. 2 with RFC 3465 §2.3: cwnd += min(N, L·SMSS), L = 2 (1 after an RTO).
            int limitSegments = slowStartAfterTimeout ? ABC_LIMIT_AFTER_TIMEOUT_SEGMENTS : ABC_LIMIT_SEGMENTS;
            long increase = Math.min(ackedBytes, (long) limitSegments * mssBytes);
            long room = ssthreshBytes - cwndBytes;
            if (increase < room) {
                cwndBytes = Math.min(cwndBytes + increase, MAX_WINDOW_BYTES);
                return;
            }
            // Slow start stops at ssthresh; what is left of the increase counts for avoidance.
            cwndBytes = ssthreshBytes;
            slowStartAfterTimeout = false;
            credit = increase - room;
        }
        // RFC 5681 §3.1 congestion avoidance, counted in bytes as RFC 3465 §2.1: once a window's
        // worth of bytes has been acknowledged, cwnd grows by one SMSS.
        bytesAckedBytes += credit;
        if (bytesAckedBytes >= cwndBytes) {
            bytesAckedBytes -= cwndBytes;
            cwndBytes = Math.min(cwndBytes + mssBytes, MAX_WINDOW_BYTES);
        }
    }

    @Override
    public void onEnterRecovery(long bytesInFlight, long nowNs) {
        // RFC 5681 §3.2 step 2 (eq. 4); RFC 6675 §5 step 4.2: cwnd = ssthresh, pipe does the rest.
        ssthreshBytes = halvedThreshold(bytesInFlight, mssBytes);
        cwndBytes = ssthreshBytes;
        bytesAckedBytes = 0;
        inRecovery = true;
        slowStartAfterTimeout = false;
    }

    @Override
    public void onExitRecovery(long bytesInFlight, long nowNs) {
        // RFC 6582 §3.2 step 3, option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS).
        cwndBytes = Math.min(ssthreshBytes, Math.max(bytesInFlight, mssBytes) + mssBytes);
        bytesAckedBytes = 0;
        inRecovery = false;
    }

    @Override
    public void onRetransmissionTimeout(long bytesInFlight, long nowNs) {
        // RFC 5681 §3.1: eq. 4 only if the segment has not already been resent by the timer.
        if (!timedOutSinceAck) {
            ssthreshBytes = halvedThreshold(bytesInFlight, mssBytes);
        }
        cwndBytes = mssBytes; // loss window LW = 1 SMSS
        bytesAckedBytes = 0;
        inRecovery = false;
        timedOutSinceAck = true;
        slowStartAfterTimeout = true;
    }

    @Override
    public void onMssChanged(int mssBytes) {
        if (mssBytes <= 0 || mssBytes == this.mssBytes) {
            return;
        }
        this.mssBytes = mssBytes;
        cwndBytes = Math.max(cwndBytes, mssBytes);
        if (ssthreshBytes != Long.MAX_VALUE) {
            ssthreshBytes = Math.max(ssthreshBytes, 2L * mssBytes);
        }
    }

    @Override
    public void onIdleRestart(long nowNs) {
        // RFC 5681 §4.1: cwnd = RW = min(IW, cwnd).
        cwndBytes = Math.min(cwndBytes, initialWindowBytes(mssBytes));
        bytesAckedBytes = 0;
    }

    @Override
    public String toString() {
        return NAME + "[cwnd=" + cwndBytes + " ssthresh="
                + (ssthreshBytes == Long.MAX_VALUE ? "inf" : Long.toString(ssthreshBytes))
                + " mss=" + mssBytes + (inRecovery ? " recovery" : "") + "]";
    }
}
