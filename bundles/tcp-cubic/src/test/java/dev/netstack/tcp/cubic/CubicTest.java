package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * CUBIC against RFC 9438, clause by clause. Expected values are computed here from the RFC's
 * formulas in segments and seconds, independently of the class's byte arithmetic.
 */
class CubicTest {

    private static final int MSS = 1460;
    private static final double C = 0.4;
    private static final double BETA = 0.7;
    private static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    /**
     * One round trip: the window at its start acknowledged in ACKs of {@code ackBytes}, spread
     * evenly over the RTT, each carrying an RTT sample. Returns the time at the end of the round.
     */
    static long ackRound(Cubic cc, long ackBytes, long rttNs, long startNs) {
        long window = cc.cwndBytes();
        long acks = (window + ackBytes - 1) / ackBytes;
        long flight = window;
        for (long i = 0; i < acks; i++) {
            long acked = Math.min(ackBytes, flight);
            cc.onAck(acked, rttNs, flight, startNs + i * rttNs / acks);
            flight -= acked;
        }
        return startNs + rttNs;
    }

    /** A connection that lost at {@code segments} of cwnd (flight = cwnd) and has recovered. */
    static Cubic afterLossAt(long segments, long rttNs, boolean fastConvergence) {
        Cubic cc = new Cubic(MSS, 0, fastConvergence, true);
        long now = 0;
        while (cc.cwndBytes() < segments * MSS) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        assertEquals(segments * MSS, cc.cwndBytes(), "set-up: choose IW·2^n segments");
        cc.onEnterRecovery(cc.cwndBytes(), now);
        cc.onExitRecovery(cc.ssthreshBytes(), now + rttNs);
        return cc;
    }

    @Test
    void startsWithTheRfc6928WindowAndNoThreshold() {
        Cubic cc = new Cubic(MSS, 0);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(Long.MAX_VALUE, cc.ssthreshBytes());
        assertEquals("cubic", cc.name());
        assertEquals(5_360, Cubic.initialWindowBytes(536));
    }

    @Test
    void slowStartDoublesTheWindowEveryRoundTrip() {
        // RFC 9438 §4.10: Reno's slow start (RFC 5681 §3.1).
        Cubic cc = new Cubic(MSS, 0);
        long now = 0;
        for (int round = 1; round <= 5; round++) {
            long before = cc.cwndBytes();
            now = ackRound(cc, MSS, 50_000_000L, now);
            assertEquals(2 * before, cc.cwndBytes(), "round " + round);
        }
    }

    @Test
    void slowStartIncreasePerAckIsLimitedToTwoSegments() {
        // RFC 3465 §2.3, L = 2·SMSS.
        Cubic cc = new Cubic(MSS, 0);
        cc.onAck(6L * MSS, 1_000_000L, 14_600, 0);
        assertEquals(14_600 + 2L * MSS, cc.cwndBytes());
    }

    @Test
    void slowStartAfterATimeoutCountsAtMostOneSegmentPerAck() {
        // RFC 3465 §2.3: L = 1·SMSS in the slow start that follows an RTO.
        Cubic cc = new Cubic(MSS, 0);
        cc.onRetransmissionTimeout(40L * MSS, 0);
        cc.onAck(3L * MSS, 1_000_000L, MSS, 1_000_000L);
        assertEquals(2L * MSS, cc.cwndBytes());
    }

    @Test
    void lossReducesTheWindowToSeventyPercentOfFlightSize() {
        // §4.6: ssthresh = max(flight_size·β, 2), cwnd = ssthresh; W_max = cwnd (first event).
        Cubic cc = afterLossAt(80, 50_000_000L, true);
        assertEquals((long) (80 * MSS * BETA), cc.ssthreshBytes());
        assertEquals(cc.ssthreshBytes(), cc.cwndBytes());
        assertEquals(80.0 * MSS, cc.wMaxBytes());

        Cubic small = new Cubic(MSS, 0);
        small.onEnterRecovery(2L * MSS, 0);
        assertEquals(2L * MSS, small.ssthreshBytes()); // floor of 2 segments
        assertTrue(small.inRecovery());
    }

