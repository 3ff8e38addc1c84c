package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two stacks over a MemoryLink, driven by a deterministic simulation. */
class UdpProtocolTest {

    static final long MS = 1_000_000L;
    static final int A_ADDRESS = Ipv4Address.parse("198.18.0.1");
    static final int B_ADDRESS = Ipv4Address.parse("198.18.0.2");
    static final int SUBNET_BROADCAST = Ipv4Address.parse("198.18.0.255");
    static final int FOREIGN = Ipv4Address.parse("198.18.0.77");

    Simulation sim;
    MemoryLink link;
    Stack a;
    Stack b;

    void start(TestConfigs.Udp configA, TestConfigs.Udp configB) {
        start(configA, configB, 2048);
    }

    void start(TestConfigs.Udp configA, TestConfigs.Udp configB, int buffers) {
        sim = new Simulation(42);
        link = MemoryLink.builder().buffers(buffers).capacity(1024).build();
        a = new Stack(sim.addLoop(0), link.a(), "198.18.0.1/24", configA);
        b = new Stack(sim.addLoop(1), link.b(), "198.18.0.2/24", configB);
        sim.runFor(MS); // link-up announcements
    }

    void start() {
        start(TestConfigs.udp(), TestConfigs.udp());
    }

    @AfterEach
    void closeAndCheckLeaks() {
        if (a == null) {
            return;
        }
        sim.runFor(10 * MS);
        a.close();
        b.close();
        assertEquals(0, a.buffersInUse(), "buffers leaked on A");
        assertEquals(0, b.buffersInUse(), "buffers leaked on B");
    }

