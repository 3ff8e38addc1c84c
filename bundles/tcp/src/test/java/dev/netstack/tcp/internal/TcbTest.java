package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcpScript.A;
import static dev.netstack.tcp.internal.TcpScript.F;
import static dev.netstack.tcp.internal.TcpScript.LOCAL;
import static dev.netstack.tcp.internal.TcpScript.P;
import static dev.netstack.tcp.internal.TcpScript.PEER;
import static dev.netstack.tcp.internal.TcpScript.R;
import static dev.netstack.tcp.internal.TcpScript.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.internal.TcpScript.Events;
import dev.netstack.tcp.internal.TcpScript.Seg;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Segment-level scripts against one stack with a virtual clock: the test plays the peer. Each test
 * names the RFC clause it checks.
 */
class TcbTest {

    static final int PEER_ISS = 1_000_000;

    /** A passive connection, ESTABLISHED through a full handshake; the peer's next seq is PEER_ISS+1. */
    static final class Passive {
        final TcpScript t;
        final Events events = new Events();
        TcpConnection connection;
        TcpListener listener;
        int iss;

        Passive(TcpScript t, boolean timestamps, TcpOptions options) {
            this.t = t;
            listener = t.stack.listen(0, 80, options, c -> {
                connection = c;
                return events;
            });
            var syn = t.segment(S, PEER_ISS, 0).mss(1460).ws(7).sackOk();
            if (timestamps) {
                syn.ts(t.peerTsVal, 0);
            }
            syn.send();
            Seg synAck = t.expect(S | A);
            assertEquals(PEER_ISS + 1, synAck.ack());
            iss = synAck.seq();
            var ack = t.segment(A, PEER_ISS + 1, iss + 1).window(65_535 >> 7 << 0);
            ack.window = 512; // 512 << 7 = 64 KiB
            if (timestamps) {
                ack.ts(++t.peerTsVal, synAck.options().tsVal);
            }
            ack.send();
            assertNotNull(connection, "accepted");
            assertEquals(TcpState.ESTABLISHED, connection.state());
        }
    }

    static Passive passive(TcpScript t) {
        return new Passive(t, false, TcpOptions.defaults());
    }

    // ===================================================================== opening

