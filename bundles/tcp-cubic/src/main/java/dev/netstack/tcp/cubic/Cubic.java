package dev.netstack.tcp.cubic;

import dev.netstack.tcp.CongestionControl;

/**
 * CUBIC congestion control for one connection (RFC 9438).
 *
 * <p>Read first: RFC 9438 §4.1 (definitions), §4.2 (the window increase function
 * W_cubic(t) = C·(t−K)³ + W_max and the target), §4.3 (Reno-friendly region, W_est), §4.4/§4.5
 * (concave and convex regions), §4.6 (multiplicative decrease), §4.7 (fast convergence), §4.8
 * (timeout), §4.10 (slow start), §5.8 (application-limited flows). Slow start, the initial window
 * and the restart window are those of RFC 5681 / RFC 3465 / RFC 6928, as in NewReno.
 *
 * <pre>
 *  cwnd
 *   │            concave        │       convex
 *   │                      .....│.....                  W_cubic(t) = C·(t−K)³ + W_max
 *  W_max ─ ─ ─ ─ ─ ─ ─ .··      │      ··.
 *   │              .·           │         ·.
 *   │           .·              │           ·
 *  β·W_max ─ ─ ·                │
 *   │          │← epoch start   │← t = K
 *   └──────────┴────────────────┴──────────────── t
 * </pre>
 *
 * <p>What is done here and what is left to the core: the core detects loss and runs recovery (RFC
 * 6675 pipe against {@link #cwndBytes()}); this class only moves cwnd and ssthresh. Entering
 * recovery applies §4.7 then §4.6; leaving it sets cwnd = min(ssthresh, max(FlightSize, SMSS) +
 * SMSS) (RFC 6582 §3.2 step 3, to avoid a burst); the congestion avoidance epoch starts with the
 * first ACK in congestion avoidance after that.
 *
 * <p>Slow start (§4.10) is RFC 5681's with byte counting L = 2·SMSS, 1·SMSS after a timeout
 * (RFC 3465 §2.3); the initial slow
 * start runs HyStart++ (RFC 9406, {@link HyStartPlusPlus}) unless turned off, and when it leaves
 * slow start without a loss, W_max is undefined: the stage starts with K = 0 and W_max = cwnd
 * (§4.10).
 *
 * <p>Left out: undo after spurious congestion events (§4.9: the SPI has no "that loss was
 * spurious" call, so no prior_* state is kept); ECN's cwnd floor of one segment (§4.6: the SPI
 * does not tell ECE from loss); RFC 7661 window validation (the SPI does not say whether the
 * sender was cwnd limited, so application-limited periods inside a stage still count in t; idle
 * periods end the stage, see {@link #onIdleRestart}).
 *
 * <p>Units and arithmetic. The RFC works in segments and seconds (§4.1.1); this class keeps every
 * window in bytes and scales by SMSS where the RFC's constants need segments: C is 0.4
 * segments/s³, so in bytes W_cubic(t) = C·SMSS·(t−K)³ + W_max, and K = ∛((W_max − cwnd_epoch)
 * / SMSS / C) seconds. Time comes in as {@code nowNs}; only differences ({@code nowNs −
 * epochStartNs}, a {@code long}) are converted to seconds as {@code double}, never an absolute
 * clock reading (which would lose precision beyond 2^53 ns). The cube root is
 * {@link StrictMath#cbrt}, so a simulation replays bit for bit on any JVM. cwnd stays a
 * {@code long} of whole bytes: fractional growth is carried to the next ACK, not dropped. The target
 * is clamped to [cwnd, 1.5·cwnd] before it is used (§4.2), so the cube of a large t cannot reach
 * cwnd; every double → long conversion is of a value already bounded by
 * {@link #MAX_WINDOW_BYTES}. No NaN can arise: SMSS &gt; 0, cwnd ≥ SMSS, and cbrt takes negative
 * arguments.
 *
 * <p>RTT: §4.2's target uses the smoothed RTT. The SPI passes RTT samples, so this class smooths
 * them itself with RFC 6298 §2.3's gain of 1/8; before the first sample the target is W_cubic(t).
 *
 * <p>A change of SMSS keeps cwnd, ssthresh, W_max and W_est in bytes and ends the current epoch,
 * so the next ACK starts a new one with K computed for the new SMSS.
 *
 * <p>Confined to the connection's shard thread; allocates nothing after construction.
 */
public final class Cubic implements CongestionControl {

    /** The algorithm's name, the value of {@code tcp.cc}. */
    public static final String NAME = "cubic";

    /** RFC 9438 §5.1: C = 0.4, in segments per second cubed. */
    public static final double C = 0.4;