    @Test
    void windowFollowsTheCubicFunctionFromTheRfc() {
        // §4.2: W_cubic(t) = C·(t − K)³ + W_max, K = ∛(W_max·(1 − β)/C) after a loss at W_max.
        long rttNs = 100_000_000L;
        Cubic cc = afterLossAt(1280, rttNs, true);
        double wMax = 1280;
        double k = Math.cbrt(wMax * (1 - BETA) / C); // 9.865 s
        long start = 10_000_000_000L;
        long now = start;
        double worst = 0;
        for (int round = 0; round < 160; round++) {
            double t = (now - start) / 1e9;
            double expectedSegments = C * Math.pow(t - k, 3) + wMax;
            double actualSegments = cc.cwndBytes() / (double) MSS;
            if (round > 0) {
                // cwnd reaches W_cubic(t + RTT) within each RTT, so it sits between the curve now
                // and the curve one RTT on (plus the integer rounding of ssthresh at the start).
                double ahead = C * Math.pow(t + 0.1 - k, 3) + wMax;
                assertTrue(actualSegments >= Math.min(expectedSegments, ahead) - 1.0
                        && actualSegments <= Math.max(expectedSegments, ahead) + 1.0,
                        "t=" + t + " cwnd=" + actualSegments + " W(t)=" + expectedSegments + " W(t+RTT)=" + ahead);
            }
            worst = Math.max(worst, Math.abs(actualSegments - expectedSegments));
            now = ackRound(cc, MSS, rttNs, now);
        }
        assertEquals(k, cc.kSeconds(), 1e-3);
        System.out.printf("CUBIC W(t) tracking, W_max=1280 seg, RTT 100 ms: K=%.3f s, worst |cwnd - W(t)| = %.2f seg%n", k, worst);
        assertTrue(worst < 0.01 * wMax, "worst deviation " + worst);
    }

    @Test
    void growthIsConcaveBeforeKAndConvexAfter() {
        // §4.4 / §4.5: increments shrink while cwnd < W_max and grow once cwnd ≥ W_max.
        long rttNs = 100_000_000L;
        Cubic cc = afterLossAt(1280, rttNs, true);
        double k = Math.cbrt(1280 * (1 - BETA) / C);
        List<long[]> rounds = new ArrayList<>();
        long start = 10_000_000_000L;
        long now = start;
        for (int round = 0; round < 2 * (int) (k * 10); round++) {
            long before = cc.cwndBytes();
            now = ackRound(cc, MSS, rttNs, now);
            rounds.add(new long[] {now - start, cc.cwndBytes() - before});
        }
        long early = rounds.get(1)[1];
        long plateau = Long.MAX_VALUE;
        int plateauRound = 0;
        for (int i = 0; i < rounds.size(); i++) {
            if (rounds.get(i)[1] < plateau) {
                plateau = rounds.get(i)[1];
                plateauRound = i;
            }
        }
        long late = rounds.get(rounds.size() - 1)[1];
        double plateauT = rounds.get(plateauRound)[0] / 1e9;
        assertTrue(early > 10 * Math.max(plateau, 1) && late > 10 * Math.max(plateau, 1),
                "early " + early + " plateau " + plateau + " late " + late);
        assertTrue(Math.abs(plateauT - k) < 0.5, "slowest growth at t=" + plateauT + ", K=" + k);
        // concave: no round before K grows faster than the one before it (allow one byte-rounding MSS)
        for (int i = 2; i < rounds.size() && rounds.get(i)[0] / 1e9 < k - 0.2; i++) {
            assertTrue(rounds.get(i)[1] <= rounds.get(i - 1)[1] + MSS, "concave at round " + i);
        }
        // convex: none after K grows slower than the one before it
        for (int i = 1; i < rounds.size(); i++) {
            if (rounds.get(i - 1)[0] / 1e9 > k + 0.2) {
                assertTrue(rounds.get(i)[1] + MSS >= rounds.get(i - 1)[1], "convex at round " + i);
            }
        }
    }

    @Test
    void renoFriendlyRegionDominatesAtShortRoundTrips() {
        // §4.3: at 1 ms RTT W_cubic barely moves in a few RTTs, W_est grows α_cubic segments per
        // RTT until it reaches cwnd_prior, then one segment per RTT; cwnd = W_est.
        long rttNs = 1_000_000L;
        Cubic cc = afterLossAt(20, rttNs, true);
        assertEquals(14L * MSS, cc.cwndBytes());
        long start = 1_000_000_000L;
        long now = start;
        for (int round = 0; round < 8; round++) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        double cubicNow = C * Math.pow((now - start) / 1e9 - cc.kSeconds(), 3) + 20;
        double expected = 14 + 8 * ALPHA; // W_est grows α per RTT (per window of ACKs)
        assertEquals(expected, cc.cwndBytes() / (double) MSS, 0.5);
        assertTrue(cubicNow < 14.1, "W_cubic " + cubicNow);
        while (cc.wEstBytes() < 20.0 * MSS) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        long atPrior = cc.cwndBytes();
        for (int round = 0; round < 30; round++) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        // α = 1 past cwnd_prior: Reno's one segment per RTT
        assertEquals(30.0, (cc.cwndBytes() - atPrior) / (double) MSS, 1.0);
        assertEquals((long) cc.wEstBytes(), cc.cwndBytes());
        assertTrue(cc.wCubicBytes((now - start) / 1e9) < cc.wEstBytes());
    }

