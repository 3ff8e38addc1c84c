package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcpScript.A;
import static dev.netstack.tcp.internal.TcpScript.P;
import static dev.netstack.tcp.internal.TcpScript.R;
import static dev.netstack.tcp.internal.TcpScript.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.internal.TcpScript.Events;
import dev.netstack.tcp.internal.TcpScript.Seg;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The listener side of {@link TcpStack}: SYN cookies (RFC 4987 §3.6) when the handshakes of a
 * legitimate peer and of a SYN flood share a 4-tuple and lose segments, as {@code hping3 -S --flood}
 * from the peer's own address does (it walks through every source port). Segment-level scripts
 * with a virtual clock; the test plays the peer.
 */
class TcpStackTest {

    static final int PEER_ISS = 1_000_000;
    static final byte[] REQUEST = "GET /bytes/100000 HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n".getBytes();

    /** A listener on port 80 that keeps every accepted connection and its events. */
    static final class Server {
        final List<TcpConnection> accepted = new ArrayList<>();
        final Events events = new Events();

        Server(TcpScript t) {
            t.stack.listen(0, 80, TcpOptions.defaults(), c -> {
                accepted.add(c);
                return events;
            });
        }
    }

    /** The peer's SYN as Linux sends it (MSS, SACK, timestamps, window scale). */
    static Seg synFromPeer(TcpScript t, int iss, int port) {
        t.segment(S, iss, 0).ports(port, 80).mss(1460).sackOk().ts(t.peerTsVal, 0).ws(10).send();
        return t.expect(S | A);
    }