    /** RFC 9438 §4.6: β_cubic = 0.7. */
    public static final double BETA = 0.7;

    /** RFC 9438 §4.3: α_cubic = 3·(1 − β)/(1 + β) ≈ 0.529, Reno's average window at β = 0.7. */
    public static final double ALPHA = 3.0 * (1.0 - BETA) / (1.0 + BETA);

    /** RFC 3465 §2.3: the limit L on the slow start increase per ACK, in SMSS. */
    public static final int ABC_LIMIT_SEGMENTS = 2;

    /** RFC 3465 §2.3: L in the slow start that follows a retransmission timeout. */
    public static final int ABC_LIMIT_AFTER_TIMEOUT_SEGMENTS = 1;

    /** cwnd never grows past 2^31 − 1 bytes, twice the largest TCP window (RFC 7323 §2.3). */
    public static final long MAX_WINDOW_BYTES = Integer.MAX_VALUE;

    private static final double NANOS_PER_SECOND = 1e9;

    private final boolean fastConvergence;
    private final boolean hystartEnabled;
    private final HyStartPlusPlus hystart = new HyStartPlusPlus();
    private int mssBytes;
    private long cwndBytes;
    private long ssthreshBytes = Long.MAX_VALUE;

    // RFC 9438 §4.1.2 state, in bytes and seconds.
    /** W_max·SMSS: the window just before the last reduction (0 until the first one). */
    private double wMaxBytes;
    /** cwnd_prior·SMSS: cwnd when ssthresh was last set (§4.3's switch of α to 1). */
    private double cwndPriorBytes;
    /** W_est·SMSS: the window Reno would have in this stage (§4.3). */
    private double wEstBytes;
    /** K in seconds (§4.2 eq. 2). */
    private double kSeconds;
    /** epoch_start: when the current congestion avoidance stage began. */
    private long epochStartNs;
    private boolean inEpoch;
    /** The next stage starts with K = 0 and W_max = cwnd_epoch (§4.8 after a timeout). */
    private boolean flatStart;
    /** Concave/convex growth below one byte, carried to the next ACK. */
    private double growthCarryBytes;

    /** RFC 6298 smoothed RTT of the samples seen, or -1 before the first. */
    private long srttNs = -1;
    private boolean inRecovery;
    /** An RTO fired and no ACK for new data has arrived since: a further RTO keeps ssthresh. */
    private boolean timedOutSinceAck;
    /** In the slow start that follows a timeout (until cwnd reaches ssthresh or a new loss). */
    private boolean slowStartAfterTimeout;

    /** CUBIC with fast convergence (§4.7 SHOULD) and HyStart++ in the initial slow start. */
    public Cubic(int mssBytes, long nowNs) {
        this(mssBytes, nowNs, true, true);
    }

    /**
     * @param mssBytes the sender MSS (SMSS) in bytes, positive
     * @param nowNs the shard clock (CUBIC's clock starts with the first congestion avoidance stage)
     * @param fastConvergence §4.7; the RFC advises turning it off where a single flow owns the path
     * @param hystart RFC 9406 HyStart++ in the initial slow start; off gives RFC 5681 slow start
     */
    public Cubic(int mssBytes, long nowNs, boolean fastConvergence, boolean hystart) {
        if (mssBytes <= 0) {
            throw new IllegalArgumentException("MSS must be positive, got " + mssBytes);
        }
        this.fastConvergence = fastConvergence;
        this.hystartEnabled = hystart;
        reset(mssBytes);
    }

    /**
     * Back to the state of a new connection, with the same fast convergence and HyStart++ choice
     * (the factory recycles instances of ended connections).
     */
    void reset(int mssBytes) {
        this.mssBytes = mssBytes;
        this.cwndBytes = initialWindowBytes(mssBytes);
        this.ssthreshBytes = Long.MAX_VALUE;
        this.wMaxBytes = 0;
        this.cwndPriorBytes = 0;
        this.wEstBytes = 0;
        this.kSeconds = 0;
        this.epochStartNs = 0;
        this.inEpoch = false;
        this.flatStart = false;
        this.growthCarryBytes = 0;
        this.srttNs = -1;
        this.inRecovery = false;
        this.timedOutSinceAck = false;
        this.slowStartAfterTimeout = false;
        hystart.reset();
        if (!hystartEnabled) {
            hystart.stop();
        }
    }

    /** Whether this instance has the configuration {@link CubicFactory} creates. */
    boolean hasDefaultConfiguration() {
        return fastConvergence && hystartEnabled;
    }

