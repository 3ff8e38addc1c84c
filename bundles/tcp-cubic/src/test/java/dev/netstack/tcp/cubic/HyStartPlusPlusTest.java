package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** HyStart++ (RFC 9406 §4.2, constants §4.3), alone and inside {@link Cubic}. */
class HyStartPlusPlusTest {

    private static final int MSS = 1460;

    /** One round: the window acknowledged one segment per ACK, every ACK with the same RTT sample. */
    static long round(Cubic cc, long rttNs, long nowNs) {
        long window = cc.cwndBytes();
        long flight = window;
        long acks = (window + MSS - 1) / MSS;
        for (long i = 0; i < acks; i++) {
            long acked = Math.min(MSS, flight);
            cc.onAck(acked, rttNs, flight, nowNs + i * rttNs / acks);
            flight -= acked;
        }
        return nowNs + rttNs;
    }

    @Test
    void risingRttMovesSlowStartToConservativeSlowStartThenToAvoidance() {
        Cubic cc = new Cubic(MSS, 0);
        long now = 0;
        for (int i = 0; i < 3; i++) {
            now = round(cc, 50_000_000L, now); // 10 → 80 segments, steady RTT
        }
        assertEquals(80L * MSS, cc.cwndBytes());
        assertFalse(cc.inConservativeSlowStart());
        // RttThresh = clamp(50 ms / 8, 4 ms, 16 ms) = 6.25 ms; the RTT rises by 7 ms
        now = round(cc, 57_000_000L, now);
        assertTrue(cc.inConservativeSlowStart());
        assertEquals(Long.MAX_VALUE, cc.ssthreshBytes());
        long enteredAt = cc.cwndBytes();
        // in CSS cwnd grows by a quarter of slow start's: ×1.25 per round
        long before = cc.cwndBytes();
        now = round(cc, 57_000_000L, now);
        assertEquals(1.25, cc.cwndBytes() / (double) before, 0.01);
        for (int i = 0; i < 4; i++) {
            now = round(cc, 57_000_000L, now);
        }
        // CSS_ROUNDS = 5 rounds: ssthresh = cwnd, congestion avoidance from K = 0, W_max = cwnd
        assertFalse(cc.inConservativeSlowStart());
        assertTrue(cc.ssthreshBytes() < Long.MAX_VALUE, "ssthresh set on leaving CSS");
        assertTrue(cc.ssthreshBytes() > enteredAt);
        now = round(cc, 57_000_000L, now);
        assertEquals(0.0, cc.kSeconds());
        assertEquals(cc.ssthreshBytes(), cc.wMaxBytes(), 1.0);
    }

    @Test
    void aRiseBelowTheThresholdKeepsSlowStart() {
        Cubic cc = new Cubic(MSS, 0);
        long now = 0;
        for (int i = 0; i < 3; i++) {
            now = round(cc, 50_000_000L, now);
        }
        long before = cc.cwndBytes();
        now = round(cc, 56_000_000L, now); // +6 ms < 6.25 ms
        assertFalse(cc.inConservativeSlowStart());
        assertEquals(2 * before, cc.cwndBytes());
    }

    @Test
    void rttFallingBelowTheBaselineResumesSlowStart() {
        Cubic cc = new Cubic(MSS, 0);
        long now = 0;
        for (int i = 0; i < 3; i++) {
            now = round(cc, 50_000_000L, now);
        }
        now = round(cc, 60_000_000L, now);
        assertTrue(cc.inConservativeSlowStart());
        now = round(cc, 52_000_000L, now); // below the 60 ms baseline: the exit was spurious
        assertFalse(cc.inConservativeSlowStart());
        long before = cc.cwndBytes();
        round(cc, 52_000_000L, now);
        assertEquals(2 * before, cc.cwndBytes(), MSS); // doubling again
        assertEquals(Long.MAX_VALUE, cc.ssthreshBytes());
    }

    @Test
    void thresholdIsClampedBetweenFourAndSixteenMilliseconds() {
        // 10 ms RTT: 10/8 = 1.25 ms → 4 ms. A 3.9 ms rise is ignored, a 4 ms rise is not.
        assertFalse(entersCssAfterRise(10_000_000L, 3_900_000L));
        assertTrue(entersCssAfterRise(10_000_000L, 4_000_000L));
        // 400 ms RTT: 50 ms → 16 ms.
        assertFalse(entersCssAfterRise(400_000_000L, 15_900_000L));
        assertTrue(entersCssAfterRise(400_000_000L, 16_000_000L));
    }

    private static boolean entersCssAfterRise(long baseRttNs, long riseNs) {
        HyStartPlusPlus h = new HyStartPlusPlus();
        long flight = 20L * MSS;
        for (int i = 0; i < 20; i++) {
            h.onAck(MSS, baseRttNs, flight - (long) i * MSS, 0);
        }
        for (int i = 0; i < 20; i++) {
            h.onAck(MSS, baseRttNs + riseNs, flight - (long) i * MSS, 0);
        }
        return h.inConservativeSlowStart();
    }

    @Test
    void needsEightSamplesInARound() {
        HyStartPlusPlus h = new HyStartPlusPlus();
        for (int i = 0; i < 10; i++) {
            h.onAck(MSS, 20_000_000L, (10L - i) * MSS, 0);
        }
        for (int i = 0; i < 7; i++) { // a 7-segment round: too few samples to judge
            h.onAck(MSS, 40_000_000L, (7L - i) * MSS, 0);
        }
        assertFalse(h.inConservativeSlowStart());
        h.onAck(MSS, 40_000_000L, 8L * MSS, 0); // next round starts; its first sample
        assertFalse(h.inConservativeSlowStart());
    }

    @Test
    void aLossEndsHyStartForTheConnection() {
        Cubic cc = new Cubic(MSS, 0);
        long now = round(cc, 50_000_000L, 0);
        cc.onRetransmissionTimeout(cc.cwndBytes(), now);
        now = round(cc, 50_000_000L, now);
        now = round(cc, 50_000_000L, now);
        round(cc, 80_000_000L, now);
        assertFalse(cc.inConservativeSlowStart());
    }

    @Test
    void canBeTurnedOff() {
        Cubic cc = new Cubic(MSS, 0, true, false);
        long now = 0;
        for (int i = 0; i < 3; i++) {
            now = round(cc, 50_000_000L, now);
        }
        long before = cc.cwndBytes();
        round(cc, 80_000_000L, now);
        assertFalse(cc.inConservativeSlowStart());
        assertEquals(2 * before, cc.cwndBytes());
    }
}
