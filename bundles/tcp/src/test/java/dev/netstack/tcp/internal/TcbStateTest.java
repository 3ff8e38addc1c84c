package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcbTest.PEER_ISS;
import static dev.netstack.tcp.internal.TcpScript.A;
import static dev.netstack.tcp.internal.TcpScript.F;
import static dev.netstack.tcp.internal.TcpScript.P;
import static dev.netstack.tcp.internal.TcpScript.PEER;
import static dev.netstack.tcp.internal.TcpScript.R;
import static dev.netstack.tcp.internal.TcpScript.S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.internal.TcbTest.Passive;
import dev.netstack.tcp.internal.TcpScript.Events;
import dev.netstack.tcp.internal.TcpScript.Seg;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The state transitions and clauses of issue 3's checklist that {@link TcbTest} leaves out: RST in
 * CLOSE_WAIT, LAST_ACK and TIME_WAIT, CLOSE in SYN_SENT, a SYN in TIME_WAIT without timestamps,
 * PAWS for RSTs and after a long idle time, the zero receive window. A class of its own so that
 * the helpers editing {@link TcbTest} at the same time do not collide; same DSL, same style.
 */
class TcbStateTest {

    /** A passive connection with timestamps that the application closed: TIME_WAIT after the peer's FIN. */
    static Passive inTimeWait(TcpScript t, boolean timestamps) {
        Passive p = new Passive(t, timestamps, TcpOptions.defaults());
        p.connection.close();
        t.expect(F | A);
        var fin = t.segment(F | A, PEER_ISS + 1, p.iss + 2);
        if (timestamps) {
            fin.ts(++t.peerTsVal, 0);
        }
        fin.send();
        assertEquals(TcpState.TIME_WAIT, p.connection.state());
        t.drain();
        return p;
    }

