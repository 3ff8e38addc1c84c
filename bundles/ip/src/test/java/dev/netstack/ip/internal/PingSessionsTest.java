package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.Pinger;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ping between two simulated hosts whose links the test connects by hand: a packet arrives at the next 5 ms step, and an answer sent on arrival goes back within the same step, so RTTs are 5 ms. */
class PingSessionsTest {

    static final int A = Ipv4Address.parse("198.18.0.1");
    static final int B = Ipv4Address.parse("198.18.0.2");

    final ManualClock clock = new ManualClock();
    final Host a = new Host(clock, "198.18.0.1/24");
    final Host b = new Host(clock, "198.18.0.2/24");

    @AfterEach
    void noLeaks() {
        a.link.releaseSent();
        b.link.releaseSent();
        assertEquals(0, a.buffersInUse());
        assertEquals(0, b.buffersInUse());
    }

    /** Moves what each host sent to the other. */
    private int pump(boolean dropFromB) {
        int moved = 0;
        for (FakeLink.Sent s : a.link.takeSent()) {
            b.layer.receive(b.eth0, s.packet(), b.now());
            moved++;
        }
        for (FakeLink.Sent s : b.link.takeSent()) {
            if (dropFromB) {
                s.packet().release();
            } else {
                a.layer.receive(a.eth0, s.packet(), a.now());
            }
            moved++;
        }
        return moved;
    }

    private void run(long ms, boolean dropFromB) {
        for (long t = 0; t < ms; t += 5) {
            a.turn();
            b.turn();
            clock.advanceMs(5);
            pump(dropFromB);
        }
    }

    @Test
    void pingsAHostAndReportsRoundTripTimes() throws Exception {
        List<String> heard = new ArrayList<>();
        CompletableFuture<Pinger.Result> result = a.layer.ping(B, new Pinger.Options(56, 3, 1000, 1000),
                (sequence, bytes, ttl, rttNs) -> heard.add(sequence + ":" + bytes + ":" + ttl + ":" + rttNs / 1_000_000));
        run(2100, false);
        assertTrue(result.isDone());
        Pinger.Result r = result.get();
        assertEquals(3, r.transmitted());
        assertEquals(3, r.received());
        assertEquals(0.0, r.lossPercent());
        assertEquals(List.of("0:56:64:5", "1:56:64:5", "2:56:64:5"), heard);
        assertEquals(3, b.layer.icmpCounters().get(IcmpCounter.OUT_ECHO_REPS));
    }

    @Test
    void pingsWithLargeRequestsThatAreFragmentedBothWays() throws Exception {
        CompletableFuture<Pinger.Result> result = a.layer.ping(B, new Pinger.Options(8000, 2, 100, 500), null);
        run(700, false);
        Pinger.Result r = result.get();
        assertEquals(2, r.received());
        assertEquals(2, b.layer.counters().get(IpCounter.REASM_OKS)); // the requests
        assertEquals(2, a.layer.counters().get(IpCounter.REASM_OKS)); // the replies
        assertEquals(2, b.layer.counters().get(IpCounter.FRAG_OKS));
    }

    @Test
    void pingsWithTheLargestEchoRequest() throws Exception {
        CompletableFuture<Pinger.Result> result = a.layer.ping(B, new Pinger.Options(65_507, 1, 100, 500), null);
        run(100, false);
        Pinger.Result r = result.get();
        assertEquals(1, r.received());
        assertEquals(45, b.layer.counters().get(IpCounter.FRAG_CREATES)); // 65515 bytes in 1480-byte slices
    }

    @Test
    void reportsLossWhenRepliesDoNotCome() throws Exception {
        CompletableFuture<Pinger.Result> result = a.layer.ping(B, new Pinger.Options(8, 2, 100, 300), null);
        run(200, true);
        assertFalse(result.isDone());
        run(300, true);
        Pinger.Result r = result.get();
        assertEquals(2, r.transmitted());
        assertEquals(0, r.received());
        assertEquals(100.0, r.lossPercent());
    }

    @Test
    void failsAtOnceWithoutARoute() {
        CompletableFuture<Pinger.Result> result = a.layer.ping(Ipv4Address.parse("203.0.113.1"), Pinger.Options.defaults(), null);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, result::get);
        assertTrue(e.getCause().getMessage().startsWith("no route to 203.0.113.1"));
    }

    @Test
    void ignoresRepliesNobodyAskedFor() {
        PacketBuffer reply = Host.ipv4(a.pool(), B, A, 1, 1, 0, Host.icmp(0, 0, 0x12340001, Host.pattern(8, 0)));
        a.layer.receive(a.eth0, reply, a.now());
        assertEquals(1, a.layer.icmpCounters().get(IcmpCounter.IN_ECHO_REPS_UNMATCHED));
    }
}
