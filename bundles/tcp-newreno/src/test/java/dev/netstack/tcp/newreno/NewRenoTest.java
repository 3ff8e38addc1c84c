package dev.netstack.tcp.newreno;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** NewReno window arithmetic, clause by clause (RFC 5681, RFC 3465, RFC 6582, RFC 6928). */
class NewRenoTest {

    private static final int MSS = 1460;
    private static final long RTT_NS = 20_000_000L;

    /**
     * Acknowledges one round trip's worth of data: the window at the start of the round, in ACKs of
     * {@code ackBytes} each (2·SMSS models delayed ACKs). Returns the time after the round.
     */
    static long ackRound(NewReno cc, long ackBytes, long nowNs) {
        long window = cc.cwndBytes();
        long flight = window;
        while (flight > 0) {
            long acked = Math.min(ackBytes, flight);
            cc.onAck(acked, RTT_NS, flight, nowNs);
            flight -= acked;
        }
        return nowNs + RTT_NS;
    }

    /** Drives the connection into congestion avoidance at {@code ssthreshSegments}. */
    static NewReno inCongestionAvoidance(int ssthreshSegments) {
        NewReno cc = new NewReno(MSS, 0);
        cc.onEnterRecovery(2L * ssthreshSegments * MSS, 0);
        cc.onExitRecovery(2L * ssthreshSegments * MSS, 0);
        assertEquals((long) ssthreshSegments * MSS, cc.cwndBytes());
        assertEquals(cc.ssthreshBytes(), cc.cwndBytes());
        return cc;
    }

    @Test
    void initialWindowFollowsRfc6928() {
        // RFC 6928 §2: min(10·MSS, max(2·MSS, 14600)).
        assertEquals(14_600, NewReno.initialWindowBytes(1460));
        assertEquals(5_360, NewReno.initialWindowBytes(536)); // 10·MSS is the smaller
        assertEquals(18_000, NewReno.initialWindowBytes(9000)); // 2·MSS is the larger
        assertEquals(14_600, NewReno.initialWindowBytes(4000)); // 14600 between the two
        assertEquals(14_600, new NewReno(MSS, 0).cwndBytes());
    }

    @Test
    void ssthreshIsUnboundedUntilTheFirstLoss() {
        NewReno cc = new NewReno(MSS, 0);
        assertEquals(Long.MAX_VALUE, cc.ssthreshBytes());
        assertEquals("newreno", cc.name());
    }

    @Test
    void slowStartDoublesTheWindowEveryRoundTrip() {
        // RFC 5681 §3.1: cwnd += SMSS per ACK of a full segment, so it doubles per RTT.
        NewReno cc = new NewReno(MSS, 0);
        long now = 0;
        for (int round = 1; round <= 6; round++) {
            long before = cc.cwndBytes();
            now = ackRound(cc, MSS, now);
            assertEquals(2 * before, cc.cwndBytes(), "round " + round);
        }
        assertEquals(14_600L << 6, cc.cwndBytes());
    }

    @Test
    void slowStartStillDoublesWithDelayedAcksThanksToByteCounting() {
        // RFC 3465 §2.3: with L = 2·SMSS an ACK for two segments opens two segments.
        NewReno cc = new NewReno(MSS, 0);
        long now = 0;
        for (int round = 1; round <= 4; round++) {
            long before = cc.cwndBytes();
            now = ackRound(cc, 2L * MSS, now);
            assertEquals(2 * before, cc.cwndBytes(), "round " + round);
        }
    }

    @Test
    void slowStartIncreasePerAckIsLimitedToTwoSegments() {
        // RFC 3465 §2.3: cwnd += min(N, L·SMSS) with L = 2.
        NewReno cc = new NewReno(MSS, 0);
        long before = cc.cwndBytes();
        cc.onAck(5L * MSS, RTT_NS, before, 0);
        assertEquals(before + 2L * MSS, cc.cwndBytes());
        cc.onAck(700, RTT_NS, before, 0); // a partial segment counts by its bytes
        assertEquals(before + 2L * MSS + 700, cc.cwndBytes());
    }

    @Test
    void slowStartAfterATimeoutCountsAtMostOneSegmentPerAck() {
        // RFC 3465 §2.3: L = 1·SMSS in the slow start that follows an RTO; 2·SMSS again later.
        NewReno cc = new NewReno(MSS, 0);
        cc.onRetransmissionTimeout(40L * MSS, 0);
        cc.onAck(2L * MSS, RTT_NS, MSS, RTT_NS);
        assertEquals(2L * MSS, cc.cwndBytes());
        long now = RTT_NS;
        while (cc.cwndBytes() < cc.ssthreshBytes()) {
            now = ackRound(cc, MSS, now);
        }
        cc.onEnterRecovery(40L * MSS, now);
        cc.onExitRecovery(2L * MSS, now); // cwnd 3 MSS, ssthresh 20 MSS: slow start, not after an RTO
        cc.onAck(2L * MSS, RTT_NS, 3L * MSS, now);
        assertEquals(5L * MSS, cc.cwndBytes());
    }

