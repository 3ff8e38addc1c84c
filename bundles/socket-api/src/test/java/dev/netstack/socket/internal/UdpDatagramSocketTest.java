package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.udp.UdpDatagram;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpDatagramSocketTest {

    TwoStacks net;

    @BeforeEach
    void setUp() {
        net = new TwoStacks(128 * 1024, java.util.Map.of());
    }

    @AfterEach
    void tearDown() {
        net.close();
    }

    @Test
    void sendToAndReceiveFromCarryDataAndAddresses() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5000);
        DatagramSocket client = net.a.sockets.openDatagram();
        client.bind(0, 5001);
        byte[] data = new byte[1000];
        new Random(1).nextBytes(data);
        assertTrue(client.sendTo(TwoStacks.B, 5000, data, 0, data.length));
        byte[] in = new byte[2000];
        UdpDatagram from = new UdpDatagram();
        int n = server.receiveFrom(in, 0, in.length, from);
        assertEquals(1000, n);
        assertArrayEquals(data, Arrays.copyOf(in, n));
        assertEquals(TwoStacks.A, from.sourceAddress());
        assertEquals(5001, from.sourcePort());
        assertEquals(TwoStacks.B, from.destinationAddress());
        // answer through a ByteBuffer, receive into a too-small buffer: truncated, full length told
        assertTrue(server.sendTo(from.sourceAddress(), from.sourcePort(), ByteBuffer.wrap(data)));
        ByteBuffer small = ByteBuffer.allocate(100);
        assertEquals(100, client.receiveFrom(small, from));
        assertEquals(1000, from.length());
        assertArrayEquals(Arrays.copyOf(data, 100), small.array());
        client.close();
        server.close();
    }

    @Test
    void largeDatagramsAreFragmentedAndReassembled() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5002);
        DatagramSocket client = net.a.sockets.openDatagram();
        client.connect(TwoStacks.B, 5002);
        client.send(new byte[1], 0, 1); // resolves the peer's MAC first
        assertEquals(1, server.receiveFrom(new byte[10], 0, 10, null));
        byte[] data = new byte[60_000];
        new Random(2).nextBytes(data);
        assertTrue(client.send(data, 0, data.length));
        byte[] in = new byte[65_536];
        int n = server.receiveFrom(in, 0, in.length, null);
        assertEquals(60_000, n);
        assertArrayEquals(data, Arrays.copyOf(in, n));
        client.close();
        server.close();
    }

    @Test
    void manyDatagramsWrapTheRingsIntact() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5003);
        DatagramSocket client = net.a.sockets.openDatagram();
        client.connect(TwoStacks.B, 5003);
        server.setReceiveQueueLimits(4096, 64 << 20);
        byte[] in = new byte[2000];
        for (int i = 0; i < 2000; i++) {
            byte[] data = new byte[1 + (i * 37) % 1400];
            Arrays.fill(data, (byte) i);
            client.send(data, 0, data.length);
            int n = server.receiveFrom(in, 0, in.length, null);
            assertEquals(data.length, n, "datagram " + i);
            assertArrayEquals(data, Arrays.copyOf(in, n), "datagram " + i);
        }
        client.close();
        server.close();
    }

    @Test
    void errorsComeAsSocketErrors() {
        DatagramSocket a = net.b.sockets.openDatagram();
        a.bind(0, 5004);
        DatagramSocket b = net.b.sockets.openDatagram();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> b.bind(0, 5004)).error());
        DatagramSocket c = net.b.sockets.openDatagram();
        DatagramSocket d = net.b.sockets.openDatagram();
        d.setReuseAddress(true);
        d.bind(0, 5005);
        DatagramSocket e = net.b.sockets.openDatagram();
        e.setReuseAddress(true);
        e.bind(0, 5005);
        assertEquals(SocketError.DESTINATION_ADDRESS_REQUIRED,
                assertThrows(SocketException.class, () -> e.send(new byte[1], 0, 1)).error());
        assertEquals(SocketError.MESSAGE_TOO_LONG,
                assertThrows(SocketException.class, () -> e.sendTo(TwoStacks.A, 1, new byte[70_000], 0, 70_000)).error());
        e.setBlocking(false);
        assertEquals(-1, e.receiveFrom(new byte[10], 0, 10, null));
        e.setBlocking(true);
        e.setReceiveTimeout(100);
        assertEquals(SocketError.TIMED_OUT,
                assertThrows(SocketException.class, () -> e.receiveFrom(new byte[10], 0, 10, null)).error());
        e.close();
        assertEquals(SocketError.CLOSED,
                assertThrows(SocketException.class, () -> e.sendTo(TwoStacks.A, 1, new byte[1], 0, 1)).error());
        for (DatagramSocket s : new DatagramSocket[] {a, b, c, d}) {
            s.close();
        }
    }

    @Test
    void connectedSocketLearnsPortUnreachableAsConnectionRefused() throws Exception {
        DatagramSocket client = net.a.sockets.openDatagram();
        client.connect(TwoStacks.B, 5999); // nothing there
        client.send(new byte[10], 0, 10);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!client.isReadable() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(SocketError.CONNECTION_REFUSED,
                assertThrows(SocketException.class, () -> client.receiveFrom(new byte[10], 0, 10, null)).error());
        client.close();
    }

    @Test
    void selectorSeesDatagramReadiness() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5006);
        SocketSelector selector = net.b.sockets.openSelector();
        selector.register(server, SocketSelector.OP_READ | SocketSelector.OP_WRITE, null);
        assertEquals(1, selector.selectNow());
        assertEquals(SocketSelector.OP_WRITE, selector.readyKeys().get(0).readyOps());
        DatagramSocket client = net.a.sockets.openDatagram();
        client.sendTo(TwoStacks.B, 5006, new byte[5], 0, 5);
        selector.register(server, SocketSelector.OP_READ, null);
        assertEquals(1, selector.select(5000));
        assertEquals(SocketSelector.OP_READ, selector.readyKeys().get(0).readyOps());
        selector.close();
        client.close();
        server.close();
    }

    @Test
    void zeroCopyReceiveLendsTheStacksBufferAndTakesItBack() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.setZeroCopyReceive(true);
        server.bind(0, 5007);
        DatagramSocket client = net.a.sockets.openDatagram();
        byte[] data = new byte[300];
        new Random(3).nextBytes(data);
        client.sendTo(TwoStacks.B, 5007, data, 0, data.length);
        UdpDatagram from = new UdpDatagram();
        PacketBuffer b = server.receiveBuffer(from);
        assertEquals(300, b.length());
        assertEquals(TwoStacks.A, from.sourceAddress());
        byte[] got = b.segment().asSlice(b.offset(), b.length()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        assertArrayEquals(data, got);
        server.release(b);
        server.setBlocking(false);
        assertNull(server.receiveBuffer(from));
        assertFalse(server.isReadable());
        client.close();
        server.close();
    }

    @Test
    void bindToPortZeroShowsItsEphemeralPortAtOnce() {
        DatagramSocket s = net.a.sockets.openDatagram();
        s.bind(0, 0);
        assertTrue(s.localPort() != 0, "port " + s.localPort());
        DatagramSocket other = net.a.sockets.openDatagram();
        int port = s.localPort();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> other.bind(0, port)).error());
        s.close();
        other.bind(0, port); // released by close
        other.close();
    }

    @Test
    void broadcastNeedsTheOption() throws Exception {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5008);
        DatagramSocket client = net.a.sockets.openDatagram();
        int broadcast = dev.netstack.ip.wire.Ipv4Address.parse("198.18.0.255");
        client.sendTo(broadcast, 5008, new byte[3], 0, 3); // refused by the stack: the pending error
        long deadline = System.nanoTime() + 10_000_000_000L;
        SocketError error;
        while ((error = client.takeError()) == null) {
            assertTrue(System.nanoTime() < deadline, "no error for a broadcast without the option");
            Thread.sleep(5);
        }
        assertEquals(SocketError.ACCESS_DENIED, error);
        assertEquals(13, error.errno());
        client.setBroadcast(true);
        client.sendTo(broadcast, 5008, new byte[] {1, 2, 3}, 0, 3);
        server.setReceiveTimeout(10_000);
        UdpDatagram from = new UdpDatagram();
        assertEquals(3, server.receiveFrom(new byte[10], 0, 10, from));
        assertEquals(TwoStacks.A, from.sourceAddress());
        client.close();
        server.close();
    }

    @Test
    void closingFromAnotherThreadWakesABlockedReceive() throws Exception {
        DatagramSocket s = net.a.sockets.openDatagram();
        s.bind(0, 5009);
        java.util.concurrent.CompletableFuture<SocketError> blocked = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                s.receiveFrom(new byte[10], 0, 10, null);
                return null;
            } catch (SocketException e) {
                return e.error();
            }
        }, TcpStreamSocketTest.VT);
        Thread.sleep(100);
        s.close();
        assertEquals(SocketError.CLOSED, blocked.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void disconnectLiftsTheReceiveFilterAndTheDefaultDestination() {
        DatagramSocket server = net.b.sockets.openDatagram();
        server.bind(0, 5010);
        server.connect(TwoStacks.A, 5011);
        assertEquals(TwoStacks.A, server.remoteAddress());
        assertEquals(5011, server.remotePort());
        server.disconnect();
        assertEquals(0, server.remotePort());
        assertEquals(SocketError.DESTINATION_ADDRESS_REQUIRED,
                assertThrows(SocketException.class, () -> server.send(new byte[1], 0, 1)).error());
        DatagramSocket other = net.a.sockets.openDatagram();
        other.bind(0, 5012); // not the connected peer's port: delivered only once disconnected
        other.sendTo(TwoStacks.B, 5010, new byte[] {4}, 0, 1);
        server.setReceiveTimeout(10_000);
        UdpDatagram from = new UdpDatagram();
        assertEquals(1, server.receiveFrom(new byte[4], 0, 4, from));
        assertEquals(5012, from.sourcePort());
        other.close();
        server.close();
    }
}
