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
        return hosts(seed, drop, Map.of());
    }

    static Hosts hostsWith(long seed, Map<String, Object> tcpConfig) {
        return hosts(seed, 0, tcpConfig);
    }

    static Hosts hosts(long seed, double drop, Map<String, Object> tcpConfig) {
        Simulation sim = new Simulation(seed);
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(2048).build();
        dev.netstack.nic.NetDevice deviceA = link.a();
        if (drop > 0) {
            deviceA = new dev.netstack.nic.FaultInjectingDevice(link.a(),
                    dev.netstack.nic.FaultPlan.seeded(seed).withDrop(drop), sim.clock()::nanoTime);
        }
        SimHost a = new SimHost(sim.addLoop(0), deviceA, "198.18.0.1/24", 1, tcpConfig);
        SimHost b = new SimHost(sim.addLoop(1), link.b(), "198.18.0.2/24", 2, tcpConfig);
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
    void zeroCopyReceiveAllocatesNothingPerSegment() {
        Hosts h = hosts(13);
        ZeroCopyReader server = new ZeroCopyReader(1, null, 0);
        h.b().tcp.listen(0, 5001, TcpOptions.defaults(), c -> {
            c.setZeroCopyReceive(true);
            return server;
        });
        Transfer client = new Transfer(Long.MAX_VALUE, 0, 1, 2);
        h.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), 5001, 0, 0, TcpOptions.defaults(), client);
        double perSegment = measure(h, "zero-copy receive", 60_000);
        Tcb tcb = ConnectionHandle.tcbOf(server.connection);
        System.out.println("zero-copy receive: " + tcb.zcSegments + " segments kept, " + tcb.zcCopiedSegments + " copied");
        assertEquals(0, server.mismatches);
        assertTrue(tcb.zcSegments > 10_000, "segments kept " + tcb.zcSegments);
        assertTrue(perSegment < 1.0, perSegment + " bytes per segment");
    }

    @Test
    void zeroCopySendAllocatesNothingPerSegment() {
        Hosts h = hosts(14);
        ZeroCopyReader server = new ZeroCopyReader(1, null, 0);
        h.b().tcp.listen(0, 5001, TcpOptions.defaults(), c -> {
            c.setZeroCopyReceive(true);
            return server;
        });
        ZeroCopyWriter client = new ZeroCopyWriter(Long.MAX_VALUE, 1, 0, false);
        h.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), 5001, 0, 0, TcpOptions.defaults(), client);
        double perSegment = measure(h, "zero-copy send and receive", 60_000);
        Tcb tcb = ConnectionHandle.tcbOf(client.connection);
        System.out.println("zero-copy send: " + tcb.zcSentSegments + " segments from the application's buffers, "
                + tcb.zcCopiedSendSegments + " copied");
        assertEquals(0, server.mismatches);
        assertTrue(tcb.zcSentSegments > 10_000, "segments sent zero-copy " + tcb.zcSentSegments);
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

    /** Short connection client: connect, 64-byte request, read the response, close when the server has. */
    static final class ShortClient implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64);
        int received;
        long completed;
        boolean busy;

        @Override
        public void onConnected(TcpConnection c) {
            received = 0;
            c.send(buffer, 0, 64);
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 64)) > 0) {
                received += n;
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            c.close();
        }

        @Override
        public void onClosed(TcpConnection c, dev.netstack.tcp.TcpError reason) {
            if (received == 64 && reason == dev.netstack.tcp.TcpError.NONE) {
                completed++;
            }
            busy = false;
        }
    }

    /** Short connection server: answers a 64-byte request with 64 bytes and closes. */
    static final class ShortServer implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64);
        int received;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 64)) > 0) {
                received += n;
            }
            if (received >= 64) {
                received = 0;
                c.send(buffer, 0, 64);
                c.close();
            }
        }
    }

    static long runShortConnections(Hosts h, ShortClient client, int server, int connections) {
        return runShortConnections(h, client, server, connections, NO_DELAY);
    }

    static long runShortConnections(Hosts h, ShortClient client, int server, int connections, TcpOptions options) {
        long target = client.completed + connections;
        long steps = 0;
        while (client.completed < target) {
            if (!client.busy) {
                client.busy = true;
                h.a().tcp.connect(server, 7, 0, 0, options, client);
            }
            step(h);
            if (++steps > 1000L * connections) {
                throw new AssertionError("short connections stalled after " + client.completed);
            }
        }
        return steps;
    }

    /** Every connection gets a new handle; everything else comes from the stacks' pools. */
    @Test
    void shortConnectionsAllocateOnlyTheirHandles() {
        shortConnections("short connections", Map.of("msl_ms", 1));
    }

    /** The same with a SYN cookie for every SYN (RFC 4987 §3.6): the cookie SYN,ACK reuses one scratch Tcb. */
    @Test
    void shortConnectionsOverSynCookiesAllocateOnlyTheirHandles() {
        Hosts h = shortConnections("short connections, SYN cookies", Map.of("msl_ms", 1, "syncookies", "always"));
        System.out.println("cookies sent " + h.b().tcp.counters().get(TcpCounter.SYN_COOKIES_SENT) + ", accepted "
                + h.b().tcp.counters().get(TcpCounter.SYN_COOKIES_ACCEPTED));
        assertTrue(h.b().tcp.counters().get(TcpCounter.SYN_COOKIES_ACCEPTED) >= 40_000, "connections opened by cookies");
    }

    /** With {@code handleReuse} both ends give a connection's handle to the next: nothing is allocated. */
    @Test
    void shortConnectionsWithHandleReuseAllocateNothing() {
        Hosts h = hostsWith(15, Map.of("msl_ms", 1));
        TcpOptions reuse = NO_DELAY.withHandleReuse(true);
        h.b().tcp.listen(0, 7, reuse, c -> SHORT_SERVER);
        ShortClient client = new ShortClient();
        int server = Ipv4Address.parse("198.18.0.2");
        runShortConnections(h, client, server, 20_000, reuse);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        int connections = 20_000;
        runShortConnections(h, client, server, connections, reuse);
        double perConnection = (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / connections;
        System.out.println("short connections, handles reused: " + perConnection + " bytes per connection");
        assertTrue(perConnection < 1.0, perConnection + " bytes per connection");
    }

    private static Hosts shortConnections(String what, Map<String, Object> tcpConfig) {
        // crr: connect, 64-byte request, response, the server closes, the client closes. TIME_WAIT
        // (server side) lasts 2 MSL = 2 ms here, so the connections it holds come back in the test.
        Hosts h = hostsWith(15, tcpConfig);
        h.b().tcp.listen(0, 7, TcpOptions.defaults().withNoDelay(true), c -> SHORT_SERVER);
        ShortClient client = new ShortClient();
        int server = Ipv4Address.parse("198.18.0.2");
        runShortConnections(h, client, server, 20_000); // warm-up
        long before = THREADS.getCurrentThreadAllocatedBytes();
        int connections = 20_000;
        runShortConnections(h, client, server, connections);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        double perConnection = (double) allocated / connections;
        System.out.println(what + ": " + allocated + " bytes allocated over " + connections
                + " connections, " + perConnection + " per connection");
        // 64 bytes today: the two ConnectionHandles (client and server), 32 bytes each; 5,180 before
        // the Tcbs were pooled
        assertTrue(perConnection < 160, perConnection + " bytes per connection");
        return h;
    }

    private static final ShortServer SHORT_SERVER = new ShortServer();
    private static final TcpOptions NO_DELAY = TcpOptions.defaults().withNoDelay(true);
}
