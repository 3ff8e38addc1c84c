package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PcapWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.junit.jupiter.api.Test;

/** The fixtures sit on the data path of simulations, so they must not allocate per frame either. */
class DataPathAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** A channel that swallows everything, so only the writer's own allocation is measured. */
    private static final class NullChannel implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void linkWithFaultsAndCaptureAllocatesNothingPerFrame() throws IOException {
        VirtualClock clock = new VirtualClock();
        MemoryLink link = MemoryLink.builder().capacity(128).build();
        FaultPlan plan = FaultPlan.seeded(5).withDrop(0.05).withDuplicate(0.05).withReorder(0.05).withCorrupt(0.05)
                .withDelayNs(2_000).withRateBitsPerSecond(10_000_000_000L);
        System.out.println("plan " + plan);
        FaultInjectingDevice sender = new FaultInjectingDevice(link.a(), plan, clock::nanoTime);
        CapturingDevice receiver = new CapturingDevice(link.b(), clock::nanoTime);
        receiver.start(new PcapWriter(new NullChannel(), true, 2048));
        PacketBatch out = new PacketBatch(32);
        PacketBatch in = new PacketBatch(32);
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());

        long[] received = {0};
        Runnable round = () -> {
            link.a().pool(0).allocate(out, out.remaining());
            for (int i = 0; i < out.size(); i++) {
                out.get(i).append(200);
            }
            out.removeFirst(sender.transmit(0, out));
            clock.advance(1_000);
            sender.receive(0, in); // flushes delayed transmit frames
            in.releaseAll();
            received[0] += receiver.receive(0, in);
            in.releaseAll();
        };
        for (int i = 0; i < 20_000; i++) {
            round.run();
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            round.run();
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        System.out.println(allocated + " bytes allocated while " + received[0] + " frames were received in all");
        assertTrue(received[0] > 100_000, "frames received: " + received[0]);
        // Not exactly 0: the measurement itself and JIT deoptimisation may allocate a little.
        assertTrue(allocated < 4_096, allocated + " bytes allocated in 20,000 rounds");

        out.releaseAll();
        receiver.stop();
        sender.close(); // releases the frames it still holds
        in.releaseAll();
        while (link.b().receive(0, in) > 0) {
            in.releaseAll();
        }
        leaks.assertNoLeaks();
    }
}
