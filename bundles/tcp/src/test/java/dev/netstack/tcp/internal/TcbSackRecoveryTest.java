package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcpScript.A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.internal.TcbTest.Passive;
import dev.netstack.tcp.internal.TcpScript.Seg;
import org.junit.jupiter.api.Test;

/**
 * Segment-level scripts of SACK-based loss recovery (RFC 6675) against one stack with a virtual
 * clock; the test plays the receiver. Segments are full-sized ({@link #SMSS}) unless said;
 * {@code seg(i)} is the first sequence number of the i-th. The congestion control is the built-in
 * Reno: initial window 10 segments, ssthresh = cwnd = FlightSize / 2 on entering recovery, cwnd
 * unchanged during recovery. Each test names the clause it checks.
 */
class TcbSackRecoveryTest {

    static final int SMSS = 1460;
    static final int PEER = TcbTest.PEER_ISS + 1;

    /** A connection with {@code segments} full segments queued; the first 10 (initial window) sent. */
    static final class Sender {
        final TcpScript t;
        final Passive p;
        final Tcb tcb;
        final int una;

        Sender(TcpScript t, int bytes) {
            this.t = t;
            this.p = TcbTest.passive(t);
            this.tcb = ConnectionHandle.tcbOf(p.connection);
            this.una = p.iss + 1;
            TcpScript.send(p.connection, TcpScript.pattern(bytes, 7));
        }

        int seg(int i) {
            return una + i * SMSS;
        }

        /** An ACK from the peer, window 64 KiB, with SACK blocks given as segment indexes [from, to). */
        void ack(int ackSegment, int... sackSegments) {
            int[] edges = new int[sackSegments.length];
            for (int i = 0; i < edges.length; i++) {
                edges[i] = seg(sackSegments[i]);
            }
            ackBytes(seg(ackSegment), edges);
        }

        void ackBytes(int ack, int... sackEdges) {
            t.segment(A, PEER, ack).window(512).sack(sackEdges).send();
        }

        /** The next segment sent starts at {@code seq} and carries {@code length} bytes. */
        Seg expectData(int seq, int length) {
            Seg s = t.next();
            assertEquals(seq - una, s.seq() - una, "seq (relative) of " + s);
            assertEquals(length, s.data().length, "length of " + s);
            return s;
        }

        /** The next segment sent is full segment {@code i}. */
        void expectSegment(int i) {
            expectData(seg(i), SMSS);
        }

        void expectSegments(int from, int to) {
            for (int i = from; i < to; i++) {
                expectSegment(i);
            }
        }
    }

    @Test
    void entersRecoveryWhenThreeDiscontiguousSmallSegmentsAreSackedAbove() {
        // RFC 6675 §4 IsLost: DupThresh discontiguous SACKed sequences above the octet (here 600
        // bytes, far below (DupThresh - 1) * SMSS); §5 step (2): IsLost(HighACK + 1) enters recovery
        // on the first duplicate ACK. Then rule (3) sends the holes that are not lost yet.
        try (TcpScript t = new TcpScript()) {
            Passive p = TcbTest.passive(t);
            p.connection.setNoDelay(true);
            int una = p.iss + 1;
            for (int i = 0; i < 6; i++) {
                TcpScript.send(p.connection, TcpScript.pattern(200, i));
                t.next();
            }
            t.segment(A, PEER, una).window(512)
                    .sack(una + 200, una + 400, una + 600, una + 800, una + 1000, una + 1200).send();
            Seg first = t.next();
            assertEquals(una, first.seq(), "HighACK + 1 retransmitted (§5 step 4.3): " + first);
            assertEquals(200, first.data().length);
            assertEquals(1, t.counter(TcpCounter.SACK_RECOVERIES));
            assertTrue(ConnectionHandle.tcbOf(p.connection).inRecovery);
            // [400, 600) and [800, 1000) have fewer than DupThresh segments above: not lost, rule (3)
            assertEquals(una + 400, t.next().seq());
            assertEquals(una + 800, t.next().seq());
            t.expectNothing();
        }
    }

    @Test
    void isLostNeedsMoreThanTwoSmssSackedWithinOneRange() {
        // RFC 6675 §4 IsLost: "more than (DupThresh - 1) * SMSS bytes" SACKed above; one range of
        // small segments is one discontiguous sequence, so only the byte rule applies.
        try (TcpScript t = new TcpScript()) {
            Passive p = TcbTest.passive(t);
            p.connection.setNoDelay(true);
            int una = p.iss + 1;
            for (int i = 0; i < 7; i++) {
                TcpScript.send(p.connection, TcpScript.pattern(730, i));
                t.next();
            }
            // exactly 2 * SMSS SACKed above the hole [0, 730): not lost
            t.segment(A, PEER, una).window(512).sack(una + 730, una + 730 + 2 * SMSS).send();
            t.expectNothing();
            assertFalse(ConnectionHandle.tcbOf(p.connection).inRecovery);
            // one more segment: 3650 bytes above: lost
            t.segment(A, PEER, una).window(512).sack(una + 730, una + 730 + 2 * SMSS + 730).send();
            Seg rexmit = t.next();
            assertEquals(una, rexmit.seq());
            assertEquals(730, rexmit.data().length);
            assertTrue(ConnectionHandle.tcbOf(p.connection).inRecovery);
        }
    }

