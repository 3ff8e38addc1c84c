package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The RFC 6675 §4 routines on a scoreboard with SMSS 1000; sequence numbers start near the top of
 * the int range so every comparison crosses the wrap.
 */
class SackScoreboardTest {

    static final int MSS = 1000;
    static final int UNA = Integer.MAX_VALUE - 2500;

    static SackScoreboard board(int... sackedOffsets) {
        SackScoreboard b = new SackScoreboard(32, 8);
        b.endRecovery(UNA);
        for (int i = 0; i < sackedOffsets.length; i += 2) {
            b.update(UNA, UNA + 10_000, UNA + sackedOffsets[i], UNA + sackedOffsets[i + 1]);
        }
        return b;
    }

    @Test
    void updateCountsOnlyNewlySackedOctetsWithinWhatWasSent() {
        // RFC 6675 §4 Update(); §2: an ACK is a duplicate when it SACKs octets not SACKed before
        SackScoreboard b = board();
        assertEquals(1000, b.update(UNA, UNA + 10_000, UNA + 1000, UNA + 2000));
        assertEquals(0, b.update(UNA, UNA + 10_000, UNA + 1000, UNA + 2000));
        assertEquals(500, b.update(UNA, UNA + 10_000, UNA + 1500, UNA + 2500));
        assertEquals(0, b.update(UNA, UNA + 10_000, UNA + 9000, UNA + 11_000), "beyond HighData: ignored");
        assertEquals(100, b.update(UNA, UNA + 10_000, UNA - 100, UNA + 100), "clipped at HighACK");
    }

    @Test
    void isLostByDiscontiguousSegmentsAbove() {
        // RFC 6675 §4 IsLost: DupThresh discontiguous SACKed sequences above (300 bytes in all)
        SackScoreboard b = board(200, 300, 400, 500, 600, 700);
        assertTrue(b.isLost(UNA, UNA, MSS));
        assertTrue(b.isLost(UNA + 100, UNA, MSS));
        assertFalse(b.isLost(UNA + 300, UNA, MSS), "two sequences above");
        assertFalse(b.isLost(UNA + 250, UNA, MSS), "SACKed itself");
    }

    @Test
    void isLostByMoreThanTwoSmssOfSackedBytes() {
        // RFC 6675 §4 IsLost: more than (DupThresh - 1) * SMSS octets SACKed above
        assertFalse(board(1000, 3000).isLost(UNA, UNA, MSS), "exactly 2 SMSS");
        assertTrue(board(1000, 3001).isLost(UNA, UNA, MSS));
        assertTrue(board(1000, 2001, 2500, 3000).isLost(UNA, UNA, MSS), "1501 bytes in 2 sequences: 3 segments");
    }

    @Test
    void pipeCountsUnsackedOctetsNotLostAndRetransmissions() {
        // RFC 6675 §4 SetPipe: (a) unSACKed and not lost, (b) at or below HighRxt; both may hold
        SackScoreboard b = board(1000, 2000, 3000, 6000);
        int high = UNA + 10_000;
        // holes [0,1000) and [2000,3000) lost, [6000,10000) not
        assertEquals(4000, b.pipe(UNA, high, MSS));
        b.highRxt = UNA + 1000;
        assertEquals(5000, b.pipe(UNA, high, MSS));
        b.highRxt = UNA + 7000; // [6000,7000) retransmitted by rule (3) though not lost: counted twice
        assertEquals(7000, b.pipe(UNA, high, MSS));
    }