    @Test
    void cubicRegionTakesOverFromRenoAtLongRoundTrips() {
        // At 100 ms RTT the cubic curve outruns W_est: cwnd ends well above the Reno estimate.
        long rttNs = 100_000_000L;
        Cubic cc = afterLossAt(1280, rttNs, true);
        long now = 10_000_000_000L;
        for (int round = 0; round < 50; round++) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        assertTrue(cc.cwndBytes() > cc.wEstBytes() + 100.0 * MSS, cc.cwndBytes() + " vs W_est " + cc.wEstBytes());
    }

    @Test
    void fastConvergenceLowersWmaxWhenLossComesBelowTheLastMaximum() {
        // §4.7: cwnd < W_max at a congestion event → W_max = cwnd·(1 + β)/2.
        long rttNs = 50_000_000L;
        Cubic cc = afterLossAt(160, rttNs, true);
        long now = 10_000_000_000L;
        for (int round = 0; round < 5; round++) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        long cwnd = cc.cwndBytes();
        assertTrue(cwnd < 160L * MSS);
        cc.onEnterRecovery(cwnd, now);
        assertEquals(cwnd * (1 + BETA) / 2, cc.wMaxBytes(), 1e-6);
        assertEquals((long) (cwnd * BETA), cc.cwndBytes());

        Cubic plain = afterLossAt(160, rttNs, false);
        now = 10_000_000_000L;
        for (int round = 0; round < 5; round++) {
            now = ackRound(plain, MSS, rttNs, now);
        }
        long plainCwnd = plain.cwndBytes();
        plain.onEnterRecovery(plainCwnd, now);
        assertEquals(plainCwnd, plain.wMaxBytes(), 1e-6);
    }

    @Test
    void lossAboveTheLastMaximumRemembersTheFullWindow() {
        Cubic cc = afterLossAt(20, 1_000_000L, true);
        long now = 1_000_000_000L;
        for (int round = 0; round < 40; round++) {
            now = ackRound(cc, MSS, 1_000_000L, now);
        }
        long cwnd = cc.cwndBytes();
        assertTrue(cwnd > 20L * MSS);
        cc.onEnterRecovery(cwnd, now);
        assertEquals(cwnd, cc.wMaxBytes(), 1e-6);
    }

    @Test
    void timeoutCollapsesToOneSegmentAndStartsTheNextStageFlat() {
        // §4.8: cwnd = 1 SMSS, ssthresh = flight·β; the first stage after has K = 0 and
        // W_max = W_est = cwnd at its start, so growth is convex from the start.
        long rttNs = 50_000_000L;
        Cubic cc = new Cubic(MSS, 0);
        long now = ackRound(cc, MSS, rttNs, 0);
        now = ackRound(cc, MSS, rttNs, now);
        now = ackRound(cc, MSS, rttNs, now); // cwnd 80 MSS
        cc.onRetransmissionTimeout(80L * MSS, now);
        assertEquals(MSS, cc.cwndBytes());
        assertEquals(56L * MSS, cc.ssthreshBytes());
        cc.onRetransmissionTimeout(MSS, now + 1_000_000_000L); // backed-off timeout keeps ssthresh
        assertEquals(56L * MSS, cc.ssthreshBytes());
        now += 2_000_000_000L;
        while (cc.cwndBytes() < cc.ssthreshBytes()) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        // the last slow start round crossed ssthresh; its remaining ACKs began the stage
        assertTrue(cc.cwndBytes() >= 56L * MSS && cc.cwndBytes() < 57L * MSS, Long.toString(cc.cwndBytes()));
        long previous = 0;
        long[] growth = new long[60];
        for (int round = 0; round < growth.length; round++) {
            long before = cc.cwndBytes();
            now = ackRound(cc, MSS, rttNs, now);
            growth[round] = cc.cwndBytes() - before;
            if (round == 0) {
                assertEquals(0.0, cc.kSeconds());
                assertEquals(56.0 * MSS, cc.wMaxBytes());
            }
        }
        for (int round = 20; round < growth.length; round++) {
            assertTrue(growth[round] + MSS >= growth[round - 1], "convex at round " + round);
            previous = growth[round];
        }
        assertTrue(previous > growth[20], "growth accelerates: " + growth[20] + " → " + previous);
    }

