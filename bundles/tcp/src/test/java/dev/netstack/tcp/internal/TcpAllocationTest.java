package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ARCHITECTURE: zero allocation per packet in steady state. Two whole stacks over a memory link,
 * everything on the test thread; allocation measured by the thread's allocated-bytes counter after
 * a warm-up that lets the JIT compile the paths.
 */
class TcpAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    record Hosts(Simulation sim, SimHost a, SimHost b) {
    }

    static Hosts hosts(long seed) {
        return hosts(seed, 0);
    }

    /** Two hosts; host a's device drops {@code drop} of the frames each way (seeded). */
    static Hosts hosts(long seed, double drop) {
        Simulation sim = new Simulation(seed);
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(2048).build();
        dev.netstack.nic.NetDevice deviceA = link.a();
        if (drop > 0) {
            deviceA = new dev.netstack.nic.FaultInjectingDevice(link.a(),
                    dev.netstack.nic.FaultPlan.seeded(seed).withDrop(drop), sim.clock()::nanoTime);
        }
        SimHost a = new SimHost(sim.addLoop(0), deviceA, "198.18.0.1/24", 1, Map.of());
        SimHost b = new SimHost(sim.addLoop(1), link.b(), "198.18.0.2/24", 2, Map.of());
        return new Hosts(sim, a, b);
    }

    /** One turn of both hosts (not Simulation.step, whose loop iterator may allocate). */
    static void step(Hosts h) {
        long now = h.sim().clock().nanoTime();
        int work = h.a().loop.runTurn(now) + h.b().loop.runTurn(now);
        h.sim().clock().advance(work > 0 ? 1_000 : 100_000);
    }

    static double measure(Hosts h, String what, int steps) {
        for (int i = 0; i < steps; i++) { // warm-up
            step(h);
        }
        long segmentsBefore = h.a().tcp.counters().get(TcpCounter.IN_SEGS) + h.b().tcp.counters().get(TcpCounter.IN_SEGS);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < steps; i++) {
            step(h);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        long segments = h.a().tcp.counters().get(TcpCounter.IN_SEGS) + h.b().tcp.counters().get(TcpCounter.IN_SEGS)
                - segmentsBefore;
        double perSegment = (double) allocated / Math.max(1, segments);
        System.out.println(what + ": " + allocated + " bytes allocated over " + segments + " segments, " + perSegment
                + " per segment");
        assertTrue(segments > 10_000, "segments: " + segments);
        return perSegment;
    }

    @Test
    void bulkTransferAllocatesNothingPerSegment() {
        Hosts h = hosts(11);
        Transfer server = new Transfer(0, Long.MAX_VALUE, 2, 1);
        h.b().tcp.listen(0, 5001, TcpOptions.defaults(), c -> server);
        Transfer client = new Transfer(Long.MAX_VALUE, 0, 1, 2);
        h.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), 5001, 0, 0, TcpOptions.defaults(), client);
        double perSegment = measure(h, "bulk", 60_000);
        assertEquals(0, server.mismatches);
        assertTrue(perSegment < 1.0, perSegment + " bytes per segment");
    }

    @Test
    void sackRecoveryAllocatesNothingPerSegment() {
        // RFC 6675 recovery (scoreboard, NextSeg, lost-retransmission log) on the data path, 5 % loss
        Hosts h = hosts(13, 0.05);
        Transfer server = new Transfer(0, Long.MAX_VALUE, 2, 1);
        h.b().tcp.listen(0, 5001, TcpOptions.defaults(), c -> server);
        Transfer client = new Transfer(Long.MAX_VALUE, 0, 1, 2);
        h.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), 5001, 0, 0, TcpOptions.defaults(), client);
        long recoveriesBefore = h.a().tcp.counters().get(TcpCounter.SACK_RETRANSMITS);
        double perSegment = measure(h, "bulk at 5 % loss", 200_000);
        assertTrue(h.a().tcp.counters().get(TcpCounter.SACK_RETRANSMITS) > recoveriesBefore, "no SACK recovery");
        assertEquals(0, server.mismatches);
        assertTrue(perSegment < 1.0, perSegment + " bytes per segment");
    }

    /** A client that sends 64 bytes and waits for the echo, over and over. */
    static final class PingPong implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64);
        long rounds;
        int pending;

        @Override
        public void onConnected(TcpConnection c) {
            c.send(buffer, 0, 64);
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 64 - pending)) > 0) {
                pending += n;
            }
            if (pending == 64) {
                pending = 0;
                rounds++;
                c.send(buffer, 0, 64);
            }
        }
    }

    /** Echoes what it reads. */
    static final class Echo implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(4096);

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 4096)) > 0) {
                c.send(buffer, 0, n);
            }
        }
    }

    @Test
    void requestResponseAllocatesNothingPerSegment() {
        Hosts h = hosts(12);
        Echo echo = new Echo();
        h.b().tcp.listen(0, 7, TcpOptions.defaults().withNoDelay(true), c -> echo);
        PingPong client = new PingPong();
        h.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        double perSegment = measure(h, "request/response", 60_000);
        assertTrue(client.rounds > 1000, "rounds " + client.rounds);
        assertTrue(perSegment < 1.0, perSegment + " bytes per segment");
    }
}