    /** RFC 6928 §2: IW = min(10·MSS, max(2·MSS, 14600)) bytes (see NewReno for the choice). */
    public static long initialWindowBytes(int mssBytes) {
        return Math.min(10L * mssBytes, Math.max(2L * mssBytes, 14_600L));
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

    /** W_max in bytes (0 before the first congestion event). */
    public double wMaxBytes() {
        return wMaxBytes;
    }

    /** K of the current congestion avoidance stage, in seconds. */
    public double kSeconds() {
        return kSeconds;
    }

    /** W_est in bytes, the Reno-friendly estimate of the current stage. */
    public double wEstBytes() {
        return wEstBytes;
    }

    /** The smoothed RTT used for the target, or -1 before the first sample. */
    public long srttNs() {
        return srttNs;
    }

    /** Whether HyStart++ has the initial slow start in Conservative Slow Start (RFC 9406 §4.2). */
    public boolean inConservativeSlowStart() {
        return hystart.inConservativeSlowStart();
    }

    /** Whether the core has told us it is in fast recovery. */
    public boolean inRecovery() {
        return inRecovery;
    }

    /** W_cubic(t) of the current stage in bytes, t in seconds since its start (§4.2 eq. 1). */
    public double wCubicBytes(double tSeconds) {
        double d = tSeconds - kSeconds;
        return C * mssBytes * d * d * d + wMaxBytes;
    }

    @Override
    public void onAck(long ackedBytes, long rttNs, long bytesInFlight, long nowNs) {
        if (ackedBytes <= 0) {
            return;
        }
        if (rttNs > 0) {
            // RFC 6298 §2.2, §2.3: SRTT = R, then SRTT += (R − SRTT)/8.
            srttNs = srttNs < 0 ? rttNs : srttNs + (rttNs - srttNs) / 8;
        }
        timedOutSinceAck = false;
        inRecovery = false;
        long credit = ackedBytes;
        if (cwndBytes < ssthreshBytes) {
            // §4.10 with RFC 5681 §3.1 eq. 2 and RFC 3465 §2.3: cwnd += min(N, 2·SMSS), a quarter
            // of that in HyStart++'s Conservative Slow Start.
            long increase;
            if (hystart.active()) {
                increase = hystart.onAck(ackedBytes, rttNs, bytesInFlight, mssBytes);
                if (increase < 0) {
                    // RFC 9406 §4.2: CSS_ROUNDS done: ssthresh = cwnd, congestion avoidance.
                    ssthreshBytes = cwndBytes;
                    congestionAvoidance(ackedBytes, nowNs);
                    return;
                }
            } else {
                int limitSegments = slowStartAfterTimeout ? ABC_LIMIT_AFTER_TIMEOUT_SEGMENTS : ABC_LIMIT_SEGMENTS;
                increase = Math.min(ackedBytes, (long) limitSegments * mssBytes);
            }
            long room = ssthreshBytes - cwndBytes;
            if (increase < room) {
                cwndBytes = Math.min(cwndBytes + increase, MAX_WINDOW_BYTES);
                return;
            }
            cwndBytes = ssthreshBytes;
            slowStartAfterTimeout = false;
            credit = increase - room;
        }
        congestionAvoidance(credit, nowNs);
    }

    private void congestionAvoidance(long ackedBytes, long nowNs) {
        if (!inEpoch) {
            startEpoch(nowNs);
        }
        long elapsedNs = Math.max(nowNs - epochStartNs, 0);
        double tSeconds = elapsedNs / NANOS_PER_SECOND;
        double cwnd = cwndBytes;

        // §4.3 eq. 4 in bytes: W_est += α·segments_acked/cwnd segments = α·acked·SMSS/cwnd bytes;
        // α becomes 1 once W_est has reached cwnd_prior.
        double alpha = wEstBytes >= cwndPriorBytes ? 1.0 : ALPHA;
        wEstBytes += alpha * ackedBytes * mssBytes / cwnd;

        if (wCubicBytes(tSeconds) < wEstBytes) {
            // §4.3: Reno-friendly region, cwnd = W_est (never lowered by this rule).
            long estimate = (long) Math.min(wEstBytes, MAX_WINDOW_BYTES);
            cwndBytes = Math.max(cwndBytes, estimate);
            growthCarryBytes = 0;
            return;
        }
        // §4.2: target = W_cubic(t + RTT) bounded to [cwnd, 1.5·cwnd].
        double rttSeconds = srttNs > 0 ? srttNs / NANOS_PER_SECOND : 0.0;
        double target = Math.min(Math.max(wCubicBytes(tSeconds + rttSeconds), cwnd), 1.5 * cwnd);
        // §4.4 concave (cwnd < W_max) and §4.5 convex (cwnd ≥ W_max) alike: cwnd grows by
        // (target − cwnd)/cwnd segments per segment acknowledged = (target − cwnd)·acked/cwnd bytes.
        double growth = (target - cwnd) * ackedBytes / cwnd + growthCarryBytes;
        long whole = (long) growth;
        growthCarryBytes = growth - whole;
        cwndBytes = Math.min(cwndBytes + whole, MAX_WINDOW_BYTES);
    }

    private void startEpoch(long nowNs) {
        inEpoch = true;
        epochStartNs = nowNs;
        growthCarryBytes = 0;
        double cwndEpoch = cwndBytes;
        if (flatStart || wMaxBytes <= cwndEpoch) {
            // §4.8 (first stage after a timeout) and §4.2's special case cwnd_epoch ≥ W_max: K = 0
            // and W_max = cwnd_epoch, so growth is convex from here (with W_max kept below
            // cwnd_epoch the curve would stall under cwnd for a while).
            kSeconds = 0;
            wMaxBytes = cwndEpoch;
            flatStart = false;
        } else {
            // §4.2 eq. 2: K = ∛((W_max − cwnd_epoch)/C), windows in segments.
            kSeconds = StrictMath.cbrt((wMaxBytes - cwndEpoch) / mssBytes / C);
        }
        wEstBytes = cwndEpoch; // §4.3, §4.8: W_est starts at cwnd_epoch
    }

    /** §4.6: ssthresh = max(FlightSize·β, 2·SMSS). */
    private long reducedThreshold(long flightBytes) {
        long reduced = (long) (Math.min(Math.max(flightBytes, 0), MAX_WINDOW_BYTES) * BETA);
        return Math.max(reduced, 2L * mssBytes);
    }

    @Override
    public void onEnterRecovery(long bytesInFlight, long nowNs) {
        double cwnd = cwndBytes;
        // §4.7 fast convergence, before the reduction: a flow losing below its last W_max
        // releases more by remembering only (1 + β)/2 of the current window.
        wMaxBytes = fastConvergence && cwnd < wMaxBytes ? cwnd * (1.0 + BETA) / 2.0 : cwnd;
        // §4.6: cwnd_prior = cwnd; ssthresh = max(flight_size·β, 2); cwnd = ssthresh.
        cwndPriorBytes = cwnd;
        hystart.stop(); // RFC 9406 §4.2: a loss ends slow start and HyStart++
        ssthreshBytes = reducedThreshold(bytesInFlight);
        cwndBytes = ssthreshBytes;
        inEpoch = false;
        flatStart = false;
        growthCarryBytes = 0;
        inRecovery = true;
        slowStartAfterTimeout = false;
    }

    @Override
    public void onExitRecovery(long bytesInFlight, long nowNs) {
        // RFC 6582 §3.2 step 3, option 1: min(ssthresh, max(FlightSize, SMSS) + SMSS).
        cwndBytes = Math.min(ssthreshBytes, Math.max(bytesInFlight, mssBytes) + mssBytes);
        inEpoch = false;
        inRecovery = false;
    }

    @Override
    public void onRetransmissionTimeout(long bytesInFlight, long nowNs) {
        // §4.8: cwnd as Reno (RFC 5681 §3.1: LW = 1 SMSS), ssthresh as §4.6, only for the first
        // timeout of the data (RFC 5681 §3.1).
        if (!timedOutSinceAck) {
            cwndPriorBytes = cwndBytes;
            ssthreshBytes = reducedThreshold(bytesInFlight);
        }
        cwndBytes = mssBytes;
        hystart.stop(); // RFC 9406 §4.2: only the initial slow start
        inEpoch = false;
        flatStart = true;
        growthCarryBytes = 0;
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
        inEpoch = false; // K depends on SMSS: the next ACK starts a new stage
    }

    @Override
    public void onIdleRestart(long nowNs) {
        // RFC 5681 §4.1: cwnd = min(IW, cwnd). §5.8 / §4.2: t must not include the idle period,
        // so the stage ends; the next one starts from the restart window.
        cwndBytes = Math.min(cwndBytes, initialWindowBytes(mssBytes));
        inEpoch = false;
        growthCarryBytes = 0;
    }

    @Override
    public String toString() {
        return NAME + "[cwnd=" + cwndBytes + " ssthresh="
                + (ssthreshBytes == Long.MAX_VALUE ? "inf" : Long.toString(ssthreshBytes))
                + " wmax=" + (long) wMaxBytes + " k=" + kSeconds + "s mss=" + mssBytes
                + (inRecovery ? " recovery" : "") + "]";
    }
}
