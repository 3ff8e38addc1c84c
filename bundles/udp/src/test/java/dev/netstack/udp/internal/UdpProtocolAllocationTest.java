package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.EventLoop;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.VirtualClock;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The data path allocates nothing per datagram once warm: copying send, zero-copy echo, copying receive. */
class UdpProtocolAllocationTest {

    static final int B = Ipv4Address.parse("198.18.0.2");

    /** A client that copies each reply into one reusable segment. */
    static final class Client implements UdpHandler {
        final MemorySegment into = Arena.ofAuto().allocate(2048);
        final UdpDatagram from = new UdpDatagram();
        long replies;
        long bytes;

        @Override
        public void onReadable(UdpSocket socket) {
            int n = socket.receive(into, 0, 2048, from);
            if (n >= 0) {
                replies++;
                bytes += n;
            }
        }
    }

    @Test
    void echoRoundTripsAllocateNothing() {
        VirtualClock clock = new VirtualClock(0);
        EventLoop loopA = EventLoop.manual(0, clock);
        EventLoop loopB = EventLoop.manual(1, clock);
        MemoryLink link = MemoryLink.create();
        Stack a = new Stack(loopA, link.a(), "198.18.0.1/24", TestConfigs.udp());
        Stack b = new Stack(loopB, link.b(), "198.18.0.2/24", TestConfigs.udp());
        Recorder.Echo echo = new Recorder.Echo();
        assertNull(b.open(echo).bind(0, 7));
        Client client = new Client();
        UdpSocket socket = a.open(client);
        assertNull(socket.connect(B, 7));
        MemorySegment payload = Arena.ofAuto().allocate(512);

        int rounds = 20_000;
        for (int i = 0; i < 2 * rounds; i++) {
            roundTrip(loopA, loopB, clock, socket, payload, client);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < rounds; i++) {
            roundTrip(loopA, loopB, clock, socket, payload, client);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        double perRound = (double) allocated / rounds;
        System.out.println("UDP echo: " + allocated + " bytes over " + rounds + " round trips, " + perRound
                + " per round trip (two sends, two receives)");
        assertEquals(3L * rounds, client.replies);
        assertEquals(3L * rounds * 512, client.bytes);
        assertTrue(perRound < 1.0, perRound + " bytes allocated per round trip");
        a.close();
        b.close();
        assertEquals(0, a.buffersInUse());
        assertEquals(0, b.buffersInUse());
    }

    private static void roundTrip(EventLoop loopA, EventLoop loopB, VirtualClock clock, UdpSocket socket,
            MemorySegment payload, Client client) {
        long expected = client.replies + 1;
        if (socket.send(payload, 0, 512) != null) {
            throw new AssertionError("send failed");
        }
        for (int turns = 0; client.replies < expected; turns++) {
            if (turns > 100) {
                throw new AssertionError("no reply");
            }
            long now = clock.nanoTime();
            loopA.runTurn(now);
            loopB.runTurn(now);
            clock.advance(1_000);
        }
    }
}