    @Test
    void cumulativeAckThatSacksNewDataCountsAsDuplicateAck() {
        // RFC 6675 §2: an ACK that SACKs new octets is a duplicate acknowledgment even when it moves
        // the cumulative ACK point; §5: it resets DupAcks then counts, and IsLost(HighACK + 1) holds.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 6 * SMSS);
            s.expectSegments(0, 6);
            s.ack(1, 2, 5);
            s.expectSegment(1);
            assertTrue(s.tcb.inRecovery);
            assertEquals(1, t.counter(TcpCounter.SACK_RECOVERIES));
        }
    }

    @Test
    void nextSegSendsLostHoleThenNewDataThenUnsackedHoleAndPipeCountsRetransmissions() {
        // RFC 6675 §4 NextSeg rule order (1) lost hole above HighRxt, (2) new data, (3) unSACKed hole
        // below the highest SACK that is not lost yet; §4 SetPipe; §5 step (3) limited transmit.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 12 * SMSS);
            s.expectSegments(0, 10);
            // first duplicate ACK: nothing lost; pipe 9 segments, cwnd 10: limited transmit (§5 (3.3))
            s.ack(0, 1, 2);
            s.expectSegment(10);
            t.expectNothing();
            // second: 3 segments SACKed above 0 and 2 (§5 step (2)): recovery, RecoveryPoint = seg(11)
            s.ack(0, 1, 2, 3, 6);
            s.expectSegment(0);
            t.expectNothing();
            assertEquals(s.seg(11), s.tcb.recover);
            assertEquals(11 * SMSS / 2, s.tcb.cc.cwndBytes()); // (4.2)
            // pipe: unSACKed 0,2,6-10 = 7; 0 and 2 lost: -2; 0 retransmitted: +1
            assertEquals(6 * SMSS, s.tcb.pipe());
            // partial ACK; 3-7 and 9 SACKed. pipe: 2, 8, 10 unSACKed; 2 lost = 2 segments
            s.ack(2, 3, 8, 9, 10);
            s.expectSegment(2);  // rule (1)
            s.expectSegment(11); // rule (2)
            s.expectSegment(8);  // rule (3): 8 has one SACKed segment above, not lost
            t.expectNothing();
            assertTrue(s.tcb.inRecovery);
            // SetPipe: unSACKed 2, 8, 10, 11 = 4; 2 lost: -1; 2 and 8 retransmitted (below HighRxt): +2
            assertEquals(5 * SMSS, s.tcb.pipe());
            assertEquals(0, t.counter(TcpCounter.TIMEOUTS));
        }
    }

    @Test
    void rescueRetransmissionSendsTheTailOncePerRecovery() {
        // RFC 6675 §4 NextSeg rule (4): with no lost hole, no new data and no unSACKed octet below
        // the highest SACK, one segment with the highest unSACKed octet, once per recovery (HighACK
        // must pass RescueRxt, which is then RecoveryPoint); HighRxt is not moved.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 10 * SMSS);
            s.expectSegments(0, 10);
            s.ack(0, 1, 2);
            t.expectNothing(); // no new data for limited transmit
            s.ack(0, 1, 2, 3, 6);
            s.expectSegment(0);
            t.expectNothing();
            // partial ACK past RescueRxt; pipe 3 of cwnd 5: rule (1) sends 2, then the rescue 9
            s.ack(2, 3, 7);
            s.expectSegment(2);
            s.expectSegment(9);
            t.expectNothing();
            assertEquals(1, t.counter(TcpCounter.RESCUE_RETRANSMITS));
            assertEquals(s.seg(3), s.tcb.scoreboard.highRxt, "HighRxt not moved by the rescue");
            // 2 and the rescue arrived: 7 and 8 are below the highest SACK: rule (3), no second rescue
            s.ack(7, 9, 10);
            s.expectSegment(7);
            s.expectSegment(8);
            t.expectNothing();
            assertEquals(1, t.counter(TcpCounter.RESCUE_RETRANSMITS));
        }
    }

    @Test
    void recoveryEndsWhenRecoveryPointIsAcknowledgedAndTheNextLossStartsANewOne() {
        // RFC 6675 §5 (A): a cumulative ACK covering RecoveryPoint ends recovery (the algorithm sets
        // cwnd); a partial ACK does not. RFC 6582 §3.2 step 2: a loss of the next segment after
        // RecoveryPoint is a new recovery (HighACK >= RecoveryPoint).
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 30 * SMSS);
            s.expectSegments(0, 10);
            s.ack(0, 1, 2);
            s.expectSegment(10);
            s.ack(0, 1, 2, 3, 6);
            s.expectSegment(0);
            t.expectNothing();
            s.ack(2, 3, 11);                 // partial ACK: still in recovery
            assertTrue(s.tcb.inRecovery);
            s.expectSegment(2);              // rule (1)
            s.expectSegments(11, 15);        // rule (2) up to cwnd
            t.expectNothing();
            s.ack(11);                       // covers RecoveryPoint = seg(11)
            assertFalse(s.tcb.inRecovery);
            assertEquals(11 * SMSS / 2, s.tcb.cc.cwndBytes());
            t.drain();
            // segment 11 lost: its duplicate ACKs start a second recovery
            s.ack(11, 12, 13);
            s.ack(11, 12, 14);
            t.drain();
            s.ack(11, 12, 15);
            s.expectSegment(11);
            assertTrue(s.tcb.inRecovery);
            assertEquals(2, t.counter(TcpCounter.SACK_RECOVERIES));
        }
    }

    @Test
    void lostRetransmissionIsSentAgainWithoutTimeout() {
        // RFC 6675 has no rule for a lost retransmission (rule (1) never goes below HighRxt); the
        // extension (SackScoreboard): a retransmission of which nothing is SACKed when a later
        // retransmission is, is lost, and is sent again before rule (1), with no RTO.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 30 * SMSS);
            s.expectSegments(0, 10);
            s.ack(0, 1, 2);
            s.expectSegment(10);
            s.ack(0, 1, 2, 3, 6);
            s.expectSegment(0);              // retransmission 1 (lost in the network)
            t.expectNothing();
            s.ack(0, 1, 2, 3, 8);
            s.expectSegment(2);              // retransmission 2, rule (1)
            t.expectNothing();
            // retransmission 2 arrived (2 SACKed), retransmission 1 did not
            s.ack(0, 1, 9);
            assertEquals(1, t.counter(TcpCounter.LOST_RETRANSMITS));
            s.expectSegment(0);              // sent again at once
            s.expectSegments(11, 13);        // then rule (2)
            t.expectNothing();
            assertEquals(0, t.counter(TcpCounter.TIMEOUTS));
            s.ack(13);
            assertFalse(s.tcb.inRecovery);
        }
    }

    @Test
    void lostRetransmissionIsFoundWhenNewDataSentAfterItIsSacked() {
        // The extension's second signal: an octet sent after the retransmission (at or above HighData
        // as it was then) is SACKed while nothing of the retransmission is.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 30 * SMSS);
            s.expectSegments(0, 10);
            s.ack(0, 1, 2);
            s.expectSegment(10);
            s.ack(0, 1, 2, 3, 6);
            s.expectSegment(0);              // logged with HighData + 1 = seg(11)
            t.expectNothing();
            s.ack(0, 1, 2, 3, 9);            // 6-8 arrived: pipe 0 (lost), 2 (lost), 9, 10 + 0 rexmit
            s.expectSegment(2);
            s.expectSegment(11);             // rule (2): sent after retransmission 1
            t.expectNothing();
            s.ack(0, 1, 2, 3, 9, 11, 12);    // 11 SACKed; nothing of retransmissions 0 and 2
            assertEquals(2, t.counter(TcpCounter.LOST_RETRANSMITS));
            s.expectSegment(0);
            s.expectSegment(2);
            s.expectSegment(12);             // rule (2)
            t.expectNothing();
            assertEquals(0, t.counter(TcpCounter.TIMEOUTS));
        }
    }

    @Test
    void afterTimeoutOnlyWhatSacksReportMissingIsSentAgain() {
        // RFC 6675 §5.1: after an RTO the scoreboard is expunged (RFC 2018 §8), recovery ends,
        // RecoveryPoint = HighData, and SACK information arriving afterwards is used to fill in the
        // holes only.
        try (TcpScript t = new TcpScript()) {
            Sender s = new Sender(t, 10 * SMSS);
            s.expectSegments(0, 10);
            t.awaitSegment(10_000);
            s.expectSegment(0);              // RTO: go back to SND.UNA, cwnd 1 segment
            assertEquals(1, t.counter(TcpCounter.TIMEOUTS));
            assertEquals(s.seg(10), s.tcb.recover);
            s.ack(1, 2, 5);                  // 1 missing, 2-4 held by the receiver
            assertFalse(s.tcb.inRecovery, "no new recovery before HighACK reaches RecoveryPoint");
            s.expectSegment(1);
            s.expectSegment(5);              // 2-4 skipped
            t.expectNothing();
        }
    }
}