    @Test
    void cookieConnectionSurvivesALaterSegmentWhenItsFirstSegmentsWereLost() {
        // RFC 4987 §3.6: the cookie is checked against SEG.SEQ - 1, so only the peer's first segment
        // after the SYN,ACK can open the connection. Here the ACK and the request are lost, a flood
        // SYN on the same 4-tuple draws a cookie SYN,ACK, and the peer (ESTABLISHED) answers it with
        // a challenge ACK (RFC 5961 §4.2) at SND.NXT. RFC 9293 §3.10.7.2 would RST that ACK, and the
        // RST lands exactly on the peer's RCV.NXT: curl's "Connection reset by peer". It must be
        // dropped; the retransmitted request then opens the connection with the right bytes.
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            int cookieTs = cookie.options().tsVal;
            // lost: <ACK> and <ACK,PSH request> at PEER_ISS+1
            t.advance(5);
            t.segment(S, 77_777, 0).ports(40_000, 80).send(); // the flood's SYN, no options
            Seg floodCookie = t.expect(S | A);
            assertEquals(77_778, floodCookie.ack());
            t.segment(A, PEER_ISS + 1 + REQUEST.length, cookie.seq() + 1).ports(40_000, 80).window(63)
                    .ts(++t.peerTsVal, cookieTs).send();
            t.expectNothing();
            assertEquals(0, server.accepted.size());
            // the peer's retransmission timer: the request again, at PEER_ISS+1
            t.advance(200);
            t.segment(A | P, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).window(63)
                    .ts(++t.peerTsVal, cookieTs).data(REQUEST).send();
            assertEquals(1, server.accepted.size());
            assertEquals(TcpState.ESTABLISHED, server.accepted.get(0).state());
            assertArrayEquals(REQUEST, server.events.received.toByteArray());
            t.expect(A, cookie.seq() + 1, PEER_ISS + 1 + REQUEST.length);
            assertEquals(0, t.counter(TcpCounter.OUT_RSTS));
            assertEquals(1, t.counter(TcpCounter.SYN_COOKIES_ACCEPTED));
        }
    }

    @Test
    void dataThatOpensACookieConnectionReachesTheApplication() {
        // RFC 4987 §3.6: the peer's pure ACK is lost, its first data segment returns the cookie. The
        // application accepts (and sets its handler) when the connection opens, so it must then hear
        // of the data that came with it (RFC 9293 §3.10.7.4 "seventh", delivered to the user).
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            t.segment(A | P, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).window(63)
                    .ts(++t.peerTsVal, cookie.options().tsVal).data(REQUEST).send();
            assertEquals(1, server.accepted.size());
            assertTrue(server.events.log.contains("readable"), server.events.log.toString());
            assertArrayEquals(REQUEST, server.events.received.toByteArray());
        }
    }

    @Test
    void segmentsOfAnotherShardsFlowAreDroppedNotAnsweredOrAccepted() {
        // With several shards, a reassembled fragment of another lane's flow surfaces on lane 0: a RST
        // (RFC 9293 §3.10.7.1) or a new connection from a SYN here would break that lane's connection.
        try (TcpScript t = new TcpScript()) {
            Server server = new Server(t);
            t.network.receivesFlows = false;
            t.segment(S, PEER_ISS, 0).ports(40_000, 80).mss(1460).send();
            t.inject(A, PEER_ISS, 4242);
            t.expectNothing();
            assertEquals(0, server.accepted.size());
            assertEquals(2, t.counter(TcpCounter.DROP_OTHER_SHARD));
            t.network.receivesFlows = true;
            t.inject(A, PEER_ISS, 4242);
            assertEquals(4242, t.expect(R).seq(), "a flow of this shard is still answered");
        }
    }

    @Test
    void strayAckIsStillResetOutsideCookieMode() {
        // RFC 9293 §3.10.7.2 "second": without recent cookies an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>,
        // even one whose top bits look like a current cookie's
        try (TcpScript t = new TcpScript()) {
            new Server(t);
            t.inject(A, PEER_ISS, 4242);
            assertEquals(4242, t.expect(R).seq());
            t.inject(A, PEER_ISS, 0x0100_0001);
            assertEquals(0x0100_0001, t.expect(R).seq());
            assertEquals(2, t.counter(TcpCounter.DROP_BAD_COOKIE));
        }
    }

    @Test
    void ackOfAStaleCookiePeriodIsResetInCookieMode() {
        // RFC 4987 §3.6: a cookie is good for two periods; an ACK whose top 5 bits name no current
        // period cannot be ours, cookie mode or not, and gets the RFC 9293 §3.10.7.2 RST
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            new Server(t);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            int stale = cookie.seq() + (16 << 27); // 16 periods away
            t.inject(A, 5_000, stale + 1);
            assertEquals(stale + 1, t.expect(R).seq());
        }
    }

    @Test
    void halfOpenConnectionYieldsToTheCookieThePeerCompleted() {
        // RFC 4987 §3.6 with a retransmitted SYN: the first SYN found the SYN queue full and got a
        // cookie, the retransmission found room and got a TCB with another ISS. The peer took the
        // cookie SYN,ACK and ACKs it: RFC 9293 §3.10.7.4 "fifth" (SYN_RECEIVED, unacceptable ACK)
        // would RST the peer's connection. The cookie is valid, so the stale TCB gives way to it.
        try (TcpScript t = new TcpScript(Map.of("syn_queue", 1))) {
            Server server = new Server(t);
            synFromPeer(t, 5_000, 41_000); // another peer fills the SYN queue
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            assertEquals(1, t.counter(TcpCounter.SYN_COOKIES_SENT));
            t.segment(R, 5_001, 0).ports(41_000, 80).send(); // the other peer gives up: room again
            assertEquals(0, t.stack.connectionCount());
            // the retransmitted SYN (same ISN) now gets a TCB and an ordinary SYN,ACK
            t.advance(1000);
            Seg ordinary = synFromPeer(t, PEER_ISS, 40_000);
            assertTrue(ordinary.seq() != cookie.seq());
            assertEquals(1, t.stack.connectionCount());
            // the peer answers the cookie SYN,ACK, which came first
            t.segment(A | P, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).window(63)
                    .ts(++t.peerTsVal, cookie.options().tsVal).data(REQUEST).send();
            assertEquals(1, server.accepted.size());
            assertEquals(TcpState.ESTABLISHED, server.accepted.get(0).state());
            assertArrayEquals(REQUEST, server.events.received.toByteArray());
            t.expect(A, cookie.seq() + 1, PEER_ISS + 1 + REQUEST.length);
            assertEquals(0, t.counter(TcpCounter.OUT_RSTS));
            assertEquals(1, t.stack.connectionCount());
        }
    }

    @Test
    void floodSynOnTheSameFourTupleDoesNotBlockACookieHandshake() {
        // A flood SYN on the peer's 4-tuple arrives between the peer's cookie SYN,ACK and its ACK, when
        // the SYN queue has room: it makes a SYN_RECEIVED TCB with the flood's ISN, and the peer's
        // segments fail its sequence check (RFC 9293 §3.10.7.4 "first") until the TCB gives up after
        // syn.retries (about two minutes). The peer's valid cookie ACK replaces the stale TCB.
        try (TcpScript t = new TcpScript(Map.of("syn_queue", 1))) {
            Server server = new Server(t);
            synFromPeer(t, 5_000, 41_000);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            t.segment(R, 5_001, 0).ports(41_000, 80).send();
            assertEquals(0, t.stack.connectionCount());
            t.segment(S, 77_777, 0).ports(40_000, 80).send(); // the flood's SYN, no options
            Seg flood = t.expect(S | A);
            assertEquals(77_778, flood.ack());
            t.segment(A | P, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).window(63)
                    .ts(++t.peerTsVal, cookie.options().tsVal).data(REQUEST).send();
            assertEquals(1, server.accepted.size());
            assertArrayEquals(REQUEST, server.events.received.toByteArray());
            t.expect(A, cookie.seq() + 1, PEER_ISS + 1 + REQUEST.length);
            assertEquals(1, t.stack.connectionCount());
            t.expectNothingFor(3000); // the flood's TCB is gone: no SYN,ACK retransmissions
        }
    }

    @Test
    void cookieTimestampIsNeverAheadOfTheClock() {
        // RFC 7323 §5.4: TSval is monotonic. The cookie's TSval carries the peer's window scale and
        // SACK-permitted in its low 5 bits; if that rounded it up past the clock, the peer would take
        // it as TS.Recent and drop our next segments by PAWS (RFC 7323 §5.3 R1; Linux allows 1 tick).
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            for (int i = 0; i < 32; i++) {
                t.advance(1);
                int port = 42_000 + i;
                int iss = PEER_ISS + 1000 * i;
                Seg cookie = synFromPeer(t, iss, port);
                t.segment(A | P, iss + 1, cookie.seq() + 1).ports(port, 80).window(63)
                        .ts(++t.peerTsVal, cookie.options().tsVal).data(10).send();
                Seg ack = t.expect(A);
                assertTrue(Tcb.le(cookie.options().tsVal, ack.options().tsVal),
                        "TSval went back from the cookie's " + Integer.toUnsignedString(cookie.options().tsVal)
                                + " to " + Integer.toUnsignedString(ack.options().tsVal) + " at ms " + i);
            }
            assertEquals(32, server.accepted.size());
        }
    }

    @Test
    void cookieCarriesThePeersMssRoundedDownToItsTable() {
        // RFC 4987 §3.6: 3 bits of the cookie encode the MSS; the peer's 1000 becomes the 536 entry,
        // never more than the peer offered
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            t.segment(S, PEER_ISS, 0).ports(40_000, 80).mss(1000).send();
            Seg cookie = t.expect(S | A);
            t.segment(A, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).send();
            Tcb tcb = ConnectionHandle.tcbOf(server.accepted.get(0));
            assertEquals(536, tcb.peerMss);
            assertTrue(tcb.mss <= 1000, "segment size " + tcb.mss);
        }
    }

    @Test
    void cookieWithoutTimestampsOpensWithoutWindowScaleOrSack() {
        // RFC 4987 §3.6 / RFC 7323 §2.2: without timestamps there is nowhere to keep the peer's window
        // scale and SACK-permitted, so the connection runs without them (windows up to 64 KiB)
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            t.segment(S, PEER_ISS, 0).ports(40_000, 80).mss(1460).ws(7).sackOk().send();
            Seg cookie = t.expect(S | A);
            assertEquals(-1, cookie.options().windowScale, "no window scale offered: " + cookie);
            t.segment(A, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).window(60_000).send();
            Tcb tcb = ConnectionHandle.tcbOf(server.accepted.get(0));
            assertEquals(TcpState.ESTABLISHED, tcb.state());
            assertTrue(!tcb.wsOk && !tcb.sackOk && !tcb.tsOk);
            assertEquals(60_000, tcb.sndWnd);
        }
    }

    @Test
    void cookieExpiresAfterTwoPeriods() {
        // RFC 4987 §3.6: the 5-bit counter t limits a cookie's life (here 64 s periods, two of them)
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            t.clock.advance(3 * 64_000_000_000L);
            t.loop.runTurn(t.clock.nanoTime());
            t.segment(A, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).ts(++t.peerTsVal, cookie.options().tsVal)
                    .send();
            assertEquals(cookie.seq() + 1, t.expect(R).seq());
            assertEquals(0, server.accepted.size());
        }
    }

    @Test
    void cookieAckIntoAFullAcceptQueueIsDroppedAndTheNextSegmentOpens() {
        // Listen backlog with RFC 4987 §3.6: a valid cookie ACK finding the accept queue full is dropped
        // without a word (as Linux); no state is kept, and the peer's next segment at SEG.SEQ = ISN+1
        // (its request) returns the cookie again once the application has made room
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            List<TcpConnection> accepted = new ArrayList<>();
            TcpListener listener = t.stack.listen(0, 80, TcpOptions.defaults().withBacklog(1), new TcpListenerHandler() {
                @Override
                public TcpHandler onAccept(TcpConnection c) {
                    accepted.add(c);
                    return new Events();
                }

                @Override
                public void onAcceptable(TcpListener l) {
                    // the application does not accept yet
                }
            });
            Seg first = synFromPeer(t, 5_000, 41_000);
            t.segment(A, 5_001, first.seq() + 1).ports(41_000, 80).ts(++t.peerTsVal, first.options().tsVal).send();
            assertEquals(1, listener.acceptQueueLength());
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            t.segment(A, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).ts(++t.peerTsVal, cookie.options().tsVal)
                    .send();
            t.expectNothing();
            assertEquals(1, t.counter(TcpCounter.DROP_ACCEPT_QUEUE_FULL));
            assertEquals(1, t.stack.connectionCount());
            assertTrue(listener.accept() != null);
            t.segment(A | P, PEER_ISS + 1, cookie.seq() + 1).ports(40_000, 80).ts(++t.peerTsVal, cookie.options().tsVal)
                    .data(REQUEST).send();
            assertEquals(1, listener.acceptQueueLength());
            assertEquals(TcpState.ESTABLISHED, listener.accept().state());
        }
    }

    @Test
    void resetAtAListenerIsIgnored() {
        // RFC 9293 §3.10.7.2 "first": a RST in LISTEN is ignored. The kernel answers every SYN,ACK for the
        // flood's SYNs with one; none may draw an answer or disturb the listener.
        try (TcpScript t = new TcpScript(Map.of("syncookies", "always"))) {
            Server server = new Server(t);
            Seg cookie = synFromPeer(t, PEER_ISS, 40_000);
            t.segment(R, PEER_ISS + 1, 0).ports(40_000, 80).send();
            t.segment(R | A, PEER_ISS + 1, cookie.seq() + 1).ports(40_001, 80).send();
            t.expectNothing();
            assertEquals(0, t.counter(TcpCounter.OUT_RSTS));
            Seg again = synFromPeer(t, PEER_ISS + 5, 40_002);
            t.segment(A, PEER_ISS + 6, again.seq() + 1).ports(40_002, 80).ts(++t.peerTsVal, again.options().tsVal)
                    .send();
            assertEquals(1, server.accepted.size());
        }
    }
}