    static byte[] pattern(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + seed + (i >>> 8));
        }
        return data;
    }

    static UdpError send(UdpSocket s, int address, int port, byte[] data) {
        return s.sendTo(address, port, MemorySegment.ofArray(data), 0, data.length);
    }

    void await(String what, java.util.function.BooleanSupplier condition) {
        sim.awaitCondition(what, condition, 5_000 * MS);
    }

    // ---------------------------------------------------------------- echo

    @Test
    void echoesBothWays() {
        start();
        Recorder.Echo echoB = new Recorder.Echo();
        UdpSocket serverB = b.open(echoB);
        assertNull(serverB.bind(0, 7));
        Recorder clientA = new Recorder();
        UdpSocket a1 = a.open(clientA);
        assertNull(a1.connect(B_ADDRESS, 7));
        assertTrue(a1.localPort() >= 49_152, "ephemeral port " + a1.localPort());
        assertEquals(A_ADDRESS, a1.localAddress(), "connect takes the route's source address");
        byte[] hello = "hello, stack".getBytes();
        assertNull(a1.send(MemorySegment.ofArray(hello), 0, hello.length));
        await("echo to A", () -> clientA.received.size() == 1);
        assertArrayEquals(hello, clientA.received.get(0));
        assertEquals(B_ADDRESS, clientA.sources.get(0).sourceAddress());
        assertEquals(7, clientA.sources.get(0).sourcePort());
        assertEquals(A_ADDRESS, clientA.sources.get(0).destinationAddress());

        Recorder.Echo echoA = new Recorder.Echo();
        assertNull(a.open(echoA).bind(A_ADDRESS, 7));
        Recorder clientB = new Recorder();
        UdpSocket b1 = b.open(clientB);
        for (int i = 0; i < 20; i++) {
            assertNull(send(b1, A_ADDRESS, 7, pattern(i * 50, i)));
        }
        await("20 echoes to B", () -> clientB.received.size() == 20);
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(pattern(i * 50, i), clientB.received.get(i), "datagram " + i);
        }
        assertEquals(20, echoA.echoed);
        assertEquals(21, a.udp.counters().get(UdpCounter.IN_DATAGRAMS));
        assertEquals(21, b.udp.counters().get(UdpCounter.IN_DATAGRAMS));
        assertEquals(0, a.udp.counters().get(UdpCounter.IN_ERRORS) + b.udp.counters().get(UdpCounter.IN_ERRORS));
    }

    @Test
    void copyingReceiveTruncatesAndReportsFullLength() {
        start();
        Recorder quiet = new Recorder();
        quiet.drain = false;
        UdpSocket server = b.open(quiet);
        assertNull(server.bind(B_ADDRESS, 9000));
        UdpSocket client = a.open(new Recorder());
        assertNull(send(client, B_ADDRESS, 9000, pattern(100, 1)));
        await("queued", () -> server.queuedDatagrams() == 1);
        UdpDatagram from = new UdpDatagram();
        PacketBuffer peeked = server.peek(from);
        assertEquals(100, peeked.length());
        assertEquals(1, server.queuedDatagrams(), "peek leaves it queued");
        MemorySegment into = MemorySegment.ofArray(new byte[40]);
        assertEquals(40, server.receive(into, 0, 40, from));
        assertEquals(100, from.length());
        assertEquals(A_ADDRESS, from.sourceAddress());
        assertEquals(client.localPort(), from.sourcePort());
        byte[] first = new byte[40];
        System.arraycopy(pattern(100, 1), 0, first, 0, 40);
        assertArrayEquals(first, into.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(-1, server.receive(into, 0, 40, from));
        assertFalse(server.drop());
    }

    // ---------------------------------------------------------------- large datagrams

    @Test
    void sixtyKilobyteDatagramsAreFragmentedBothWays() {
        start();
        Recorder.Echo echoB = new Recorder.Echo();
        assertNull(b.open(echoB).bind(0, 7));
        Recorder clientA = new Recorder();
        UdpSocket client = a.open(clientA);
        assertNull(client.connect(B_ADDRESS, 7));
        // Resolve the neighbour first: ARP holds only a few packets while it resolves, fewer than 41 fragments.
        assertNull(client.send(MemorySegment.ofArray(new byte[1]), 0, 1));
        await("small echo", () -> clientA.received.size() == 1);
        clientA.received.clear();
        byte[] big = pattern(60_000, 3);
        assertNull(client.send(MemorySegment.ofArray(big), 0, big.length));
        await("60 KB echo", () -> clientA.received.size() == 1);
        assertArrayEquals(big, clientA.received.get(0));
        assertEquals(2, echoB.echoed);
        assertEquals(1, a.ip.counters().snapshot().get("frag-oks"), "A fragmented it");
        assertEquals(1, b.ip.counters().snapshot().get("frag-oks"), "B fragmented the echo");
        // the largest payload there is, zero-copy from a buffer the socket hands out
        PacketBuffer max = client.allocate(B_ADDRESS, UdpProtocol.MAX_PAYLOAD);
        byte[] maxData = pattern(UdpProtocol.MAX_PAYLOAD, 9);
        int at = max.append(maxData.length);
        MemorySegment.copy(maxData, 0, max.segment(), ValueLayout.JAVA_BYTE, at, maxData.length);
        assertNull(client.send(max));
        await("65507-byte echo", () -> clientA.received.size() == 2);
        assertArrayEquals(maxData, clientA.received.get(1));
        assertEquals(UdpError.MESSAGE_TOO_LONG, client.send(MemorySegment.ofArray(new byte[65_508]), 0, 65_508));
    }

    @Test
    void queuedReassembledDatagramsCountTheirWholeBuffer() {
        start();
        Recorder quiet = new Recorder();
        quiet.drain = false;
        UdpSocket server = b.open(quiet);
        assertNull(server.bind(0, 7000));
        UdpSocket client = a.open(null);
        assertNull(client.connect(B_ADDRESS, 7000));
        assertNull(client.send(MemorySegment.ofArray(new byte[1]), 0, 1)); // resolve ARP
        sim.runFor(10 * MS);
        assertTrue(server.drop());
        byte[] big = pattern(60_000, 5);
        for (int i = 0; i < 5; i++) {
            assertNull(client.send(MemorySegment.ofArray(big), 0, big.length));
            sim.runFor(10 * MS);
        }
        // 212992 bytes by default hold three 64 KiB reassembly buffers, not 3.5 datagrams of 60000
        assertEquals(3, server.queuedDatagrams());
        assertEquals(2, server.drops());
        assertEquals(3, b.ipLargePool().inUse(), "dropped datagrams gave their reassembly buffers back");
        UdpDatagram from = new UdpDatagram();
        PacketBuffer first = server.receive(from);
        assertEquals(60_000, first.length());
        assertArrayEquals(big, Recorder.bytes(first));
        first.release();
    }

    // ---------------------------------------------------------------- ICMP

    @Test
    void portUnreachableIsReportedToConnectedSenderOnly() {
        start();
        Recorder connected = new Recorder();
        UdpSocket c = a.open(connected);
        assertNull(c.connect(B_ADDRESS, 9999));
        assertNull(c.send(MemorySegment.ofArray(new byte[4]), 0, 4));
        await("connection refused", () -> connected.errors.size() == 1);
        assertEquals(UdpError.CONNECTION_REFUSED, connected.errors.get(0));
        assertEquals(UdpError.CONNECTION_REFUSED, c.takeError());
        assertNull(c.takeError(), "taking the error clears it");
        assertEquals(1, b.udp.counters().get(UdpCounter.NO_PORTS));

        Recorder unconnected = new Recorder();
        UdpSocket u = a.open(unconnected);
        assertNull(send(u, B_ADDRESS, 9999, new byte[4]));
        sim.runFor(20 * MS);
        assertEquals(2, b.udp.counters().get(UdpCounter.NO_PORTS));
        assertEquals(2, a.udp.counters().get(UdpCounter.ICMP_ERRORS_RECEIVED));
        assertTrue(unconnected.errors.isEmpty(), "unconnected sockets get no ICMP errors");
        assertNull(u.takeError());
    }

    @Test
    void mapsIcmpErrorsLikeLinux() {
        assertEquals(UdpError.CONNECTION_REFUSED, UdpProtocol.errorFor(3, 3));
        assertEquals(UdpError.NETWORK_UNREACHABLE, UdpProtocol.errorFor(3, 0));
        assertEquals(UdpError.HOST_UNREACHABLE, UdpProtocol.errorFor(3, 1));
        assertEquals(UdpError.PROTOCOL_UNREACHABLE, UdpProtocol.errorFor(3, 2));
        assertEquals(UdpError.MESSAGE_TOO_LONG, UdpProtocol.errorFor(3, 4));
        assertEquals(UdpError.HOST_UNREACHABLE, UdpProtocol.errorFor(11, 0));
        assertEquals(UdpError.PROTOCOL_ERROR, UdpProtocol.errorFor(12, 0));
        assertNull(UdpProtocol.errorFor(4, 0));
        assertEquals(111, UdpError.CONNECTION_REFUSED.errno());
    }

    // ---------------------------------------------------------------- binding

    @Test
    void bindRules() {
        start();
        UdpSocket wildcard = b.open(new Recorder());
        assertNull(wildcard.bind(0, 5000));
        assertEquals(UdpError.INVALID_ARGUMENT, wildcard.bind(0, 5001), "already bound");
        assertEquals(UdpError.ADDRESS_IN_USE, b.open(null).bind(0, 5000));
        assertEquals(UdpError.ADDRESS_IN_USE, b.open(null).bind(B_ADDRESS, 5000), "wildcard overlaps every address");
        assertEquals(UdpError.ADDRESS_NOT_AVAILABLE, b.open(null).bind(FOREIGN, 5000));
        assertEquals(UdpError.INVALID_ARGUMENT, b.open(null).bind(0, 70_000));

        // distinct addresses on one port need no option
        UdpSocket unicast = b.open(null);
        assertNull(unicast.bind(B_ADDRESS, 6000));
        UdpSocket directed = b.open(null);
        assertNull(directed.bind(SUBNET_BROADCAST, 6000));
        assertEquals(UdpError.ADDRESS_IN_USE, b.open(null).bind(B_ADDRESS, 6000));

        // reuse address: only when both sockets have it
        UdpSocket first = b.open(null);
        first.setReuseAddress(true);
        assertNull(first.bind(B_ADDRESS, 7000));
        assertEquals(UdpError.ADDRESS_IN_USE, b.open(null).bind(B_ADDRESS, 7000), "second without the option");
        UdpSocket duplicate = b.open(null);
        duplicate.setReuseAddress(true);
        assertNull(duplicate.bind(B_ADDRESS, 7000), "exact duplicate with the option on both");
        UdpSocket wild = b.open(null);
        wild.setReuseAddress(true);
        assertNull(wild.bind(0, 7000));

        // after close the port is free again
        wildcard.close();
        assertFalse(wildcard.isOpen());
        assertEquals(UdpError.SOCKET_CLOSED, wildcard.bind(0, 5000));
        assertNull(b.open(null).bind(0, 5000));
    }

    @Test
    void deliversToTheMostSpecificSocket() {
        start();
        Recorder wildcard = new Recorder();
        Recorder specific = new Recorder();
        Recorder connected = new Recorder();
        UdpSocket w = b.open(wildcard);
        w.setReuseAddress(true);
        assertNull(w.bind(0, 5000));
        UdpSocket s = b.open(specific);
        s.setReuseAddress(true);
        assertNull(s.bind(B_ADDRESS, 5000));
        UdpSocket c = b.open(connected);
        c.setReuseAddress(true);
        assertNull(c.bind(0, 5000));
        assertNull(c.connect(A_ADDRESS, 4000));

        UdpSocket from4000 = a.open(null);
        assertNull(from4000.bind(0, 4000));
        UdpSocket from4001 = a.open(null);
        assertNull(from4001.bind(0, 4001));
        assertNull(send(from4000, B_ADDRESS, 5000, new byte[] {1}));
        assertNull(send(from4001, B_ADDRESS, 5000, new byte[] {2}));
        await("both delivered", () -> connected.received.size() + specific.received.size() == 2);
        assertArrayEquals(new byte[] {1}, connected.received.get(0));
        assertArrayEquals(new byte[] {2}, specific.received.get(0));
        assertTrue(wildcard.received.isEmpty());

        s.close();
        assertNull(send(from4001, B_ADDRESS, 5000, new byte[] {3}));
        await("to the wildcard", () -> wildcard.received.size() == 1);

        // a connected socket filters: datagrams from others do not reach it
        assertNull(c.disconnect());
        assertEquals(0, c.localAddress());
        assertNull(c.connect(A_ADDRESS, 4444));
        w.close();
        assertNull(send(from4000, B_ADDRESS, 5000, new byte[] {4}));
        sim.runFor(20 * MS);
        assertEquals(1, connected.received.size());
        assertEquals(1, b.udp.counters().get(UdpCounter.NO_PORTS));
    }

    @Test
    void ephemeralPortsAreRandomAndRunOut() {
        start(TestConfigs.udp(), TestConfigs.udp().ephemeral(50_000, 50_009));
        Set<Integer> ports = new HashSet<>();
        UdpSocket[] sockets = new UdpSocket[10];
        for (int i = 0; i < 10; i++) {
            sockets[i] = b.open(null);
            assertNull(sockets[i].bind(0, 0));
            assertTrue(sockets[i].localPort() >= 50_000 && sockets[i].localPort() <= 50_009);
            ports.add(sockets[i].localPort());
        }
        assertEquals(10, ports.size());
        assertEquals(UdpError.ADDRESS_IN_USE, b.open(null).bind(0, 0));
        UdpSocket unbound = b.open(null);
        assertEquals(UdpError.ADDRESS_IN_USE, send(unbound, A_ADDRESS, 9, new byte[1]), "autobind fails too");
        assertEquals(UdpError.ADDRESS_IN_USE, unbound.connect(A_ADDRESS, 9));
        int freed = sockets[4].localPort();
        sockets[4].close();
        UdpSocket again = b.open(null);
        assertNull(again.bind(0, 0));
        assertEquals(freed, again.localPort());

        // RFC 6056: the first port is not predictable (a wide range, several draws)
        Set<Integer> first = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            UdpSocket s = a.open(null);
            assertNull(s.bind(0, 0));
            first.add(s.localPort());
            s.close();
        }
        assertTrue(first.size() > 1, "ephemeral ports " + first);
    }

    // ---------------------------------------------------------------- broadcast

    @Test
    void broadcastReachesEveryEligibleSocket() {
        start();
        Recorder wildcard = new Recorder();
        Recorder wildcard2 = new Recorder();
        Recorder boundToBroadcast = new Recorder();
        Recorder unicastOnly = new Recorder();
        Recorder connectedElsewhere = new Recorder();
        bindReusing(b.open(wildcard), 0, 5000);
        bindReusing(b.open(wildcard2), 0, 5000);
        bindReusing(b.open(boundToBroadcast), SUBNET_BROADCAST, 5000);
        bindReusing(b.open(unicastOnly), B_ADDRESS, 5000);
        UdpSocket c = b.open(connectedElsewhere);
        c.setReuseAddress(true);
        assertNull(c.connect(A_ADDRESS, 1));

        UdpSocket sender = a.open(null);
        // As on Linux, 255.255.255.255 goes out by the route for it: without a default route it is unreachable.
        sender.setBroadcast(true);
        assertEquals(UdpError.NETWORK_UNREACHABLE, send(sender, Ipv4Address.LIMITED_BROADCAST, 5000, new byte[] {1}));
        sender.setBroadcast(false);
        a.ip.add(new dev.netstack.ip.Route(0, 0, 0, "eth0"));
        assertEquals(UdpError.ACCESS_DENIED, send(sender, Ipv4Address.LIMITED_BROADCAST, 5000, new byte[] {1}));
        assertEquals(UdpError.ACCESS_DENIED, send(sender, SUBNET_BROADCAST, 5000, new byte[] {1}));
        sender.setBroadcast(true);
        assertNull(send(sender, Ipv4Address.LIMITED_BROADCAST, 5000, new byte[] {1}));
        assertNull(send(sender, SUBNET_BROADCAST, 5000, new byte[] {2}));
        await("broadcasts", () -> wildcard.received.size() == 2 && wildcard2.received.size() == 2
                && boundToBroadcast.received.size() == 1);
        sim.runFor(10 * MS);
        assertArrayEquals(new byte[] {2}, boundToBroadcast.received.get(0));
        assertEquals(SUBNET_BROADCAST, boundToBroadcast.sources.get(0).destinationAddress());
        assertEquals(Ipv4Address.LIMITED_BROADCAST, wildcard.sources.get(0).destinationAddress());
        assertTrue(unicastOnly.received.isEmpty());
        assertTrue(connectedElsewhere.received.isEmpty());
        assertEquals(3, b.udp.counters().get(UdpCounter.IN_BROADCAST_COPIES));

        // to a port nobody has: counted, no ICMP back
        long unreachablesBefore = a.ip.icmpCounters().snapshot().get("in-dest-unreachs");
        assertNull(send(sender, Ipv4Address.LIMITED_BROADCAST, 5999, new byte[] {3}));
        sim.runFor(20 * MS);
        assertEquals(1, b.udp.counters().get(UdpCounter.NO_PORTS));
        assertEquals(unreachablesBefore, a.ip.icmpCounters().snapshot().get("in-dest-unreachs"));
    }

    static void bindReusing(UdpSocket s, int address, int port) {
        s.setReuseAddress(true);
        assertNull(s.bind(address, port));
    }

    // ---------------------------------------------------------------- queue limits

    @Test
    void receiveQueueLimitsDropAndCount() {
        start();
        Recorder quiet = new Recorder();
        quiet.drain = false;
        UdpSocket server = b.open(quiet);
        assertNull(server.bind(0, 5000));
        server.setReceiveQueueLimits(3, 1 << 20);
        UdpSocket client = a.open(null);
        for (int i = 0; i < 5; i++) {
            assertNull(send(client, B_ADDRESS, 5000, new byte[] {(byte) i}));
        }
        sim.runFor(20 * MS);
        assertEquals(3, server.queuedDatagrams());
        assertEquals(2, server.drops());
        assertEquals(2, b.udp.counters().get(UdpCounter.RCVBUF_ERRORS));
        assertEquals(5, quiet.readable + 2, "readable per queued datagram");

        // bytes: buffer capacity counts, so two buffers' worth holds two datagrams
        assertTrue(server.drop() && server.drop() && server.drop());
        int capacity = b.pool().bufferSize();
        server.setReceiveQueueLimits(100, 2 * capacity);
        for (int i = 0; i < 4; i++) {
            assertNull(send(client, B_ADDRESS, 5000, new byte[] {(byte) i}));
        }
        sim.runFor(20 * MS);
        assertEquals(2, server.queuedDatagrams());
        assertEquals(2 * capacity, server.queuedBytes());
        assertEquals(4, server.drops());
        UdpDatagram from = new UdpDatagram();
        PacketBuffer first = server.receive(from);
        assertEquals(0, first.segment().get(ValueLayout.JAVA_BYTE, first.offset()));
        first.release();
        assertThrows(IllegalArgumentException.class, () -> server.setReceiveQueueLimits(0, 10));
        // shrinking below what is queued keeps the queue and refuses more until it drains
        server.setReceiveQueueLimits(1, 1 << 20);
        assertEquals(1, server.receiveQueueLimitDatagrams());
        assertEquals(1, server.queuedDatagrams());
        assertNull(send(client, B_ADDRESS, 5000, new byte[] {9}));
        sim.runFor(20 * MS);
        assertEquals(1, server.queuedDatagrams());
        assertEquals(5, server.drops());
    }

    // ---------------------------------------------------------------- socket lifecycle

    @Test
    void sendRequiresDestinationAndOpenSocket() {
        start();
        UdpSocket s = a.open(null);
        assertEquals(UdpError.DESTINATION_ADDRESS_REQUIRED, s.send(MemorySegment.ofArray(new byte[1]), 0, 1));
        assertEquals(UdpError.INVALID_ARGUMENT, send(s, B_ADDRESS, 0, new byte[1]));
        assertEquals(UdpError.NETWORK_UNREACHABLE, send(s, Ipv4Address.parse("203.0.113.1"), 9, new byte[1]));
        assertEquals(UdpError.NETWORK_UNREACHABLE, s.connect(Ipv4Address.parse("203.0.113.1"), 9));
        PacketBuffer buffer = s.allocate(B_ADDRESS, 10);
        buffer.append(10);
        assertEquals(UdpError.DESTINATION_ADDRESS_REQUIRED, s.send(buffer), "and the buffer is released");
        s.close();
        s.close();
        assertEquals(UdpError.SOCKET_CLOSED, send(s, B_ADDRESS, 9, new byte[1]));
        assertNull(s.allocate(B_ADDRESS, 10));
    }

    @Test
    void socketsBelongToTheShardThread() throws Exception {
        start();
        // A manual loop counts every thread as its own; a running loop does not.
        dev.netstack.runtime.EventLoop running = new dev.netstack.runtime.EventLoop(5, System::nanoTime,
                new dev.netstack.runtime.BackoffIdleStrategy(), 64);
        running.start();
        UdpProtocol udp = new UdpProtocol(TestConfigs.udp(), running, a.ip);
        try {
            assertThrows(IllegalStateException.class, () -> udp.open(null));
            java.util.concurrent.CompletableFuture<UdpSocket> onShard = new java.util.concurrent.CompletableFuture<>();
            assertTrue(running.execute(() -> onShard.complete(udp.open(null))));
            UdpSocket s = onShard.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThrows(IllegalStateException.class, () -> s.bind(0, 1234));
        } finally {
            udp.close();
            running.stop();
        }
    }

    @Test
    void stoppingTheModuleClosesSocketsWithAnError() {
        start();
        Recorder r = new Recorder();
        r.drain = false;
        UdpSocket s = b.open(r);
        assertNull(s.bind(0, 5000));
        assertNull(send(a.open(null), B_ADDRESS, 5000, new byte[8]));
        await("queued", () -> s.queuedDatagrams() == 1);
        b.udp.close();
        assertEquals(java.util.List.of(UdpError.PROTOCOL_STOPPED), r.errors);
        assertFalse(s.isOpen());
        assertEquals(0, s.queuedDatagrams());
        assertEquals(UdpError.PROTOCOL_STOPPED, s.takeError());
        assertThrows(IllegalStateException.class, () -> b.udp.open(null));
        // B's ip layer still has it bound until unbound: a new module would replace it
        b.ip.unbindProtocol(17, b.udp);
        UdpProtocol replacement = new UdpProtocol(TestConfigs.udp(), b.loop, b.ip);
        b.ip.bindProtocol(17, replacement);
        Recorder r2 = new Recorder();
        assertNull(replacement.open(r2).bind(0, 5000));
        assertNull(send(a.open(null), B_ADDRESS, 5000, new byte[8]));
        await("the new module serves", () -> r2.received.size() == 1);
        replacement.close();
        b.ip.unbindProtocol(17, replacement);
        b.ip.bindProtocol(17, b.udp);
    }

    @Test
    void handlerThatThrowsDoesNotBreakTheReceivePath() {
        start();
        UdpSocket s = b.open(new dev.netstack.udp.UdpHandler() {
            @Override
            public void onReadable(UdpSocket socket) {
                throw new IllegalStateException("handler bug (expected by the test)");
            }
        });
        assertNull(s.bind(0, 5000));
        UdpSocket client = a.open(null);
        assertNull(send(client, B_ADDRESS, 5000, new byte[] {1}));
        assertNull(send(client, B_ADDRESS, 5000, new byte[] {2}));
        await("queued", () -> s.queuedDatagrams() == 2);
        s.close();
    }

    @Test
    void sendWithoutFreeBuffersWouldBlockThenBecomesWritable() {
        start(TestConfigs.udp(), TestConfigs.udp(), 64);
        Recorder r = new Recorder();
        UdpSocket s = a.open(r);
        assertNull(s.connect(B_ADDRESS, 9));
        assertNull(s.send(MemorySegment.ofArray(new byte[1]), 0, 1)); // resolves ARP
        sim.runFor(10 * MS);
        // Without turns of the loop nothing is transmitted, so the device pool runs dry.
        UdpError error = null;
        int sent = 0;
        while (error == null && sent < 10_000) {
            error = s.send(MemorySegment.ofArray(new byte[100]), 0, 100);
            sent++;
        }
        assertEquals(UdpError.WOULD_BLOCK, error, "after " + sent + " sends");
        assertEquals(0, r.writable);
        assertEquals(1, a.udp.counters().get(UdpCounter.SNDBUF_ERRORS));
        await("writable", () -> r.writable == 1);
        assertNull(s.send(MemorySegment.ofArray(new byte[100]), 0, 100));
    }

    @Test
    void fullTransmitQueueLosesTheDatagramAndLaterSignalsWritable() {
        start();
        Recorder r = new Recorder();
        UdpSocket s = a.open(r);
        assertNull(s.connect(B_ADDRESS, 9));
        assertNull(s.send(MemorySegment.ofArray(new byte[1]), 0, 1));
        sim.runFor(10 * MS);
        UdpError error = null;
        while (error == null) {
            error = s.send(MemorySegment.ofArray(new byte[100]), 0, 100);
        }
        assertEquals(UdpError.NO_BUFFERS, error, "the device queue fills before the pool of 2048");
        await("writable", () -> r.writable == 1);
    }

    @Test
    void distinctEphemeralPortForEachSocket() {
        start();
        UdpSocket x = a.open(null);
        UdpSocket y = a.open(null);
        assertNull(x.connect(B_ADDRESS, 9));
        assertNull(y.connect(B_ADDRESS, 9));
        assertNotEquals(x.localPort(), y.localPort());
    }
}