    @Test
    void nextSegRulesPickLostHoleThenUnsackedHoleThenRescue() {
        // RFC 6675 §4 NextSeg rules (1), (3) and (4); rule (2) (new data) is the caller's
        SackScoreboard b = board(1000, 2000, 3000, 6000, 7000, 8000);
        int high = UNA + 10_000;
        b.highRxt = UNA;
        b.rescueRxt = UNA + 500;
        assertTrue(b.nextLost(UNA, high, MSS));
        assertEquals(0, b.start - UNA);
        assertEquals(1000, b.end - UNA);
        b.highRxt = UNA + 1000;
        assertTrue(b.nextLost(UNA, high, MSS));
        assertEquals(2000, b.start - UNA);
        b.highRxt = UNA + 3000;
        assertFalse(b.nextLost(UNA, high, MSS), "[6000,7000) has one segment above: not lost");
        assertTrue(b.nextUnsacked(UNA, high, MSS));
        assertEquals(6000, b.start - UNA);
        assertEquals(7000, b.end - UNA, "ends where SACKed data begins");
        b.highRxt = UNA + 7000;
        assertFalse(b.nextUnsacked(UNA, high, MSS), "nothing unSACKed below the highest SACK");
        assertFalse(b.nextRescue(UNA, high, MSS), "HighACK has not passed RescueRxt");
        assertFalse(b.nextRescue(UNA + 500, high, MSS), "HighACK must be greater than RescueRxt");
        int una = UNA + 1000;
        b.acknowledged(una);
        assertTrue(b.nextRescue(una, high, MSS));
        assertEquals(9000, b.start - UNA);
        assertEquals(10_000, b.end - UNA, "includes the highest unSACKed octet");
        b.rescued(high);
        assertFalse(b.nextRescue(una, high, MSS), "once per recovery");
    }

    @Test
    void rescueStaysWithinTheTopHole() {
        SackScoreboard b = board(1000, 9600, 9800, 10_000);
        b.rescueRxt = UNA - 1;
        assertTrue(b.nextRescue(UNA, UNA + 10_000, MSS));
        assertEquals(9600, b.start - UNA);
        assertEquals(9800, b.end - UNA);
    }

    @Test
    void retransmissionIsLostWhenALaterRetransmissionIsSacked() {
        SackScoreboard b = board(1000, 2000, 3000, 6000);
        b.logRetransmission(UNA, UNA + 1000, UNA + 10_000);
        b.logRetransmission(UNA + 2000, UNA + 3000, UNA + 10_000);
        assertEquals(0, b.detectLostRetransmissions(UNA));
        b.update(UNA, UNA + 10_000, UNA + 2000, UNA + 3000); // the second arrived, the first did not
        assertEquals(1, b.detectLostRetransmissions(UNA));
        assertEquals(1, b.lostRetransmits.count());
        assertEquals(0, b.lostRetransmits.left(0) - UNA);
        assertEquals(1000, b.lostRetransmits.right(0) - UNA);
        assertEquals(0, b.loggedRetransmissions());
        // its pipe count (b) is withdrawn until it is sent again
        b.highRxt = UNA + 3000;
        assertEquals(4000, b.pipe(UNA, UNA + 10_000, MSS));
        assertTrue(b.nextLostRetransmit(UNA, UNA + 10_000, MSS));
        assertEquals(0, b.start - UNA);
        assertEquals(1000, b.end - UNA);
    }

    @Test
    void retransmissionIsLostWhenDataSentAfterItIsSacked() {
        SackScoreboard b = board(1000, 4000);
        b.logRetransmission(UNA, UNA + 1000, UNA + 5000);
        b.update(UNA, UNA + 6000, UNA + 4000, UNA + 5000); // sent before the retransmission
        assertEquals(0, b.detectLostRetransmissions(UNA));
        b.update(UNA, UNA + 6000, UNA + 5000, UNA + 6000); // sent after it
        assertEquals(1, b.detectLostRetransmissions(UNA));
    }

    @Test
    void acknowledgedRetransmissionsAreForgottenAndResetClearsEverything() {
        SackScoreboard b = board(1000, 4000);
        b.logRetransmission(UNA, UNA + 1000, UNA + 5000);
        b.acknowledged(UNA + 1000);
        assertEquals(0, b.loggedRetransmissions());
        assertEquals(UNA + 1000, b.highRxt);
        b.reset(UNA + 1000);
        assertEquals(0, b.sacked.count());
        assertEquals(0, b.sacked.totalBytes());
    }
}
