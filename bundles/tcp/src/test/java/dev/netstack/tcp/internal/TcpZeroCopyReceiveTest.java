package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.test.LeakCheck;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Zero-copy receive of {@link Tcb} ({@link dev.netstack.tcp.TcpConnection#receiveBuffer()}): two
 * whole stacks over a memory link on a virtual clock. The receiving device records where each
 * frame landed, so the tests can prove that the application reads the payload in that memory.
 * Randomized runs print their seed ({@code -Dtcp.zc.seed=} reproduces).
 */
class TcpZeroCopyReceiveTest {

    static final long SEED = Long.getLong("tcp.zc.seed", 4_040_404L);
    static final int PORT = 5001;

    record Setup(Simulation sim, MemoryLink link, LeakCheck leaks, FaultInjectingDevice faulty, SimHost a, SimHost b,
            RxRecordingDevice device) {
        void close() {
            if (faulty != null) {
                faulty.close();
            }
            a.ethernet.close();
            b.ethernet.close();
        }
    }

    /** Host a (sender) behind an optional fault injector, host b (zero-copy receiver) behind a recorder. */
    static Setup setup(long seed, FaultPlan plan) {
        Simulation sim = new Simulation(seed);
        System.out.println("seed " + seed);
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(2048).build();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        FaultInjectingDevice faulty = plan == null ? null : new FaultInjectingDevice(link.a(), plan, sim.clock()::nanoTime);
        SimHost a = new SimHost(sim.addLoop(0), faulty != null ? faulty : link.a(), "198.18.0.1/24", sim.random().nextLong(),
                Map.of());
        RxRecordingDevice device = new RxRecordingDevice(link.b());
        SimHost b = new SimHost(sim.addLoop(1), device, "198.18.0.2/24", sim.random().nextLong(), Map.of());
        return new Setup(sim, link, leaks, faulty, a, b, device);
    }

    static ZeroCopyReader listenZeroCopy(Setup s, int holdLimit, TcpOptions options) {
        ZeroCopyReader reader = new ZeroCopyReader(1, s.device(), holdLimit);
        s.b().tcp.listen(0, PORT, options, c -> {
            c.setZeroCopyReceive(true);
            reader.connection = c;
            return reader;
        });
        // the listener accepts at the end of the handshake, before any data
        return reader;
    }

    static Transfer connect(Setup s, long bytes) {
        Transfer client = new Transfer(bytes, 0, 1, 2);
        s.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), PORT, 0, 0, TcpOptions.defaults(), client);
        return client;
    }

    @Test
    void inOrderSegmentsReachTheApplicationInTheDeviceBuffers() {
        Setup s = setup(SEED, null);
        ZeroCopyReader reader = listenZeroCopy(s, 0, TcpOptions.defaults());
        long bytes = 4L << 20;
        Transfer client = connect(s, bytes);
        s.sim().awaitCondition("transfer", () -> reader.eof && client.closed != null && reader.closed != null,
                600_000_000_000L);
        System.out.println("reader " + reader);
        assertEquals(bytes, reader.received);
        assertEquals(0, reader.mismatches, "first mismatch at " + reader.firstMismatchAt);
        assertEquals(0, reader.notFromDevice, "buffers whose payload is not where the device wrote it");
        assertTrue(reader.buffers >= bytes / 1460, "buffers " + reader.buffers);
        assertEquals(0, reader.zcCopiedSegments, "in-order segments copied on a clean link");
        assertEquals(reader.buffers, reader.zcSegments);
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @ParameterizedTest(name = "drop {0}")
    @ValueSource(doubles = {0.02, 0.05})
    void lossFallsBackToTheRingAndKeepsTheStreamInOrder(double drop) {
        long seed = SEED + (long) (drop * 1000);
        Simulation probe = new Simulation(seed);
        FaultPlan plan = FaultPlan.seeded(probe.random().nextLong()).withDrop(drop).withReorder(0.02)
                .withDelayNs(2_000_000L);
        Setup s = setup(seed, plan);
        ZeroCopyReader reader = listenZeroCopy(s, 0, TcpOptions.defaults());
        long bytes = 2L << 20;
        Transfer client = connect(s, bytes);
        s.sim().awaitCondition("transfer (seed " + seed + ")",
                () -> reader.eof && client.closed != null && reader.closed != null, 3_600_000_000_000L);
        System.out.println("reader " + reader);
        assertEquals(bytes, reader.received, "seed " + seed);
        assertEquals(0, reader.mismatches, "first mismatch at " + reader.firstMismatchAt + " seed " + seed);
        assertTrue(reader.zcCopiedSegments > 0, "a hole was filled: the segments behind it go through the ring");
        assertTrue(reader.zcSegments > reader.zcCopiedSegments, "zero-copy resumes once the ring is drained");
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void windowClosesWhileTheApplicationHoldsBuffersAndOpensOnRelease() {
        Setup s = setup(SEED + 1, null);
        int receiveBytes = 64 * 1024;
        ZeroCopyReader reader = listenZeroCopy(s, 1024, TcpOptions.defaults().withBuffers(0, receiveBytes));
        long bytes = 1L << 20;
        Transfer client = connect(s, bytes);
        s.sim().runFor(10_000_000_000L);
        Tcb tcb = ConnectionHandle.tcbOf(reader.connection);
        System.out.println("holding: reader " + reader);
        // flow control: the peer never sends beyond what the held buffers leave of the receive buffer
        assertTrue(reader.received <= receiveBytes, "received " + reader.received + " while holding everything");
        assertTrue(reader.received > 0);
        assertEquals(reader.heldCount, tcb.heldBuffers());
        assertTrue(tcb.windowField(false) < tcb.rcvMss, "window while the application holds the whole buffer");
        assertTrue(client.sent > reader.received, "the sender has more queued");
        reader.holdLimit = 0;
        reader.releaseHeld();
        assertEquals(0, tcb.heldBuffers());
        s.sim().awaitCondition("transfer after release", () -> reader.eof && client.closed != null, 600_000_000_000L);
        assertEquals(bytes, reader.received);
        assertEquals(0, reader.mismatches);
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void resetWhileTheApplicationHoldsBuffersLeavesThemToTheApplication() {
        Setup s = setup(SEED + 2, null);
        ZeroCopyReader reader = listenZeroCopy(s, 1024, TcpOptions.defaults().withBuffers(0, 64 * 1024));
        Transfer client = connect(s, 1L << 20);
        s.sim().runFor(5_000_000_000L);
        int held = reader.heldCount;
        assertTrue(held > 0);
        client.connection.abort(); // RST to the receiver
        s.sim().runFor(1_000_000_000L);
        assertEquals(TcpError.CONNECTION_RESET, reader.closed);
        assertEquals(TcpState.CLOSED, reader.connection.state());
        // the buffers the application holds stay valid and its own until it releases them
        assertEquals(held, reader.heldCount);
        assertTrue(s.leaks().leaked() >= held, "held buffers are out of the pool");
        reader.releaseHeld();
        reader.connection.close();
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void buffersNotTakenAreReleasedWhenTheApplicationCloses() {
        Setup s = setup(SEED + 3, null);
        ZeroCopyReader reader = new ZeroCopyReader(1, s.device(), 0);
        reader.read = false; // never takes anything: buffers pile up in the connection, then the ring
        s.b().tcp.listen(0, PORT, TcpOptions.defaults().withBuffers(0, 64 * 1024), c -> {
            c.setZeroCopyReceive(true);
            ConnectionHandle.tcbOf(c).zcMaxBuffers = 8; // below what the window allows (full segments close 64 KiB at 45)
            reader.connection = c;
            return reader;
        });
        Transfer client = connect(s, 1L << 20);
        s.sim().runFor(5_000_000_000L);
        Tcb tcb = ConnectionHandle.tcbOf(reader.connection);
        System.out.println("not reading: ready " + tcb.rcvReadyCount + " buffers, ring " + tcb.rcvBuf.length() + " bytes");
        assertEquals(tcb.zcMaxBuffers, tcb.rcvReadyCount, "buffers kept up to the per-connection limit");
        assertTrue(tcb.rcvBuf.length() > 0, "beyond the limit, data is copied into the ring");
        assertTrue(tcb.rcvReadable() <= 64 * 1024);
        reader.connection.close(); // unread data: RST (RFC 2525 §2.17), and the buffers go back
        assertEquals(0, tcb.rcvReadyCount);
        s.sim().runFor(65_000_000_000L);
        assertEquals(TcpError.CONNECTION_RESET, client.closed);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void copyingReceiveReadsZeroCopyBuffersInOrder() {
        Setup s = setup(SEED + 4, null);
        Transfer server = new Transfer(0, 1L << 20, 2, 1);
        s.b().tcp.listen(0, PORT, TcpOptions.defaults(), c -> {
            c.setZeroCopyReceive(true); // buffers queue up, receive() copies out of them
            server.connection = c;
            server.write(c);
            return server;
        });
        Transfer client = connect(s, 1L << 20);
        s.sim().awaitCondition("transfer", () -> server.eof && client.closed != null, 600_000_000_000L);
        assertEquals(1L << 20, server.received);
        assertEquals(0, server.mismatches);
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void releaseOfABufferTheConnectionDidNotLendJustFreesIt() {
        Setup s = setup(SEED + 5, null);
        ZeroCopyReader reader = listenZeroCopy(s, 0, TcpOptions.defaults());
        connect(s, 10_000);
        s.sim().runFor(2_000_000_000L);
        dev.netstack.nic.PacketBuffer foreign = s.link().b().pool(0).allocate();
        reader.connection.release(foreign);
        assertEquals(0, foreign.refCount());
        assertNull(reader.connection.receiveBuffer());
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }
}