    @Test
    void passiveOpenAnswersSynWithSynAckAndOptions() {
        // RFC 9293 §3.10.7.2 (LISTEN, "third": SYN), §3.5 Figure 6; RFC 7323 §2.2, RFC 2018 §2
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            Seg synAck = t.all.get(0);
            assertEquals(1460, synAck.options().mss, "MSS = MTU 1500 - 40 (RFC 6691)");
            assertTrue(synAck.options().windowScale >= 0);
            assertTrue(synAck.options().sackPermitted);
            assertEquals(1, t.counter(TcpCounter.PASSIVE_OPENS));
            assertEquals(1, t.counter(TcpCounter.CURR_ESTAB));
            assertEquals(p.iss + 1, ConnectionHandle.tcbOf(p.connection).sndNxt);
            t.expectNothing();
        }
    }

    @Test
    void activeOpenSendsSynAndCompletesOnSynAck() {
        // RFC 9293 §3.10.7.3 (SYN-SENT "fourth": our SYN acknowledged: ESTABLISHED, send ACK)
        try (TcpScript t = new TcpScript()) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            assertEquals(TcpState.SYN_SENT, c.state());
            Seg syn = t.expect(S);
            assertEquals(1460, syn.options().mss);
            t.segment(S | A, PEER_ISS, syn.seq() + 1).ports(80, 40_000).mss(1400).send();
            t.expect(A, syn.seq() + 1, PEER_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertEquals("[connected]", events.log.toString());
            assertEquals(1, t.counter(TcpCounter.ACTIVE_OPENS));
            assertEquals(1400, ConnectionHandle.tcbOf(c).mss);
        }
    }

    @Test
    void synSentRejectsUnacceptableAckWithReset() {
        // RFC 9293 §3.10.7.3 "first": ACK outside (ISS, SND.NXT] gets <SEQ=SEG.ACK><CTL=RST>
        try (TcpScript t = new TcpScript()) {
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), new Events());
            Seg syn = t.expect(S);
            t.segment(S | A, PEER_ISS, syn.seq() + 7).ports(80, 40_000).send();
            Seg rst = t.expect(R);
            assertEquals(syn.seq() + 7, rst.seq());
            assertEquals(TcpState.SYN_SENT, c.state());
        }
    }

    @Test
    void resetInSynSentRefusesConnection() {
        // RFC 9293 §3.10.7.3 "second": RST with acceptable ACK: "error: connection reset" → refused
        try (TcpScript t = new TcpScript()) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            Seg syn = t.expect(S);
            t.segment(R | A, 0, syn.seq() + 1).ports(80, 40_000).send();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(TcpError.CONNECTION_REFUSED, events.closedReason);
            assertEquals(1, t.counter(TcpCounter.ATTEMPT_FAILS));
        }
    }

    @Test
    void simultaneousOpenGoesThroughSynReceived() {
        // RFC 9293 §3.5 Figure 8: SYN_SENT + SYN → SYN_RECEIVED (send SYN,ACK) + ACK → ESTABLISHED
        try (TcpScript t = new TcpScript()) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            Seg syn = t.expect(S);
            t.segment(S, PEER_ISS, 0).ports(80, 40_000).mss(1460).send();
            assertEquals(TcpState.SYN_RECEIVED, c.state());
            t.expect(S | A, syn.seq(), PEER_ISS + 1);
            t.segment(S | A, PEER_ISS, syn.seq() + 1).ports(80, 40_000).send();
            t.segment(A, PEER_ISS + 1, syn.seq() + 1).ports(80, 40_000).send();
            assertEquals(TcpState.ESTABLISHED, c.state());
            assertTrue(events.log.contains("connected"));
        }
    }

    @Test
    void synRetransmittedWithBackoffThenTimesOut() {
        // RFC 6298 §2.1 (initial RTO 1 s), §5.5 (double on expiry); RFC 9293 §3.8.3 (R2 for SYN)
        try (TcpScript t = new TcpScript(Map.of("syn_retries", 2))) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            Seg syn = t.expect(S);
            assertEquals(1000, t.awaitSegment(5000));
            assertEquals(syn.seq(), t.expect(S).seq());
            assertEquals(2000, t.awaitSegment(5000));
            t.expect(S);
            t.expectNothingFor(3999);
            t.advance(1);
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(TcpError.TIMED_OUT, events.closedReason);
        }
    }

    @Test
    void closedPortAnswersWithReset() {
        // RFC 9293 §3.10.7.1: ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; ACK on: <SEQ=SEG.ACK><CTL=RST>
        try (TcpScript t = new TcpScript()) {
            t.inject(S, PEER_ISS, 0);
            t.expect(R | A, 0, PEER_ISS + 1);
            t.inject(A, PEER_ISS, 777);
            Seg rst = t.expect(R);
            assertEquals(777, rst.seq());
            t.inject(R, PEER_ISS, 0);
            t.expectNothing();
            assertEquals(2, t.counter(TcpCounter.OUT_RSTS));
        }
    }

    @Test
    void listenerAnswersStrayAckWithReset() {
        // RFC 9293 §3.10.7.2 "second": an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>
        try (TcpScript t = new TcpScript(Map.of("syncookies", "never"))) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> new Events());
            t.inject(A, PEER_ISS, 4242);
            assertEquals(4242, t.expect(R).seq());
        }
    }

    // ===================================================================== data

    @Test
    void receivesDataAndDelaysAckForOneSegment() {
        // RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: ACK delayed (< 500 ms), at least every 2nd full segment
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            ConnectionHandle.tcbOf(p.connection).quickAcks = 0;
            t.segment(A | P, PEER_ISS + 1, p.iss + 1).data(100).send();
            assertEquals(100, p.events.received.size());
            t.expectNothingFor(39);
            t.advance(1);
            t.expect(A, p.iss + 1, PEER_ISS + 101);
            // two full-sized segments: ACK at once
            t.segment(A, PEER_ISS + 101, p.iss + 1).data(1460).send();
            t.expectNothing();
            t.segment(A, PEER_ISS + 1561, p.iss + 1).data(1460).send();
            t.expect(A, p.iss + 1, PEER_ISS + 3021);
        }
    }

    @Test
    void quickAcksAtStartOfConnection() {
        // RFC 5681 §4.2 allows immediate ACKs; quick ACK while the peer slow-starts (as Linux)
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.segment(A | P, PEER_ISS + 1, p.iss + 1).data(100).send();
            t.expect(A, p.iss + 1, PEER_ISS + 101);
        }
    }

    @Test
    void outOfOrderDataGetsImmediateDuplicateAckWithSack() {
        // RFC 5681 §4.2 (immediate ACK for out-of-order data and for filling a gap), RFC 2018 §4 (SACK)
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            ConnectionHandle.tcbOf(p.connection).quickAcks = 0;
            t.segment(A, PEER_ISS + 1 + 1000, p.iss + 1).data(500).send();
            Seg dup = t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(1, dup.options().sackBlocks);
            assertEquals(PEER_ISS + 1001, dup.options().sackEdges[0]);
            assertEquals(PEER_ISS + 1501, dup.options().sackEdges[1]);
            assertEquals(0, p.events.received.size());
            byte[] first = TcpScript.pattern(1000, 1);
            t.segment(A, PEER_ISS + 1, p.iss + 1).data(first).send();
            t.expect(A, p.iss + 1, PEER_ISS + 1501);
            assertEquals(1500, p.events.received.size());
            assertArrayEquals(first, Arrays.copyOf(p.events.received.toByteArray(), 1000));
        }
    }

    @Test
    void sendsDataWithinWindowAndRetransmitsOnTimeoutWithBackoff() {
        // RFC 6298 §5.1 (start the timer), §5.4-5.6 (retransmit earliest, double RTO), Karn §3
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, TcpScript.pattern(1000, 5));
            Seg data = t.expect(A | P, p.iss + 1, PEER_ISS + 1);
            assertEquals(1000, data.data().length);
            long rto = ConnectionHandle.tcbOf(p.connection).rtoNs / 1_000_000L;
            long first = t.awaitSegment(10_000);
            assertEquals(rto, first, "first retransmission after the RTO");
            assertEquals(p.iss + 1, t.expect(A | P).seq());
            long second = t.awaitSegment(10_000);
            assertEquals(2 * rto, second, "RTO doubled");
            t.expect(A | P);
            assertEquals(2, t.counter(TcpCounter.RETRANS_SEGS));
            t.inject(A, PEER_ISS + 1, p.iss + 1001);
            t.expectNothingFor(5000);
        }
    }

    @Test
    void withSegmentationOffloadSendsWholeMssMultiplesInOneSegmentForTheDeviceToCut() {
        // RFC 9293 §3.7.1: segments on the wire stay within the MSS; the device cuts what the stack
        // sends as one (TSO): here the initial window (RFC 5681 §3.1, 10 MSS of 1460) goes as one.
        try (TcpScript t = new TcpScript()) {
            t.network.segmentLimit = 65_515;
            Passive p = passive(t);
            byte[] data = TcpScript.pattern(40_000, 3);
            assertEquals(data.length, TcpScript.send(p.connection, data));
            Seg first = t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertTrue(first.data().length > 1460, "more than one MSS in one segment: " + first);
            assertEquals(0, first.data().length % 1460, "whole MSS, no short segment mid-stream");
            assertEquals(List.of(1460), t.network.segmentSizes);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            got.writeBytes(first.data());
            int acked = p.iss + 1 + first.data().length;
            t.inject(A, PEER_ISS + 1, acked);
            while (got.size() < data.length) {
                Seg next = t.next();
                assertTrue((next.flags() & A) != 0, next::toString);
                assertEquals(p.iss + 1 + got.size(), next.seq());
                got.writeBytes(next.data());
                t.inject(A, PEER_ISS + 1, next.seq() + next.data().length);
            }
            assertArrayEquals(data, got.toByteArray());
            assertTrue(t.network.segmentSizes.size() < data.length / 1460, "fewer sends than MSS-sized segments");
            assertEquals(0, t.counter(TcpCounter.RETRANS_SEGS));
        }
    }

    @Test
    void withoutSegmentationOffloadNoSegmentExceedsTheMss() {
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, TcpScript.pattern(20_000, 4));
            Seg first = t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(1460, first.data().length);
            assertTrue(t.network.segmentSizes.isEmpty());
        }
    }

    @Test
    void acksEverySecondFullSizedSegmentWhenTimestampsShortenIt() {
        // RFC 1122 §4.2.3.2 / RFC 9293 §3.8.6.3: an ACK at least every second full-sized segment;
        // with timestamps (RFC 7323) a full-sized segment carries 1460 - 12 = 1448 bytes.
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            int seq = PEER_ISS + 1;
            for (int i = 0; i < Tcb.QUICK_ACKS; i++) { // the quick ACKs of a new connection
                t.segment(A, seq, p.iss + 1).data(1448).ts(++t.peerTsVal, 0).send();
                seq += 1448;
                t.expect(A);
            }
            t.segment(A, seq, p.iss + 1).data(1448).ts(++t.peerTsVal, 0).send();
            seq += 1448;
            t.expectNothing(); // one segment: the ACK may wait (delayed ACK)
            t.segment(A, seq, p.iss + 1).data(1448).ts(++t.peerTsVal, 0).send();
            seq += 1448;
            assertEquals(seq, t.expect(A).ack(), "the second full-sized segment is acknowledged at once");
        }
    }

    @Test
    void nagleHoldsSmallSegmentWhileDataIsUnacknowledged() {
        // RFC 9293 §3.7.4 (Nagle), noDelay disables it
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, new byte[10]);
            t.expect(A | P);
            TcpScript.send(p.connection, new byte[10]);
            TcpScript.send(p.connection, new byte[10]);
            t.expectNothing();
            t.inject(A, PEER_ISS + 1, p.iss + 11);
            Seg coalesced = t.expect(A | P, p.iss + 11, PEER_ISS + 1);
            assertEquals(20, coalesced.data().length);
            p.connection.setNoDelay(true);
            TcpScript.send(p.connection, new byte[10]);
            t.expect(A | P, p.iss + 31, PEER_ISS + 1);
        }
    }

    @Test
    void fastRetransmitOnThirdDuplicateAck() {
        // RFC 5681 §3.2 (fast retransmit on the 3rd duplicate ACK), RFC 6582 §3.2 (NewReno partial ACK)
        try (TcpScript t = new TcpScript(Map.of("sack", false))) {
            Passive p = passive(t);
            TcpScript.send(p.connection, TcpScript.pattern(5 * 1460, 9));
            for (int i = 0; i < 5; i++) {
                t.expect(A | (i == 4 ? P : 0));
            }
            int una = p.iss + 1;
            for (int i = 0; i < 2; i++) {
                t.segment(A, PEER_ISS + 1, una).window(512).send();
                t.expectNothing();
            }
            t.segment(A, PEER_ISS + 1, una).window(512).send();
            Seg rexmit = t.expect(A, una, PEER_ISS + 1);
            assertEquals(1460, rexmit.data().length);
            assertEquals(1, t.counter(TcpCounter.FAST_RETRANSMITS));
            // partial ACK: the next hole is retransmitted at once (RFC 6582 §3.2 step 3)
            t.segment(A, PEER_ISS + 1, una + 2920).window(512).send();
            t.expect(A, una + 2920, PEER_ISS + 1);
            t.segment(A, PEER_ISS + 1, una + 5 * 1460).window(512).send();
            assertTrue(!ConnectionHandle.tcbOf(p.connection).inRecovery);
        }
    }

    @Test
    void sackRecoveryRetransmitsOnlyTheHoles() {
        // RFC 6675 §5 (loss recovery with the scoreboard: NextSeg rule 1), RFC 2018 §3
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, TcpScript.pattern(6 * 1460, 3));
            for (int i = 0; i < 6; i++) {
                t.next();
            }
            int una = p.iss + 1;
            // segment 2 (index 1) lost; 3..6 SACKed
            t.segment(A, PEER_ISS + 1, una + 1460).window(512).sack(una + 2920, una + 4380).send();
            t.segment(A, PEER_ISS + 1, una + 1460).window(512).sack(una + 2920, una + 5840).send();
            t.expectNothing();
            t.segment(A, PEER_ISS + 1, una + 1460).window(512).sack(una + 2920, una + 7300).send();
            Seg rexmit = t.expect(A, una + 1460, PEER_ISS + 1);
            assertEquals(1460, rexmit.data().length);
            assertEquals(1, t.counter(TcpCounter.SACK_RECOVERIES));
            t.expectNothing();
        }
    }

    @Test
    void zeroWindowIsProbedWithBackoffAndNeverTimesOut() {
        // RFC 9293 §3.8.6.1 (zero-window probing), RFC 1122 §4.2.2.17 (no timeout while probes are answered)
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.segment(A, PEER_ISS + 1, p.iss + 1).window(0).send();
            TcpScript.send(p.connection, new byte[100]);
            t.expectNothing();
            long previous = 0;
            for (int i = 0; i < 4; i++) {
                long waited = t.awaitSegment(200_000);
                Seg probe = t.expect(A, p.iss, PEER_ISS + 1);
                assertEquals(0, probe.data().length);
                assertTrue(waited >= previous, "backoff");
                previous = waited;
                t.segment(A, PEER_ISS + 1, p.iss + 1).window(0).send();
            }
            assertEquals(TcpState.ESTABLISHED, p.connection.state());
            t.segment(A, PEER_ISS + 1, p.iss + 1).window(512).send();
            assertEquals(100, t.expect(A | P, p.iss + 1, PEER_ISS + 1).data().length);
        }
    }

    @Test
    void keepAliveProbesIdleConnectionAndTimesOut() {
        // RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6: probes <SEQ=SND.NXT-1> after the idle time; give up after count
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.setKeepAlive(true, 1000, 100, 3);
            t.expectNothingFor(999);
            t.advance(1);
            t.expect(A, p.iss, PEER_ISS + 1);
            t.inject(A, PEER_ISS + 1, p.iss + 1); // answered: idle again
            t.expectNothingFor(999);
            t.advance(1);
            t.expect(A, p.iss, PEER_ISS + 1);
            t.awaitSegment(200);
            t.expect(A);
            t.awaitSegment(200);
            t.expect(A);
            t.advance(100);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(TcpError.TIMED_OUT, p.events.closedReason);
        }
    }

    // ===================================================================== RFC 5961

    @Test
    void resetInWindowButNotExactGetsChallengeAck() {
        // RFC 5961 §3.2: RST with SEG.SEQ != RCV.NXT but in window → challenge ACK; exact → reset
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.inject(R, PEER_ISS + 1 + 100, 0);
            t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, p.connection.state());
            t.inject(R, PEER_ISS + 1 + 10_000_000, 0); // outside the window: silently dropped
            t.expectNothing();
            t.inject(R, PEER_ISS + 1, 0);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(TcpError.CONNECTION_RESET, p.events.closedReason);
            assertEquals(1, t.counter(TcpCounter.ESTAB_RESETS));
        }
    }

    @Test
    void synInEstablishedGetsChallengeAck() {
        // RFC 5961 §4.2: any SYN in a synchronized state → challenge ACK, connection kept
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.inject(S, PEER_ISS + 1 + 5, 0);
            t.expect(A, p.iss + 1, PEER_ISS + 1);
            t.inject(S, PEER_ISS - 5000, 0);
            t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(TcpState.ESTABLISHED, p.connection.state());
            assertEquals(1, t.counter(TcpCounter.CHALLENGE_ACKS));
            assertEquals(1, t.counter(TcpCounter.DROP_SEQUENCE), "out of window: the RFC 9293 ACK first");
        }
    }

    @Test
    void challengeAcksAreRateLimited() {
        // RFC 5961 §7: a limit on challenge ACKs per interval
        try (TcpScript t = new TcpScript(Map.of("challenge_ack_per_second", 5))) {
            Passive p = passive(t);
            for (int i = 0; i < 20; i++) {
                t.inject(S, PEER_ISS + 1 + i, 0);
            }
            assertEquals(5, t.counter(TcpCounter.CHALLENGE_ACKS));
            assertEquals(15, t.counter(TcpCounter.CHALLENGE_ACKS_SUPPRESSED));
            t.advance(1000);
            t.drain();
            t.inject(S, PEER_ISS + 1, 0);
            t.expect(A);
        }
    }

    @Test
    void ackOfUnsentDataIsDroppedWithAck() {
        // RFC 5961 §5.2 / RFC 9293 §3.10.7.4 "fifth": SEG.ACK > SND.NXT → send ACK, drop the segment
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.segment(A, PEER_ISS + 1, p.iss + 5000).data(10).send();
            t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(0, p.events.received.size());
        }
    }

    @Test
    void outOfWindowSegmentIsAckedAndDropped() {
        // RFC 9293 §3.10.7.4 "first": unacceptable segment → <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.segment(A, PEER_ISS + 1 + 1_000_000, p.iss + 1).data(10).send();
            t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(1, t.counter(TcpCounter.DROP_SEQUENCE));
        }
    }

    // ===================================================================== RFC 7323

    @Test
    void pawsDropsOldTimestamp() {
        // RFC 7323 §5.3 R1-R3: TSval < TS.Recent → drop and ACK
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            t.segment(A, PEER_ISS + 1, p.iss + 1).data(10).ts(t.peerTsVal + 10, 0).send();
            t.drain();
            assertEquals(10, p.events.received.size());
            t.segment(A, PEER_ISS + 11, p.iss + 1).data(10).ts(t.peerTsVal - 100, 0).send();
            t.expect(A, p.iss + 1, PEER_ISS + 11);
            assertEquals(10, p.events.received.size());
            assertEquals(1, t.counter(TcpCounter.DROP_PAWS));
        }
    }

    @Test
    void echoesTimestampsAndScalesWindow() {
        // RFC 7323 §3.2 (TSecr = TS.Recent), §2.3 (window field shifted by our scale)
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            t.segment(A | P, PEER_ISS + 1, p.iss + 1).data(10).ts(5555, 0).send();
            Seg ack = t.expect(A);
            assertTrue(ack.options().hasTimestamp);
            assertEquals(5555, ack.options().tsEcr);
            Tcb tcb = ConnectionHandle.tcbOf(p.connection);
            int advertised = ack.window() << tcb.rcvShift;
            assertTrue(advertised <= tcb.rcvAdvRight - tcb.rcvNxt);
            assertTrue(tcb.rcvAdvRight - tcb.rcvNxt - advertised < 1 << tcb.rcvShift);
        }
    }

    // ===================================================================== closing

    @Test
    void activeCloseGoesThroughFinWaitToTimeWaitForTwoMsl() {
        // RFC 9293 §3.6 Figure 12 (normal close), §3.10.7.4 "eighth" (FIN in FIN_WAIT_2 → TIME_WAIT 2·MSL)
        try (TcpScript t = new TcpScript(Map.of("msl_ms", 1000))) {
            Passive p = passive(t);
            p.connection.close();
            assertEquals(TcpState.FIN_WAIT_1, p.connection.state());
            t.expect(F | A, p.iss + 1, PEER_ISS + 1);
            t.inject(A, PEER_ISS + 1, p.iss + 2);
            assertEquals(TcpState.FIN_WAIT_2, p.connection.state());
            t.inject(F | A, PEER_ISS + 1, p.iss + 2);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            assertEquals(TcpError.NONE, p.events.closedReason);
            // a retransmitted FIN is ACKed again and restarts the timer
            t.advance(1000);
            t.inject(F | A, PEER_ISS + 1, p.iss + 2);
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            t.expectNothingFor(1999);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            t.advance(1);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(0, t.stack.connectionCount());
        }
    }

    @Test
    void passiveCloseGoesThroughCloseWaitAndLastAck() {
        // RFC 9293 §3.6: FIN in ESTABLISHED → CLOSE_WAIT; close → LAST_ACK; ACK of FIN → CLOSED
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.segment(F | A, PEER_ISS + 1, p.iss + 1).data(5).send();
            assertEquals(TcpState.CLOSE_WAIT, p.connection.state());
            t.expect(A, p.iss + 1, PEER_ISS + 7);
            assertTrue(p.events.log.contains("peer-closed"));
            assertEquals(-1, p.connection.receive(java.lang.foreign.Arena.ofAuto().allocate(10), 0, 10));
            p.connection.close();
            assertEquals(TcpState.LAST_ACK, p.connection.state());
            t.expect(F | A, p.iss + 1, PEER_ISS + 7);
            t.inject(A, PEER_ISS + 7, p.iss + 2);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(TcpError.NONE, p.events.closedReason);
        }
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        // RFC 9293 §3.6 Figure 13: FIN_WAIT_1 + FIN → CLOSING; ACK of our FIN → TIME_WAIT
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.close();
            t.expect(F | A, p.iss + 1, PEER_ISS + 1);
            t.inject(F | A, PEER_ISS + 1, p.iss + 1);
            assertEquals(TcpState.CLOSING, p.connection.state());
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            t.inject(A, PEER_ISS + 2, p.iss + 2);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
        }
    }

    @Test
    void halfCloseKeepsReceiving() {
        // RFC 9293 §3.6 (half-close: shutdown of output, data still flows in)
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.shutdownOutput();
            t.expect(F | A, p.iss + 1, PEER_ISS + 1);
            t.inject(A, PEER_ISS + 1, p.iss + 2);
            assertEquals(TcpState.FIN_WAIT_2, p.connection.state());
            t.segment(A | P, PEER_ISS + 1, p.iss + 2).data(300).send();
            assertEquals(300, p.events.received.size());
            assertEquals(-1, TcpScript.send(p.connection, new byte[1]));
        }
    }

    @Test
    void lingerZeroCloseSendsReset() {
        // RFC 9293 §3.10.5 (ABORT: <SEQ=SND.NXT><CTL=RST>), SO_LINGER 0
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, false, TcpOptions.defaults().withLinger(0));
            p.connection.close();
            t.expect(R, p.iss + 1, 0);
            assertEquals(TcpState.CLOSED, p.connection.state());
        }
    }

    @Test
    void finWait2TimesOutForOrphans() {
        // RFC 9293 §3.10.7.4 leaves FIN_WAIT_2 open; like Linux (tcp_fin_timeout) an orphan gives up
        try (TcpScript t = new TcpScript(Map.of("fin_wait_2_timeout_ms", 500))) {
            Passive p = passive(t);
            p.connection.close();
            t.expect(F | A);
            t.inject(A, PEER_ISS + 1, p.iss + 2);
            assertEquals(TcpState.FIN_WAIT_2, p.connection.state());
            t.advance(500);
            assertEquals(TcpState.CLOSED, p.connection.state());
        }
    }

    @Test
    void timeWaitIsReusedByNewerTimestamp() {
        // RFC 6191 §2: a SYN with TSval > TS.Recent reopens a connection in TIME_WAIT
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            p.connection.close();
            t.expect(F | A);
            t.segment(F | A, PEER_ISS + 1, p.iss + 2).ts(++t.peerTsVal, 0).send();
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            t.drain();
            // an old timestamp: not reused, the TIME_WAIT connection ACKs
            t.segment(S, PEER_ISS + 500, 0).ts(t.peerTsVal - 50, 0).mss(1460).send();
            t.expect(A);
            t.segment(S, PEER_ISS + 500, 0).ts(t.peerTsVal + 50, 0).mss(1460).send();
            Seg synAck = t.expect(S | A);
            assertEquals(PEER_ISS + 501, synAck.ack());
            assertTrue(Tcb.lt(p.iss + 2, synAck.seq()), "new ISN above the old sequence space");
            assertEquals(1, t.counter(TcpCounter.TIME_WAIT_REUSED));
        }
    }

    @Test
    void dataAfterCloseResetsConnection() {
        // RFC 9293 §3.10.4 / RFC 2525 §2.17: data for a closed application → RST
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.close();
            t.expect(F | A);
            t.segment(A, PEER_ISS + 1, p.iss + 2).data(10).send();
            t.expect(R);
            assertEquals(TcpState.CLOSED, p.connection.state());
        }
    }

    // ===================================================================== listener limits

    @Test
    void synCookiesWhenSynQueueIsFull() {
        // RFC 4987 §3.6: with the SYN queue full, answer statelessly; the returning ACK opens the connection
        try (TcpScript t = new TcpScript(Map.of("syn_queue", 1))) {
            Events events = new Events();
            TcpConnection[] accepted = new TcpConnection[3];
            int[] count = {0};
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> {
                accepted[count[0]++] = c;
                return events;
            });
            t.segment(S, PEER_ISS, 0).mss(1460).send();
            t.expect(S | A);
            t.segment(S, 5000, 0).ports(40_001, 80).mss(1460).ts(77, 0).ws(5).sackOk().send();
            Seg cookie = t.expect(S | A);
            assertEquals(1, t.counter(TcpCounter.SYN_COOKIES_SENT));
            assertEquals(1, t.stack.connectionCount(), "no state for the cookie");
            // a forged ACK opens nothing; in cookie mode it is dropped without RST (TcpStackTest has why)
            t.segment(A, 5001, cookie.seq() + 2).ports(40_001, 80).send();
            t.expectNothing();
            assertEquals(1, t.counter(TcpCounter.DROP_BAD_COOKIE));
            t.segment(A, 5001, cookie.seq() + 1).ports(40_001, 80).ts(78, cookie.options().tsVal).send();
            assertEquals(1, count[0]);
            Tcb tcb = ConnectionHandle.tcbOf(accepted[0]);
            assertEquals(TcpState.ESTABLISHED, tcb.state());
            assertEquals(5, tcb.sndShift, "window scale recovered from the timestamp");
            assertTrue(tcb.sackOk);
            assertEquals(1, t.counter(TcpCounter.SYN_COOKIES_ACCEPTED));
        }
    }

    @Test
    void acceptQueueLimitDropsFinalAck() {
        // Listen backlog: a full accept queue drops the handshake's ACK (as Linux); the peer retransmits
        try (TcpScript t = new TcpScript(Map.of("syncookies", "never"))) {
            TcpListener listener = t.stack.listen(0, 80, TcpOptions.defaults().withBacklog(1),
                    new dev.netstack.tcp.TcpListenerHandler() {
                        @Override
                        public dev.netstack.tcp.TcpHandler onAccept(TcpConnection c) {
                            return new Events();
                        }

                        @Override
                        public void onAcceptable(TcpListener l) {
                            // the application does not accept yet
                        }
                    });
            int[] iss = new int[2];
            for (int i = 0; i < 2; i++) {
                t.segment(S, PEER_ISS, 0).ports(40_000 + i, 80).send();
                iss[i] = t.expect(S | A).seq();
            }
            for (int i = 0; i < 2; i++) {
                t.segment(A, PEER_ISS + 1, iss[i] + 1).ports(40_000 + i, 80).send();
            }
            assertEquals(1, listener.acceptQueueLength());
            assertEquals(1, t.counter(TcpCounter.DROP_ACCEPT_QUEUE_FULL));
            assertNotNull(listener.accept());
            assertNull(listener.accept());
        }
    }

    @Test
    void connectionLimitRefusesConnect() {
        try (TcpScript t = new TcpScript(Map.of("max_connections", 1))) {
            t.stack.connect(PEER, 80, 0, 0, TcpOptions.defaults(), new Events());
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.netstack.tcp.TcpException.class,
                    () -> t.stack.connect(PEER, 81, 0, 0, TcpOptions.defaults(), new Events()));
            assertEquals(TcpError.CONNECTION_LIMIT, e.error());
            t.drain();
        }
    }

    @Test
    void deactivationResetsConnectionsWithProtocolStopped() {
        // Hot swap (ARCHITECTURE.md): stopping the module resets its connections
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            t.stack.close();
            t.expect(R, p.iss + 1, 0);
            assertEquals(TcpError.PROTOCOL_STOPPED, p.events.closedReason);
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.netstack.tcp.TcpException.class,
                    () -> t.stack.connect(PEER, 81, 0, 0, TcpOptions.defaults(), new Events()));
            assertEquals(TcpError.PROTOCOL_STOPPED, e.error());
        }
    }

    @Test
    void badChecksumIsCountedAndDropped() {
        // RFC 9293 §3.1: segments failing the checksum are discarded
        try (TcpScript t = new TcpScript()) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> new Events());
            t.segment(S, PEER_ISS, 0).badChecksum().send();
            t.expectNothing();
            assertEquals(1, t.counter(TcpCounter.DROP_BAD_CHECKSUM));
        }
    }

    @Test
    void addressesAreTakenFromTheSegment() {
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            assertEquals(LOCAL, p.connection.localAddress());
            assertEquals(PEER, p.connection.remoteAddress());
            assertEquals(40_000, p.connection.remotePort());
        }
    }

    // ===================================================================== ICMP

    /** An ICMP error as the IP layer hands it up: data at the quoted IP header, ICMP header before it. */
    static void icmp(TcpScript t, int type, int code, int mtu, int localPort, int remotePort, int seq) {
        dev.netstack.nic.PacketBuffer b = t.pool.allocate();
        int at = b.append(8 + 20 + 8);
        java.lang.foreign.MemorySegment m = b.segment();
        m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) type);
        m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 1, (byte) code);
        m.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), at + 6,
                (short) mtu);
        new dev.netstack.ip.wire.Ipv4Header().wrap(m, at + 8).emit(1500, 0, 0x4000, 64, 6, LOCAL, PEER);
        new dev.netstack.tcp.wire.TcpHeader().wrap(m, at + 28).sourcePort(localPort).destinationPort(remotePort)
                .sequence(seq);
        b.advance(8);
        b.setTransportOffset(at + 28);
        t.stack.icmpErrorReceived(type, code, b, t.clock.nanoTime());
        b.release();
    }

    @Test
    void portUnreachableRefusesConnectionAttempt() {
        // RFC 1122 §4.2.3.9: ICMP port/protocol unreachable is a hard error for a connection attempt
        try (TcpScript t = new TcpScript()) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            Seg syn = t.expect(S);
            icmp(t, 3, 3, 0, 40_000, 80, syn.seq() + 99); // quoting a sequence number never sent: ignored (RFC 5927)
            assertEquals(TcpState.SYN_SENT, c.state());
            icmp(t, 3, 3, 0, 40_000, 80, syn.seq());
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(TcpError.CONNECTION_REFUSED, events.closedReason);
        }
    }

    @Test
    void fragmentationNeededLowersMss() {
        // RFC 1191 §4: "fragmentation needed" carries the next-hop MTU; the sender lowers its segment size
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, TcpScript.pattern(3000, 1));
            t.expect(A);
            t.drain();
            icmp(t, 3, 4, 1000, 80, 40_000, p.iss + 1);
            assertEquals(960, ConnectionHandle.tcbOf(p.connection).mss);
            Seg resent = t.expect(A, p.iss + 1, PEER_ISS + 1);
            assertEquals(960, resent.data().length);
            assertEquals(1, t.counter(TcpCounter.PMTU_UPDATES));
        }
    }

    // ===================================================================== windows

    @Test
    void receiverAvoidsSillyWindowUpdates() {
        // RFC 9293 §3.8.6.2.2: the right edge moves only by min(buffer/2, MSS) or more
        try (TcpScript t = new TcpScript(Map.of("receive_buffer_bytes", 8192, "initial_receive_window_bytes", 8192))) {
            Passive p = passive(t);
            p.events.autoRead = false;
            Tcb tcb = ConnectionHandle.tcbOf(p.connection);
            int seq = PEER_ISS + 1;
            for (int i = 0; i < 8; i++) {
                t.segment(A, seq, p.iss + 1).data(1024).send();
                seq += 1024;
            }
            t.advance(100);
            Seg last = t.sent.peekLast();
            assertEquals(0, last.window(), "window closed: " + last);
            t.drain();
            p.connection.receive(java.lang.foreign.Arena.ofAuto().allocate(100), 0, 100);
            t.advance(100);
            t.expectNothing();
            assertEquals(tcb.rcvNxt, tcb.rcvAdvRight, "no silly window of 100 bytes advertised");
            p.connection.receive(java.lang.foreign.Arena.ofAuto().allocate(4096), 0, 4096);
            Seg update = t.expect(A);
            assertTrue(update.window() << tcb.rcvShift >= 4096, "window update " + update);
        }
    }

    @Test
    void senderAvoidsSillyWindowSegments() {
        // RFC 9293 §3.8.6.2.1: no small segment into a small offered window while data is in flight
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.setNoDelay(true);
            TcpScript.send(p.connection, new byte[4000]);
            t.drain();
            t.segment(A, PEER_ISS + 1, p.iss + 1 + 1460).window(1).send(); // 128 bytes offered, 1460+ in flight
            t.expectNothing();
        }
    }

    @Test
    void receiveWindowGrowsByAutoTuning() {
        // Receive buffer auto-tuning: the window starts at initial.receive.window.bytes and grows to the buffer
        try (TcpScript t = new TcpScript(Map.of("initial_receive_window_bytes", 16_384))) {
            Passive p = passive(t);
            Tcb tcb = ConnectionHandle.tcbOf(p.connection);
            int start = tcb.rcvWindowLimit;
            int seq = PEER_ISS + 1;
            for (int i = 0; i < 200; i++) {
                t.segment(A, seq, p.iss + 1).data(1448).send();
                seq += 1448;
                t.advance(1); // 1448 bytes per ms: 144 KB in the 100 ms default epoch
            }
            assertTrue(tcb.rcvWindowLimit > start, start + " -> " + tcb.rcvWindowLimit);
            assertTrue(tcb.rcvWindowLimit <= 256 * 1024);
        }
    }

    // ===================================================================== congestion control

    @Test
    void congestionControlIsChosenPerConnectionWithFallback() {
        // The SPI: factories by name; the configured default; the built-in when none is installed
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            assertEquals("reno", p.connection.info().congestionControl(), "nothing installed: built-in");
            dev.netstack.tcp.CongestionControlFactory cubic = new dev.netstack.tcp.CongestionControlFactory() {
                @Override
                public String name() {
                    return "cubic";
                }

                @Override
                public dev.netstack.tcp.CongestionControl create(int mss, long nowNs) {
                    BuiltinReno reno = new BuiltinReno(mss);
                    return new dev.netstack.tcp.CongestionControl() {
                        public String name() {
                            return "cubic";
                        }

                        public long cwndBytes() {
                            return reno.cwndBytes();
                        }

                        public long ssthreshBytes() {
                            return reno.ssthreshBytes();
                        }

                        public void onAck(long acked, long rttNs, long flight, long now) {
                            reno.onAck(acked, rttNs, flight, now);
                        }

                        public void onEnterRecovery(long flight, long now) {
                            reno.onEnterRecovery(flight, now);
                        }

                        public void onExitRecovery(long flight, long now) {
                            reno.onExitRecovery(flight, now);
                        }

                        public void onRetransmissionTimeout(long flight, long now) {
                            reno.onRetransmissionTimeout(flight, now);
                        }

                        public void onMssChanged(int m) {
                            reno.onMssChanged(m);
                        }
                    };
                }
            };
            t.stack.addCongestionControl(cubic);
            assertTrue(t.stack.congestionControls().contains("cubic"));
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 81, 0, 40_001, TcpOptions.defaults(), events);
            Seg syn = t.expect(S);
            t.segment(S | A, 5, syn.seq() + 1).ports(81, 40_001).send();
            t.expect(A);
            assertEquals("cubic", c.info().congestionControl(), "the configured default");
            assertTrue(c.setCongestionControl("reno"));
            assertEquals("reno", c.info().congestionControl());
            assertTrue(!c.setCongestionControl("vegas"), "not installed");
            TcpConnection d = t.stack.connect(PEER, 82, 0, 40_002,
                    TcpOptions.defaults().withCongestionControl("vegas"), new Events());
            Seg syn2 = t.expect(S);
            t.segment(S | A, 5, syn2.seq() + 1).ports(82, 40_002).send();
            t.expect(A);
            assertEquals("cubic", d.info().congestionControl(), "absent algorithm falls back to the default");
            t.stack.removeCongestionControl("cubic");
        }
    }

    // ===================================================================== more transitions

    @Test
    void finWait1GoesStraightToTimeWaitWhenFinAndAckComeTogether() {
        // RFC 9293 §3.10.7.4 "eighth": FIN in FIN_WAIT_1 with our FIN acknowledged → TIME_WAIT
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            p.connection.close();
            t.expect(F | A, p.iss + 1, PEER_ISS + 1);
            t.inject(F | A, PEER_ISS + 1, p.iss + 2);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            t.expect(A, p.iss + 2, PEER_ISS + 2);
        }
    }

    @Test
    void resetInSynReceivedForgetsPassiveConnection() {
        // RFC 9293 §3.10.7.4 "second", SYN_RECEIVED from a passive open: back to LISTEN, no one is told
        try (TcpScript t = new TcpScript()) {
            int[] accepted = {0};
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> {
                accepted[0]++;
                return new Events();
            });
            t.segment(S, PEER_ISS, 0).send();
            t.expect(S | A);
            assertEquals(1, t.stack.connectionCount());
            t.inject(R, PEER_ISS + 1, 0);
            assertEquals(0, t.stack.connectionCount());
            assertEquals(0, accepted[0]);
            t.expectNothingFor(5000);
        }
    }

    @Test
    void synAckIsRetransmittedThenHalfOpenConnectionIsDropped() {
        // RFC 6298 §5 for the SYN,ACK; the half-open connection leaves the SYN queue after syn.retries
        try (TcpScript t = new TcpScript(Map.of("syn_retries", 1))) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> new Events());
            t.segment(S, PEER_ISS, 0).send();
            Seg first = t.expect(S | A);
            assertEquals(1000, t.awaitSegment(5000));
            assertEquals(first.seq(), t.expect(S | A).seq());
            t.advance(2000);
            assertEquals(0, t.stack.connectionCount());
        }
    }

    @Test
    void retransmissionTimeoutIsBoundedAndGivesUp() {
        // RFC 6298 §2.5 (a maximum RTO), §5.5 (backoff); R2 of RFC 9293 §3.8.3 (give up: ETIMEDOUT)
        try (TcpScript t = new TcpScript(Map.of("rto_max_ms", 3000, "retries", 4))) {
            Passive p = passive(t);
            TcpScript.send(p.connection, new byte[100]);
            t.expect(A | P);
            long[] waits = new long[4];
            for (int i = 0; i < 4; i++) {
                waits[i] = t.awaitSegment(5000);
                t.expect(A | P);
            }
            // initial RTO 1 s (no sample yet), doubled, then capped at rto.max
            assertArrayEquals(new long[] {1000, 2000, 3000, 3000}, waits, Arrays.toString(waits));
            t.advance(3000);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(TcpError.TIMED_OUT, p.events.closedReason);
        }
    }

    @Test
    void abortSendsResetAndReportsAborted() {
        // RFC 9293 §3.10.5: ABORT in ESTABLISHED sends <SEQ=SND.NXT><CTL=RST>
        try (TcpScript t = new TcpScript()) {
            Passive p = passive(t);
            TcpScript.send(p.connection, new byte[10]);
            t.expect(A | P);
            p.connection.abort();
            t.expect(R, p.iss + 11, 0);
            assertEquals(TcpError.CONNECTION_ABORTED, p.events.closedReason);
            assertEquals(-1, TcpScript.send(p.connection, new byte[1]));
        }
    }
}