    @Test
    void idleRestartLimitsTheWindowAndLeavesTheIdleTimeOutOfT() {
        // RFC 5681 §4.1 restart window; RFC 9438 §4.2: t must not include the idle period.
        long rttNs = 10_000_000L;
        Cubic cc = afterLossAt(20, rttNs, true); // ssthresh 14 MSS, below IW = 10 MSS? no: 14 > 10
        long now = 1_000_000_000L;
        for (int round = 0; round < 10; round++) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        assertTrue(cc.cwndBytes() > 14_600);
        cc.onIdleRestart(now + 100_000_000_000L);
        assertEquals(14_600, cc.cwndBytes()); // min(IW, cwnd), below ssthresh: slow start
        now += 100_000_000_000L;
        while (cc.cwndBytes() < cc.ssthreshBytes()) {
            now = ackRound(cc, MSS, rttNs, now);
        }
        long atThreshold = cc.cwndBytes();
        now = ackRound(cc, MSS, rttNs, now);
        // A curve whose t counted the 100 s of idle would jump by 1.5×; a fresh stage moves slowly.
        assertTrue(cc.cwndBytes() < atThreshold + 2L * MSS, atThreshold + " → " + cc.cwndBytes());
    }

    @Test
    void mssChangeKeepsBytesAndRecomputesKForTheNewSegmentSize() {
        long rttNs = 100_000_000L;
        Cubic cc = afterLossAt(640, rttNs, true);
        long now = 10_000_000_000L;
        now = ackRound(cc, MSS, rttNs, now);
        long cwnd = cc.cwndBytes();
        double wMax = cc.wMaxBytes();
        cc.onMssChanged(1200);
        assertEquals(1200, cc.mssBytes());
        assertEquals(cwnd, cc.cwndBytes());
        assertEquals(wMax, cc.wMaxBytes());
        cc.onAck(1200, rttNs, cwnd, now);
        double expectedK = Math.cbrt((wMax - cwnd) / 1200.0 / C); // segments of the new SMSS
        assertEquals(expectedK, cc.kSeconds(), 1e-9);
        cc.onRetransmissionTimeout(cwnd, now);
        assertEquals(1200, cc.cwndBytes());
    }

    @Test
    void smoothsRttSamplesAsRfc6298() {
        Cubic cc = new Cubic(MSS, 0);
        assertEquals(-1, cc.srttNs());
        cc.onAck(MSS, 80_000_000L, 14_600, 0);
        assertEquals(80_000_000L, cc.srttNs());
        cc.onAck(MSS, 160_000_000L, 14_600, 0);
        assertEquals(90_000_000L, cc.srttNs());
        cc.onAck(MSS, -1, 14_600, 0); // no sample (Karn)
        assertEquals(90_000_000L, cc.srttNs());
    }

    @Test
    void leavingRecoveryWithLittleInFlightAvoidsABurst() {
        Cubic cc = new Cubic(MSS, 0);
        cc.onEnterRecovery(100L * MSS, 0);
        cc.onExitRecovery(3L * MSS, 1);
        assertFalse(cc.inRecovery());
        assertEquals(4L * MSS, cc.cwndBytes());
        assertEquals(70L * MSS, cc.ssthreshBytes());
    }

    @Test
    void extremeTimesAndWindowsStayFiniteAndBounded() {
        Cubic cc = afterLossAt(1280, 100_000_000L, true);
        // an hour in one stage: the cube is huge, the 1.5·cwnd bound and the ceiling hold
        long now = 10_000_000_000L;
        cc.onAck(MSS, 100_000_000L, cc.cwndBytes(), now); // the stage starts here
        for (int i = 0; i < 200_000 && cc.cwndBytes() < Cubic.MAX_WINDOW_BYTES; i++) {
            long before = cc.cwndBytes();
            cc.onAck(before, 100_000_000L, before, now + 3_600_000_000_000L + i);
            assertTrue(cc.cwndBytes() <= Math.min((long) (1.5 * before) + 1, Cubic.MAX_WINDOW_BYTES));
        }
        assertEquals(Cubic.MAX_WINDOW_BYTES, cc.cwndBytes());
        // a clock that steps back does not make t negative
        cc.onAck(MSS, 100_000_000L, MSS, 0);
        assertEquals(Cubic.MAX_WINDOW_BYTES, cc.cwndBytes());
    }

    @Test
    void acksForNoNewDataChangeNothing() {
        Cubic cc = new Cubic(MSS, 0);
        cc.onAck(0, 1_000_000L, 14_600, 0);
        assertEquals(14_600, cc.cwndBytes());
        assertEquals(-1, cc.srttNs());
    }

    @Test
    void rejectsANonPositiveMss() {
        assertThrows(IllegalArgumentException.class, () -> new Cubic(-1, 0));
    }
}
