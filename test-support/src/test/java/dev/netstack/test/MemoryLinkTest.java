package dev.netstack.test;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryLinkTest {

    private final PacketBatch batch = new PacketBatch(64);

    private static PacketBuffer frame(MemoryLink.End end, int length, int seq) {
        PacketBuffer b = end.pool(0).allocate();
        int at = b.append(length);
        for (int i = 0; i < length; i++) {
            b.segment().set(ValueLayout.JAVA_BYTE, at + i, (byte) (seq + i));
        }
        return b;
    }

    private static byte[] bytes(PacketBuffer b) {
        byte[] out = new byte[b.length()];
        MemorySegment.copy(b.segment(), ValueLayout.JAVA_BYTE, b.offset(), out, 0, out.length);
        return out;
    }

    @Test
    void framesCrossIntoTheReceiversPool() {
        MemoryLink link = MemoryLink.create();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        PacketBuffer sent = frame(link.a(), 60, 7);
        byte[] expected = bytes(sent);
        batch.add(sent);
        assertEquals(1, link.a().transmit(0, batch));
        batch.removeFirst(1);
        assertEquals(0, link.a().pool(0).inUse(), "sender's buffer released at once");
        assertEquals(1, link.inFlight());
        assertEquals(1, link.b().receive(0, batch));
        PacketBuffer received = batch.get(0);
        assertSame(link.b().pool(0), received.pool());
        assertArrayEquals(expected, bytes(received));
        assertEquals(0, link.a().receive(0, new PacketBatch(4)), "nothing comes back");
        batch.releaseAll();
        leaks.assertNoLeaks();
        assertEquals(1, link.a().counters(0).txPackets);
        assertEquals(60, link.b().counters(0).rxBytes);
    }

    @Test
    void bothDirectionsKeepOrder() {
        MemoryLink link = MemoryLink.create();
        for (int i = 0; i < 10; i++) {
            batch.add(frame(link.b(), 64 + i, i));
        }
        assertEquals(10, link.b().transmit(0, batch));
        batch.clear();
        assertEquals(10, link.a().receive(0, batch));
        for (int i = 0; i < 10; i++) {
            assertEquals(64 + i, batch.get(i).length());
            assertEquals((byte) i, bytes(batch.get(i))[0]);
        }
        batch.releaseAll();
        assertSame(link.b(), link.a().peer());
    }

    @Test
    void transmitStopsWhenTheRingIsFullAndCallerKeepsTheRest() {
        MemoryLink link = MemoryLink.builder().capacity(4).build();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        for (int i = 0; i < 6; i++) {
            batch.add(frame(link.a(), 60, i));
        }
        assertEquals(4, link.a().transmit(0, batch));
        batch.removeFirst(4);
        assertEquals(2, batch.size());
        batch.releaseAll();
        assertEquals(4, link.b().receive(0, batch));
        batch.releaseAll();
        leaks.assertNoLeaks();
    }

    @Test
    void receiveLeavesFramesInTheRingWhenThePoolIsEmpty() {
        MemoryLink link = MemoryLink.builder().buffers(2).build();
        for (int i = 0; i < 2; i++) {
            batch.add(frame(link.a(), 60, i));
        }
        link.a().transmit(0, batch);
        batch.clear();
        for (int i = 0; i < 2; i++) {
            batch.add(frame(link.a(), 60, i));
        }
        link.a().transmit(0, batch);
        batch.clear();
        assertEquals(2, link.b().receive(0, batch));
        assertEquals(0, link.b().receive(0, batch));
        batch.releaseAll();
        assertEquals(2, link.b().receive(0, batch));
        batch.releaseAll();
    }

    @Test
    void dropsOversizedFramesAndFramesWhileDown() {
        MemoryLink link = MemoryLink.builder().mtu(100).build();
        LeakCheck leaks = LeakCheck.of(link.a(), link.b());
        batch.add(frame(link.a(), 115, 0));
        assertEquals(1, link.a().transmit(0, batch));
        batch.clear();
        assertEquals(1, link.a().counters(0).txErrors);
        link.setUp(false);
        assertFalse(link.a().isLinkUp());
        batch.add(frame(link.a(), 60, 0));
        assertEquals(1, link.a().transmit(0, batch));
        batch.clear();
        assertEquals(1, link.a().counters(0).txDropped);
        assertEquals(0, link.b().receive(0, batch));
        link.setUp(true);
        assertTrue(link.b().isLinkUp());
        leaks.assertNoLeaks();
    }

    @Test
    void configuredMacsNamesAndMtu() {
        MemoryLink link = MemoryLink.builder().macA(MacAddress.parse("02:00:00:00:00:0a"))
                .macB(MacAddress.parse("02:00:00:00:00:0b")).names("left", "right").mtu(9000).build();
        assertEquals(MacAddress.parse("02:00:00:00:00:0a"), link.a().macAddress());
        assertEquals(MacAddress.parse("02:00:00:00:00:0b"), link.b().macAddress());
        assertEquals("left", link.a().name());
        assertEquals("right", link.b().name());
        assertEquals(9000, link.b().mtu());
        assertEquals(9014, link.b().capabilities().maxFrameBytes());
        assertTrue(link.a().pool(0).bufferSize() >= 9014 + link.a().pool(0).headroom());
        batch.add(frame(link.a(), 9014, 1));
        link.a().transmit(0, batch);
        batch.clear();
        assertEquals(1, link.b().receive(0, batch));
        assertEquals(9014, batch.get(0).length());
        batch.releaseAll();
        assertThrows(IndexOutOfBoundsException.class, () -> link.a().pool(1));
    }

    @Test
    void endsDrivenByTwoThreadsDeliverEveryFrameInOrder() throws Exception {
        MemoryLink link = MemoryLink.builder().capacity(16).build();
        int frames = 50_000;
        AtomicLong failures = new AtomicLong();
        Thread sender = Thread.ofPlatform().start(() -> {
            PacketBatch out = new PacketBatch(8);
            int next = 0;
            while (next < frames) {
                while (!out.isFull() && next < frames) {
                    PacketBuffer b = link.a().pool(0).allocate();
                    int at = b.append(64);
                    b.segment().set(ValueLayout.JAVA_INT, at, next++);
                    out.add(b);
                }
                out.removeFirst(link.a().transmit(0, out));
                Thread.onSpinWait();
            }
            while (!out.isEmpty()) {
                out.removeFirst(link.a().transmit(0, out));
            }
        });
        PacketBatch in = new PacketBatch(8);
        int expected = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (expected < frames && System.nanoTime() - deadline < 0) {
            link.b().receive(0, in);
            for (int i = 0; i < in.size(); i++) {
                if (in.get(i).segment().get(ValueLayout.JAVA_INT, in.get(i).offset()) != expected++) {
                    failures.incrementAndGet();
                }
            }
            in.releaseAll();
        }
        sender.join();
        assertEquals(frames, expected);
        assertEquals(0, failures.get());
        assertEquals(0, link.a().pool(0).inUse());
        assertEquals(0, link.b().pool(0).inUse());
    }

    /** An Ethernet + IPv4 + TCP-ports frame from {@code src:sport} to {@code dst:dport}. */
    private static PacketBuffer tcpFrame(MemoryLink.End end, int queue, int protocol, int src, int dst, int sport, int dport) {
        PacketBuffer b = end.pool(queue).allocate();
        int at = b.append(54);
        MemorySegment m = b.segment();
        var be16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        var be32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
        m.set(be16, at + 12, (short) 0x0800);
        m.set(ValueLayout.JAVA_BYTE, at + 14, (byte) 0x45);
        m.set(ValueLayout.JAVA_BYTE, at + 23, (byte) protocol);
        m.set(be32, at + 26, src);
        m.set(be32, at + 30, dst);
        m.set(be16, at + 34, (short) sport);
        m.set(be16, at + 36, (short) dport);
        return b;
    }

    @Test
    void severalQueuesSteerTcpFlowsByTheirHashAndEverythingElseToQueueZero() {
        int queues = 3;
        MemoryLink link = MemoryLink.builder().queues(queues).build();
        assertEquals(queues, link.a().queueCount());
        int a = 0xC6120001;
        int b = 0xC6120002;
        int[] arrived = new int[queues];
        for (int port = 40_000; port < 40_300; port++) {
            int sendQueue = port % queues; // any sending queue: the receiver's queue depends on the flow only
            batch.add(tcpFrame(link.a(), sendQueue, 6, a, b, port, 80));
            assertEquals(1, link.a().transmit(sendQueue, batch));
            batch.removeFirst(1);
            int expected = link.b().rxQueueOf(a, b, port, 80);
            assertEquals(dev.netstack.nic.FlowHash.queueOf(a, b, port, 80, queues), expected);
            assertEquals(expected, link.a().rxQueueOf(b, a, 80, port), "symmetric");
            for (int q = 0; q < queues; q++) {
                int n = link.b().receive(q, batch);
                assertEquals(q == expected ? 1 : 0, n, "port " + port + " queue " + q);
                batch.releaseAll();
            }
            arrived[expected]++;
        }
        for (int q = 0; q < queues; q++) {
            assertTrue(arrived[q] > 50, "every queue gets flows: " + java.util.Arrays.toString(arrived));
        }
        batch.add(tcpFrame(link.a(), 2, 17, a, b, 40_001, 53)); // UDP
        assertEquals(1, link.a().transmit(2, batch));
        batch.removeFirst(1);
        assertEquals(0, link.b().receive(1, batch) + link.b().receive(2, batch));
        assertEquals(1, link.b().receive(0, batch), "UDP on queue 0");
        batch.releaseAll();
        for (int q = 0; q < queues; q++) {
            assertEquals(0, link.a().pool(q).inUse());
            assertEquals(0, link.b().pool(q).inUse());
        }
        assertEquals(0, link.inFlight());
    }
}