    @Test
    void synInTimeWaitWithoutTimestampsReopensOnlyAboveRcvNxt() {
        // RFC 9293 §3.10.7.4 (TIME_WAIT) with RFC 1122 §4.2.2.13: without timestamps a SYN may start a
        // new incarnation only if its sequence number is above the old RCV.NXT; else it is answered
        // as an unacceptable segment by the TIME_WAIT connection
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, false);
            t.segment(S, PEER_ISS + 2 - 100, 0).mss(1460).send();
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            assertEquals(0, t.counter(TcpCounter.TIME_WAIT_REUSED));
            t.segment(S, PEER_ISS + 100_000, 0).mss(1460).send();
            Seg synAck = t.expect(S | A);
            assertEquals(PEER_ISS + 100_001, synAck.ack());
            assertTrue(Tcb.lt(p.iss + 2, synAck.seq()), "RFC 6191 §2: the new ISN lies above the old sequence space");
            assertEquals(1, t.counter(TcpCounter.TIME_WAIT_REUSED));
            assertEquals(TcpState.CLOSED, p.connection.state());
        }
    }

    @Test
    void synInTimeWaitWithoutListenerIsAnsweredByTheOldConnection() {
        // RFC 6191 §2 reopens for a listener only; with none the TIME_WAIT connection ACKs (RFC 9293 §3.10.7.4)
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, true);
            p.listener.close();
            t.segment(S, PEER_ISS + 100_000, 0).ts(t.peerTsVal + 50, 0).mss(1460).send();
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
        }
    }

    @Test
    void resetInTimeWaitClosesIt() {
        // RFC 9293 §3.10.7.4 "second", TIME_WAIT: an acceptable RST enters CLOSED (no error to report)
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, false);
            t.inject(R, PEER_ISS + 2, 0);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(0, t.stack.connectionCount());
            t.expectNothing();
        }
    }

    @Test
    void resetInCloseWaitReportsConnectionReset() {
        // RFC 9293 §3.10.7.4 "second", CLOSE_WAIT is a synchronized state: RST → "connection reset", CLOSED
        try (TcpScript t = new TcpScript()) {
            Passive p = TcbTest.passive(t);
            t.inject(F | A, PEER_ISS + 1, p.iss + 1);
            assertEquals(TcpState.CLOSE_WAIT, p.connection.state());
            t.inject(R, PEER_ISS + 2, 0);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(TcpError.CONNECTION_RESET, p.events.closedReason);
        }
    }

    @Test
    void resetInLastAckClosesWithoutError() {
        // RFC 9293 §3.10.7.4 "second", LAST_ACK: RST → CLOSED; the application closed already, no error
        try (TcpScript t = new TcpScript()) {
            Passive p = TcbTest.passive(t);
            t.inject(F | A, PEER_ISS + 1, p.iss + 1);
            t.drain();
            p.connection.close();
            assertEquals(TcpState.LAST_ACK, p.connection.state());
            t.expect(F | A, p.iss + 1, PEER_ISS + 2);
            t.inject(R, PEER_ISS + 2, 0);
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(0, t.stack.connectionCount());
            t.expectNothingFor(5000); // no FIN retransmission after the TCB is gone
        }
    }

    @Test
    void closeInSynSentAbandonsTheAttempt() {
        // RFC 9293 §3.10.4 CLOSE in SYN_SENT: delete the TCB; nothing is sent, the SYN is not retransmitted
        try (TcpScript t = new TcpScript()) {
            Events events = new Events();
            TcpConnection c = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), events);
            t.expect(S);
            c.close();
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(0, t.stack.connectionCount());
            t.expectNothingFor(3000);
        }
    }

    @Test
    void pawsDoesNotApplyToReset() {
        // RFC 7323 §5.3 R1 and §5.2: RSTs are acceptable regardless of their timestamp (they need not carry one)
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            t.segment(R, PEER_ISS + 1, 0).ts(t.peerTsVal - 1000, 0).send();
            assertEquals(TcpState.CLOSED, p.connection.state());
            assertEquals(0, t.counter(TcpCounter.DROP_PAWS));
        }
    }

    @Test
    void pawsForgetsAnOldTsRecentAfterTwentyFourDaysIdle() {
        // RFC 7323 §5.5: TS.Recent is invalid after 24 days idle, so an "old" timestamp is then accepted
        try (TcpScript t = new TcpScript()) {
            Passive p = new Passive(t, true, TcpOptions.defaults());
            t.segment(A, PEER_ISS + 1, p.iss + 1).ts(t.peerTsVal - 1000, 0).data(10).send();
            assertEquals(1, t.counter(TcpCounter.DROP_PAWS));
            t.drain();
            t.clock.advance(Tcb.PAWS_IDLE_NS + 1_000_000_000L);
            t.loop.runTurn(t.clock.nanoTime());
            t.drain();
            t.segment(A, PEER_ISS + 1, p.iss + 1).ts(t.peerTsVal - 1000, 0).data(10).send();
            assertEquals(1, t.counter(TcpCounter.DROP_PAWS));
            assertEquals(10, p.events.received.size());
        }
    }

    @Test
    void zeroReceiveWindowTakesNoDataAndAnswersProbesWithTheWindow() {
        // RFC 9293 §3.10.7.4 "first": with RCV.WND = 0 no data is acceptable, but the segment at RCV.NXT is
        // ACKed (§3.8.6.1: a probe must be answered with the current window); reading reopens it (§3.8.6.2.2)
        try (TcpScript t = new TcpScript(Map.of("receive_buffer_bytes", 4096, "initial_receive_window_bytes", 4096))) {
            Passive p = new Passive(t, false, TcpOptions.defaults());
            p.events.autoRead = false;
            int seq = PEER_ISS + 1;
            while (true) {
                t.segment(A | P, seq, p.iss + 1).data(1024).send();
                Seg ack = t.sent.isEmpty() ? null : t.sent.peekLast();
                seq += 1024;
                if (ack != null && ack.window() == 0 && ack.ack() == seq) {
                    break;
                }
                assertTrue(seq - PEER_ISS < 64 * 1024, "the window never closed");
                t.advance(50);
            }
            t.drain();
            t.segment(A, seq, p.iss + 1).data(1).send(); // a zero-window probe
            Seg answer = t.expect(A, p.iss + 1, seq);
            assertEquals(0, answer.window());
            assertEquals(TcpState.ESTABLISHED, p.connection.state());
            int buffered = p.connection.readableBytes();
            assertEquals(seq - PEER_ISS - 1, buffered, "the probe's byte was not taken");
            p.events.read(p.connection);
            Seg update = t.expect(A);
            assertTrue(update.window() > 0, "window update after reading: " + update);
        }
    }

    @Test
    void aNewConnectionOnAnOldFourTupleContinuesItsTimestampClock() {
        // RFC 7323 §5.4 and §7.1 with RFC 6191: the timestamp offset is a keyed function of the
        // 4-tuple, so a new incarnation's timestamps lie above the old one's and a peer still holding
        // the 4-tuple in TIME_WAIT accepts the SYN (a random offset per connection fails PAWS half the time)
        try (TcpScript t = new TcpScript()) {
            TcpConnection first = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), new Events());
            Seg firstSyn = t.expect(S);
            first.abort();
            t.drain();
            t.advance(1_000);
            TcpConnection second = t.stack.connect(PEER, 80, 0, 40_000, TcpOptions.defaults(), new Events());
            Seg secondSyn = t.expect(S);
            assertEquals(1_000, secondSyn.options().tsVal - firstSyn.options().tsVal,
                    "one second later on the same 4-tuple, the timestamp clock (1 ms ticks) has moved by 1000");
            second.abort();
            t.drain();
            TcpConnection other = t.stack.connect(PEER, 80, 0, 40_001, TcpOptions.defaults(), new Events());
            Seg otherSyn = t.expect(S);
            assertTrue(otherSyn.options().tsVal != secondSyn.options().tsVal,
                    "another 4-tuple has its own offset (clock values are not shared between peers' connections)");
            other.abort();
        }
    }

    @Test
    void synInTimeWaitWithEqualTimestampAndHigherSequenceReopens() {
        // RFC 6191 §2, second bullet: a SYN whose timestamp equals the last one seen (timestamp clocks
        // tick in milliseconds; a 4-tuple can come back within one tick) and whose sequence number is
        // above the old incarnation's starts a new one; answering it from TIME_WAIT stalls the peer
        // for one initial RTO (the crr benchmark's p99.99 of 1 s)
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, true);
            t.segment(S, PEER_ISS + 100_000, 0).ts(t.peerTsVal, 0).mss(1460).send();
            Seg synAck = t.expect(S | A);
            assertEquals(PEER_ISS + 100_001, synAck.ack());
            assertEquals(1, t.counter(TcpCounter.TIME_WAIT_REUSED));
            assertEquals(TcpState.CLOSED, p.connection.state());
        }
    }

    @Test
    void synInTimeWaitWithEqualTimestampAndOldSequenceIsAnsweredByTheOldConnection() {
        // RFC 6191 §2: equal timestamp but a sequence number inside the old incarnation: no reuse
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, true);
            t.segment(S, PEER_ISS + 1, 0).ts(t.peerTsVal, 0).mss(1460).send();
            t.expect(A, p.iss + 2, PEER_ISS + 2);
            assertEquals(0, t.counter(TcpCounter.TIME_WAIT_REUSED));
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
        }
    }

    @Test
    void successiveConnectsToOneDestinationTakeSuccessivePorts() {
        // RFC 6056 §3.3.4 (double-hash port selection): the port search for a destination continues
        // where the last one stopped, so a port comes back only after the whole range. A random port
        // per connect (§3.3.1) soon picks a 4-tuple closed a moment ago that the peer still holds in
        // TIME_WAIT with the timestamp clock not yet moved, and the SYN waits for one initial RTO.
        try (TcpScript t = new TcpScript()) {
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            int previous = -1;
            for (int i = 0; i < 2_000; i++) {
                TcpConnection c = t.stack.connect(PEER, 80, 0, 0, TcpOptions.defaults(), new Events());
                Seg syn = t.expect(S);
                int port = syn.sourcePort();
                assertTrue(port >= 32_768 && port <= 60_999, "ephemeral range (RFC 6056 §2.1): " + port);
                assertTrue(seen.add(port), "port " + port + " came back after " + i + " connections");
                if (previous >= 0) {
                    assertEquals(previous == 60_999 ? 32_768 : previous + 1, port, "the next port for this destination");
                }
                previous = port;
                c.abort();
                t.drain();
            }
            // another destination starts elsewhere in the range (its own offset F)
            TcpConnection other = t.stack.connect(PEER, 81, 0, 0, TcpOptions.defaults(), new Events());
            Seg syn = t.expect(S);
            assertTrue(syn.sourcePort() != (previous == 60_999 ? 32_768 : previous + 1) || !seen.contains(syn.sourcePort()),
                    "port " + syn.sourcePort());
            other.abort();
        }
    }

    @Test
    void timeWaitHoldsNoBuffersAndStillAcknowledgesARetransmittedFin() {
        // RFC 9293 §3.6/§3.10.7.4: TIME_WAIT only has to recognize old duplicates and acknowledge a
        // retransmitted FIN; it keeps sequence state, not the rings (2 MSL of a 256 KiB receive ring
        // per closed connection ran the crr benchmark out of native memory)
        try (TcpScript t = new TcpScript()) {
            Passive p = inTimeWait(t, true);
            Tcb tcb = ConnectionHandle.tcbOf(p.connection);
            assertEquals(null, tcb.sendBuf, "send ring given back");
            assertEquals(null, tcb.rcvBuf, "receive ring given back");
            t.segment(F | A, PEER_ISS + 1, p.iss + 2).ts(++t.peerTsVal, 0).send();
            Seg ack = t.expect(A, p.iss + 2, PEER_ISS + 2);
            assertTrue(ack.window() > 0, "the right edge advertised before stays: " + ack);
            assertEquals(TcpState.TIME_WAIT, p.connection.state());
            assertEquals(-1, p.connection.receive(java.lang.foreign.MemorySegment.ofArray(new byte[8]), 0, 8));
        }
    }
}
