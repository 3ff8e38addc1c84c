package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.test.LeakCheck;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Zero-copy send of {@link Tcb} ({@link TcpConnection#send(PacketBuffer)}): two whole stacks over a
 * memory link on a virtual clock. The sender's device checks each data frame against the memory
 * the application wrote the payload into. Randomized runs print their seed
 * ({@code -Dtcp.zc.seed=} reproduces).
 */
class TcpZeroCopySendTest {

    static final long SEED = Long.getLong("tcp.zc.seed", 5_050_505L);
    static final int PORT = 5002;

    record Setup(Simulation sim, LeakCheck leaks, FaultInjectingDevice faulty, TxFrameCheck check, SimHost a, SimHost b) {
        void close() {
            if (faulty != null) {
                faulty.close();
            }
            a.ethernet.close();
            b.ethernet.close();
        }
    }

    /** Host a (zero-copy sender) behind a frame check and an optional fault injector, host b the receiver. */
    static Setup setup(long seed, FaultPlan plan) {
        Simulation sim = new Simulation(seed);
        System.out.println("seed " + seed);
        MemoryLink link = MemoryLink.builder().capacity(1024).buffers(2048).build();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        TxFrameCheck check = new TxFrameCheck(link.a());
        FaultInjectingDevice faulty = plan == null ? null : new FaultInjectingDevice(check, plan, sim.clock()::nanoTime);
        NetDevice deviceA = faulty != null ? faulty : check;
        SimHost a = new SimHost(sim.addLoop(0), deviceA, "198.18.0.1/24", sim.random().nextLong(), Map.of());
        SimHost b = new SimHost(sim.addLoop(1), link.b(), "198.18.0.2/24", sim.random().nextLong(), Map.of());
        return new Setup(sim, leaks, faulty, check, a, b);
    }

    static ZeroCopyReader listen(Setup s, TcpOptions options) {
        ZeroCopyReader reader = new ZeroCopyReader(1, null, 0);
        s.b().tcp.listen(0, PORT, options, c -> {
            c.setZeroCopyReceive(true);
            reader.connection = c;
            return reader;
        });
        return reader;
    }

    static ZeroCopyWriter connect(Setup s, ZeroCopyWriter writer) {
        TcpConnection c = s.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), PORT, 0, 0, TcpOptions.defaults(), writer);
        s.check().writer = writer;
        s.check().tcb = ConnectionHandle.tcbOf(c);
        return writer;
    }

    @Test
    void segmentsLeaveFromTheApplicationsBuffers() {
        Setup s = setup(SEED, null);
        ZeroCopyReader reader = listen(s, TcpOptions.defaults());
        long bytes = 4L << 20;
        ZeroCopyWriter writer = connect(s, new ZeroCopyWriter(bytes, 1, 0, true));
        s.sim().awaitCondition("transfer", () -> reader.eof && writer.closed != null, 600_000_000_000L);
        Tcb tcb = ConnectionHandle.tcbOf(writer.connection);
        System.out.println("writer " + writer + "\nreader " + reader + "\nframes " + s.check().dataFrames
                + ", from the application's buffer " + s.check().fromApplicationBuffer + "; zero-copy segments "
                + tcb.zcSentSegments + ", copied " + tcb.zcCopiedSendSegments);
        assertEquals(bytes, reader.received);
        assertEquals(0, reader.mismatches, "first mismatch at " + reader.firstMismatchAt);
        assertEquals(0, tcb.retransmits, "a clean link");
        assertEquals(writer.buffersSent, tcb.zcSentSegments, "every buffer went out as itself");
        assertEquals(0, tcb.zcCopiedSendSegments);
        assertEquals(s.check().dataFrames, s.check().fromApplicationBuffer,
                "every data frame's payload is where the application wrote it");
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void lossRetransmitsByCopyAndDeliversEveryByte() {
        long seed = SEED + 1;
        FaultPlan plan = FaultPlan.seeded(new Simulation(seed).random().nextLong()).withDrop(0.03).withReorder(0.02)
                .withDelayNs(2_000_000L);
        Setup s = setup(seed, plan);
        ZeroCopyReader reader = listen(s, TcpOptions.defaults());
        long bytes = 2L << 20;
        ZeroCopyWriter writer = connect(s, new ZeroCopyWriter(bytes, 1, 0, true));
        s.sim().awaitCondition("transfer (seed " + seed + ")", () -> reader.eof && writer.closed != null,
                3_600_000_000_000L);
        Tcb tcb = ConnectionHandle.tcbOf(writer.connection);
        System.out.println("writer " + writer + "\nreader " + reader + "; zero-copy segments " + tcb.zcSentSegments
                + ", retransmissions " + tcb.retransmits);
        assertEquals(bytes, reader.received, "seed " + seed);
        assertEquals(0, reader.mismatches, "first mismatch at " + reader.firstMismatchAt + " seed " + seed);
        assertTrue(tcb.retransmits > 0, "losses were repaired");
        assertTrue(s.check().fromApplicationBuffer > 0);
        assertTrue(s.check().dataFrames > s.check().fromApplicationBuffer, "retransmissions are copies");
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void shortBuffersAreCoalescedIntoFullSegmentsByCopying() {
        Setup s = setup(SEED + 2, null);
        ZeroCopyReader reader = listen(s, TcpOptions.defaults());
        long bytes = 1L << 20;
        ZeroCopyWriter writer = connect(s, new ZeroCopyWriter(bytes, 1, 500, false));
        boolean done = s.sim().runUntil(() -> reader.eof && writer.closed != null, 600_000_000_000L);
        System.out.println("short buffers: writer " + writer + "; reader " + reader);
        assertTrue(done, "transfer");
        Tcb tcb = ConnectionHandle.tcbOf(writer.connection);
        assertEquals(bytes, reader.received);
        assertEquals(0, reader.mismatches);
        assertTrue(tcb.zcCopiedSendSegments > 0, "500-byte buffers behind each other go out as full, copied segments");
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    /** Zero-copy buffer first, then a copying send: the copy waits until the buffer is acknowledged. */
    static final class Mixed implements TcpHandler {
        final MemorySegment pattern = Transfer.PATTERNS[0];
        int copyRefusals;
        boolean zcDone;
        boolean copyDone;

        @Override
        public void onConnected(TcpConnection c) {
            PacketBuffer b = c.allocate();
            MemorySegment.copy(pattern, 0, b.segment(), b.offset(), 1000);
            b.append(1000);
            assertEquals(1000, c.send(b));
            zcDone = true;
            tryCopy(c);
        }

        void tryCopy(TcpConnection c) {
            if (copyDone) {
                return;
            }
            int n = c.send(pattern, 1000, 3000);
            if (n == 0) {
                copyRefusals++;
                return;
            }
            assertEquals(3000, n);
            copyDone = true;
            c.shutdownOutput();
        }

        @Override
        public void onWritable(TcpConnection c) {
            tryCopy(c);
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            c.close();
        }
    }

    @Test
    void copyingSendWaitsBehindQueuedBuffersAndOrderIsKept() {
        Setup s = setup(SEED + 3, null);
        ZeroCopyReader reader = listen(s, TcpOptions.defaults());
        Mixed mixed = new Mixed();
        s.a().tcp.connect(Ipv4Address.parse("198.18.0.2"), PORT, 0, 0, TcpOptions.defaults(), mixed);
        s.sim().awaitCondition("transfer", () -> reader.eof, 60_000_000_000L);
        assertTrue(mixed.copyRefusals > 0, "the copying send waited");
        assertEquals(4000, reader.received);
        assertEquals(0, reader.mismatches, "bytes in the order of the calls");
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }

    @Test
    void resetReleasesQueuedSendBuffers() {
        Setup s = setup(SEED + 4, null);
        ZeroCopyReader reader = new ZeroCopyReader(1, null, 0);
        reader.read = false; // the receiver's window fills and stays shut
        s.b().tcp.listen(0, PORT, TcpOptions.defaults().withBuffers(0, 32 * 1024), c -> {
            reader.connection = c;
            return reader;
        });
        ZeroCopyWriter writer = connect(s, new ZeroCopyWriter(1L << 20, 1, 0, false));
        s.sim().runFor(5_000_000_000L);
        Tcb tcb = ConnectionHandle.tcbOf(writer.connection);
        int queued = tcb.zcqCount;
        System.out.println("queued " + queued + " buffers, " + tcb.zcqBytes + " bytes");
        assertTrue(queued > 10, "buffers wait for the window");
        assertTrue(s.leaks().leaked() >= queued);
        reader.connection.abort(); // RST: the sender's queued buffers must go back to the pool
        s.sim().runFor(1_000_000_000L);
        assertEquals(TcpError.CONNECTION_RESET, writer.closed);
        assertEquals(0, tcb.zcqCount);
        s.sim().runFor(65_000_000_000L);
        s.close();
        s.leaks().assertNoLeaks();
    }
}