    @Test
    void slowStartStopsAtSsthreshAndHandsTheRestToCongestionAvoidance() {
        NewReno cc = new NewReno(MSS, 0);
        cc.onRetransmissionTimeout(40L * MSS, 0); // ssthresh 20 MSS, cwnd 1 MSS
        assertEquals(20L * MSS, cc.ssthreshBytes());
        long now = 0;
        int rounds = 0;
        while (cc.cwndBytes() < cc.ssthreshBytes()) {
            now = ackRound(cc, MSS, now);
            rounds++;
        }
        // 1 → 2 → 4 → 8 → 16 → 20 (capped): five round trips.
        assertEquals(5, rounds);
        assertEquals(20L * MSS, cc.cwndBytes());
        ackRound(cc, MSS, now);
        assertEquals(21L * MSS, cc.cwndBytes());
    }

    @Test
    void congestionAvoidanceGrowsOneSegmentPerRoundTrip() {
        // RFC 5681 §3.1 / RFC 3465 §2.1: one SMSS per window of acknowledged bytes.
        NewReno cc = inCongestionAvoidance(50);
        long now = 0;
        for (int round = 1; round <= 20; round++) {
            now = ackRound(cc, MSS, now);
            assertEquals((50L + round) * MSS, cc.cwndBytes(), "round " + round);
        }
    }

    @Test
    void congestionAvoidanceGrowsOneSegmentPerRoundTripWithDelayedAcks() {
        NewReno cc = inCongestionAvoidance(40);
        long now = 0;
        for (int round = 1; round <= 10; round++) {
            now = ackRound(cc, 2L * MSS, now);
        }
        assertEquals(50L * MSS, cc.cwndBytes());
    }

    @Test
    void congestionAvoidanceCarriesPartialWindowsAcrossRounds() {
        NewReno cc = inCongestionAvoidance(10);
        long window = cc.cwndBytes();
        cc.onAck(window - 1, RTT_NS, window, 0);
        assertEquals(window, cc.cwndBytes());
        cc.onAck(1, RTT_NS, 1, 0);
        assertEquals(window + MSS, cc.cwndBytes());
    }

    @Test
    void enteringRecoveryHalvesFlightSize() {
        // RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2·SMSS); RFC 6675 §5: cwnd = ssthresh.
        NewReno cc = new NewReno(MSS, 0);
        ackRound(cc, MSS, 0);
        ackRound(cc, MSS, RTT_NS); // cwnd 40 MSS
        cc.onEnterRecovery(30L * MSS, 2 * RTT_NS); // FlightSize, not cwnd, is halved
        assertTrue(cc.inRecovery());
        assertEquals(15L * MSS, cc.ssthreshBytes());
        assertEquals(15L * MSS, cc.cwndBytes());
    }

    @Test
    void recoveryThresholdIsNeverBelowTwoSegments() {
        NewReno cc = new NewReno(MSS, 0);
        cc.onEnterRecovery(MSS, 0);
        assertEquals(2L * MSS, cc.ssthreshBytes());
        assertEquals(2L * MSS, cc.cwndBytes());
    }

    @Test
    void leavingRecoveryWithLittleInFlightAvoidsABurst() {
        // RFC 6582 §3.2 step 3 option 1: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        NewReno cc = new NewReno(MSS, 0);
        cc.onEnterRecovery(60L * MSS, 0);
        cc.onExitRecovery(4L * MSS, RTT_NS);
        assertFalse(cc.inRecovery());
        assertEquals(30L * MSS, cc.ssthreshBytes());
        assertEquals(5L * MSS, cc.cwndBytes());
        // then slow start back to ssthresh
        long now = 2 * RTT_NS;
        while (cc.cwndBytes() < cc.ssthreshBytes()) {
            now = ackRound(cc, MSS, now);
        }
        assertEquals(30L * MSS, cc.cwndBytes());
    }

    @Test
    void leavingRecoveryWithAFullPipeResumesAtSsthresh() {
        NewReno cc = new NewReno(MSS, 0);
        cc.onEnterRecovery(60L * MSS, 0);
        cc.onExitRecovery(30L * MSS, RTT_NS);
        assertEquals(30L * MSS, cc.cwndBytes());
        cc.onExitRecovery(0, RTT_NS); // nothing in flight: max(FlightSize, SMSS) + SMSS
        assertEquals(2L * MSS, cc.cwndBytes());
    }

