package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The receive path allocates nothing per packet once warm (ARCHITECTURE: zero allocation). */
class Ipv4LayerAllocationTest {

    @Test
    void answersEchoRequestsWithoutAllocating() {
        ManualClock clock = new ManualClock();
        Host host = new Host(clock, "198.18.0.2/24");
        host.link.discardSent = true;
        PacketBuffer template = Host.echoRequest(host.pool(), Ipv4Address.parse("198.18.0.1"),
                Ipv4Address.parse("198.18.0.2"), 7, 1, 56);
        MemorySegment bytes = MemorySegment.ofArray(Host.bytes(template));
        int length = template.length();
        template.release();

        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        
        int packets = 10_000;
        for (int i = 0; i < 5 * packets; i++) { // warm-up: let the JIT compile the path
            echo(host, bytes, length, clock.nanoTime() + i);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < packets; i++) {
            echo(host, bytes, length, clock.nanoTime() + i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        double perPacket = (double) allocated / packets;
        System.out.println("echo request -> reply: " + allocated + " bytes over " + packets + " packets, "
                + perPacket + " per packet");
        assertEquals(6L * packets, host.link.discarded);
        assertTrue(perPacket < 1.0, perPacket + " bytes allocated per packet");
        assertEquals(0, host.buffersInUse());
    }

    private static void echo(Host host, MemorySegment bytes, int length, long nowNs) {
        PacketBuffer b = host.pool().allocate();
        int at = b.append(length);
        MemorySegment.copy(bytes, 0, b.segment(), at, length);
        host.layer.receive(host.eth0, b, nowNs);
    }
}
