package dev.netstack.tcp.internal;

import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;

/**
 * RFC 5681 slow start and congestion avoidance, the arithmetic only (recovery itself is the core's):
 * the algorithm used when no congestion control bundle is installed, so the core always works.
 * Initial window per RFC 6928 §2; byte counting (RFC 3465, L = 2 SMSS) in slow start.
 */
final class BuiltinReno implements CongestionControl {

    static final String NAME = "reno";

    static final CongestionControlFactory FACTORY = new CongestionControlFactory() {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public CongestionControl create(int mssBytes, long nowNs) {
            return new BuiltinReno(mssBytes);
        }

        @Override
        public CongestionControl recycle(CongestionControl previous, int mssBytes, long nowNs) {
            if (previous instanceof BuiltinReno reno) {
                reno.reset(mssBytes);
                return reno;
            }
            return create(mssBytes, nowNs);
        }
    };

    private int mss;
    private long cwnd;
    private long ssthresh = Long.MAX_VALUE;
    private long ackedInAvoidance;

    BuiltinReno(int mss) {
        reset(mss);
    }

    /** The state of a new connection. */
    void reset(int mss) {
        this.mss = mss;
        this.cwnd = Math.min(10L * mss, Math.max(2L * mss, 14_600)); // RFC 6928 §2
        this.ssthresh = Long.MAX_VALUE;
        this.ackedInAvoidance = 0;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public long cwndBytes() {
        return cwnd;
    }

    @Override
    public long ssthreshBytes() {
        return ssthresh;
    }

    @Override
    public void onAck(long ackedBytes, long rttNs, long bytesInFlight, long nowNs) {
        if (cwnd < ssthresh) {
            cwnd += Math.min(ackedBytes, 2L * mss); // RFC 5681 §3.1 eq. 2 with RFC 3465 L = 2
        } else {
            ackedInAvoidance += ackedBytes; // RFC 5681 §3.1 eq. 3 by byte counting
            if (ackedInAvoidance >= cwnd) {
                ackedInAvoidance -= cwnd;
                cwnd += mss;
            }
        }
    }

    @Override
    public void onEnterRecovery(long bytesInFlight, long nowNs) {
        ssthresh = Math.max(bytesInFlight / 2, 2L * mss); // RFC 5681 §3.2 eq. 4
        cwnd = ssthresh;
    }

    @Override
    public void onExitRecovery(long bytesInFlight, long nowNs) {
        cwnd = ssthresh; // RFC 6582 §3.2 step 3, "full acknowledgment" option 1 simplified
        ackedInAvoidance = 0;
    }

    @Override
    public void onRetransmissionTimeout(long bytesInFlight, long nowNs) {
        ssthresh = Math.max(bytesInFlight / 2, 2L * mss);
        cwnd = mss; // RFC 5681 §3.1: loss window = 1 SMSS
        ackedInAvoidance = 0;
    }

    @Override
    public void onMssChanged(int mssBytes) {
        mss = mssBytes;
    }
}
