package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The driver's receive and transmit (with checksum offload requests) and its {@code rxQueueOf}
 * allocate nothing per packet once warmed up, measured with the model in the loop.
 */
class AllocationTest {

    private long delivered;
    private long queueSum;

    @Test
    void receiveAndTransmitAllocateNothingAfterWarmUp() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Rig rig = new Rig().open(Rig.settings().withQueues(2).withRings(256, 256, 1024));
                Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int tcp = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, 0xC612_0001, 0xC612_0002, 40000, 80, 200, 1);
            int udp = Frames.ipv4(f, 1024, Rig.DEVICE_MAC, Rig.PEER_MAC, 17, 0xC612_0001, 0xC612_0003, 40001, 53, 200, 2);
            rig.model.connect((frame, offset, length) -> delivered++);
            PacketBatch batch = new PacketBatch(32);
            rounds(rig, f, tcp, udp, batch, 20_000);
            long thread = Thread.currentThread().threadId();
            long before = threads.getThreadAllocatedBytes(thread);
            long packets = rounds(rig, f, tcp, udp, batch, 50_000);
            long bytes = threads.getThreadAllocatedBytes(thread) - before;
            System.out.println("AllocationTest: " + bytes + " bytes allocated for " + packets
                    + " packets received and sent and as many rxQueueOf calls (queue sum " + queueSum + ")");
            assertTrue(packets >= 50_000 * 32);
            // One allocation per packet would be megabytes here; a few dozen bytes once in a run come
            // from the JIT (deoptimisation, on-stack replacement), not from the data path.
            assertTrue(bytes < 1024, bytes + " bytes allocated on the data path");
        }
    }

    private long rounds(Rig rig, MemorySegment f, int tcp, int udp, PacketBatch batch, int rounds) {
        long packets = 0;
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 16; i++) {
                rig.model.receiveFrame(f, 0, tcp);
                rig.model.receiveFrame(f, 1024, udp);
            }
            for (int q = 0; q < 2; q++) {
                int n = rig.device.receive(q, batch);
                for (int i = 0; i < n; i++) {
                    PacketBuffer b = batch.get(i);
                    Frames.mac(b.segment(), b.offset(), Rig.PEER_MAC);
                    // ask for checksum offload, so the context descriptor path runs too
                    int protocol = b.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, b.offset() + 23);
                    b.setNetworkOffset(b.offset() + 14);
                    b.setChecksumRequest(34, protocol == 6 ? 16 : 6);
                    // a lane choosing a port asks this for each candidate
                    queueSum += rig.device.rxQueueOf(0xC612_0001, 0xC612_0002, 1024 + (r + i) % 60000, 80);
                }
                int sent = rig.device.transmit(q, batch);
                for (int i = sent; i < n; i++) {
                    batch.get(i).release();
                }
                batch.clear();
                packets += n;
            }
        }
        return packets;
    }
}