    @Test
    void retransmissionTimeoutCollapsesToOneSegment() {
        // RFC 5681 §3.1: ssthresh by eq. 4, cwnd = LW = 1 SMSS.
        NewReno cc = new NewReno(MSS, 0);
        ackRound(cc, MSS, 0);
        cc.onRetransmissionTimeout(20L * MSS, RTT_NS);
        assertEquals(MSS, cc.cwndBytes());
        assertEquals(10L * MSS, cc.ssthreshBytes());
    }

    @Test
    void repeatedTimeoutsOfTheSameDataKeepSsthresh() {
        // RFC 5681 §3.1: eq. 4 applies when the segment "has not yet been resent by way of the
        // retransmission timer"; backed-off timeouts leave ssthresh alone.
        NewReno cc = new NewReno(MSS, 0);
        cc.onRetransmissionTimeout(40L * MSS, 0);
        cc.onRetransmissionTimeout(MSS, 1_000_000_000L);
        assertEquals(20L * MSS, cc.ssthreshBytes());
        assertEquals(MSS, cc.cwndBytes());
        cc.onAck(MSS, -1, MSS, 2_000_000_000L);
        cc.onRetransmissionTimeout(8L * MSS, 3_000_000_000L);
        assertEquals(4L * MSS, cc.ssthreshBytes());
    }

    @Test
    void timeoutDuringRecoveryEndsRecovery() {
        NewReno cc = new NewReno(MSS, 0);
        cc.onEnterRecovery(40L * MSS, 0);
        cc.onRetransmissionTimeout(20L * MSS, RTT_NS);
        assertFalse(cc.inRecovery());
        assertEquals(MSS, cc.cwndBytes());
        assertEquals(10L * MSS, cc.ssthreshBytes());
    }

    @Test
    void idleRestartLimitsTheWindowToTheInitialWindow() {
        // RFC 5681 §4.1: cwnd = RW = min(IW, cwnd).
        NewReno cc = new NewReno(MSS, 0);
        ackRound(cc, MSS, 0);
        ackRound(cc, MSS, RTT_NS);
        assertEquals(40L * MSS, cc.cwndBytes());
        cc.onIdleRestart(5_000_000_000L);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(Long.MAX_VALUE, cc.ssthreshBytes());

        cc.onRetransmissionTimeout(20L * MSS, 6_000_000_000L); // cwnd 1 MSS, below IW
        cc.onIdleRestart(9_000_000_000L);
        assertEquals(MSS, cc.cwndBytes());
    }

    @Test
    void mssChangeKeepsTheByteWindowAndGrowsByTheNewSegmentSize() {
        NewReno cc = inCongestionAvoidance(20);
        long window = cc.cwndBytes();
        cc.onMssChanged(1200);
        assertEquals(1200, cc.mssBytes());
        assertEquals(window, cc.cwndBytes());
        ackRound(cc, 1200, 0);
        assertEquals(window + 1200, cc.cwndBytes());
        // slow start after a timeout now uses the new SMSS as its loss window
        cc.onRetransmissionTimeout(window, RTT_NS);
        assertEquals(1200, cc.cwndBytes());
    }

    @Test
    void mssIncreaseRaisesTheFloors() {
        NewReno cc = new NewReno(536, 0);
        cc.onEnterRecovery(536, 0); // ssthresh = cwnd = 2·536
        cc.onRetransmissionTimeout(0, 0); // cwnd 536
        cc.onMssChanged(1460);
        assertEquals(1460, cc.cwndBytes());
        assertEquals(2 * 1460, cc.ssthreshBytes());
    }

    @Test
    void acksForNoNewDataChangeNothing() {
        NewReno cc = new NewReno(MSS, 0);
        cc.onAck(0, RTT_NS, 10_000, 0);
        cc.onAck(-5, RTT_NS, 10_000, 0);
        assertEquals(14_600, cc.cwndBytes());
    }

    @Test
    void windowStopsAtTheCeiling() {
        NewReno cc = new NewReno(MSS, 0);
        for (int i = 0; i < 1_000_000 && cc.cwndBytes() < NewReno.MAX_WINDOW_BYTES; i++) {
            cc.onAck(2L * MSS, RTT_NS, cc.cwndBytes(), 0);
        }
        assertEquals(NewReno.MAX_WINDOW_BYTES, cc.cwndBytes());
        cc.onAck(2L * MSS, RTT_NS, cc.cwndBytes(), 0);
        assertEquals(NewReno.MAX_WINDOW_BYTES, cc.cwndBytes());
    }

    @Test
    void rejectsANonPositiveMss() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new NewReno(0, 0));
    }
}
