package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.StreamSocket;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpStreamSocketTest {

    static final java.util.concurrent.ExecutorService VT = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    static CompletableFuture<Void> async(Runnable task) {
        return CompletableFuture.runAsync(task, VT);
    }

    static <T> CompletableFuture<T> asyncGet(java.util.function.Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, VT);
    }

    TwoStacks net;

    @BeforeEach
    void setUp() {
        net = new TwoStacks();
    }

    @AfterEach
    void tearDown() {
        net.close();
    }

    StreamSocket listen(int port) {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, port);
        server.listen(16);
        return server;
    }

    static byte[] random(long seed, int n) {
        byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    static byte[] readFully(StreamSocket s, int n) {
        byte[] out = new byte[n];
        int at = 0;
        while (at < n) {
            int r = s.receive(out, at, n - at);
            if (r < 0) {
                throw new AssertionError("end of stream after " + at + " of " + n + " bytes");
            }
            at += r;
        }
        return out;
    }

    @Test
    void blockingConnectAcceptSendReceiveBothWaysAndOrderlyClose() throws Exception {
        StreamSocket server = listen(7000);
        CompletableFuture<StreamSocket> accepted = asyncGet(server::accept);
        StreamSocket client = net.a.sockets.openStream();
        assertTrue(client.connect(TwoStacks.B, 7000));
        StreamSocket peer = accepted.get(10, TimeUnit.SECONDS);
        assertTrue(client.isConnected());
        assertEquals(TwoStacks.B, client.remoteAddress());
        assertEquals(7000, client.remotePort());
        assertEquals(TwoStacks.A, peer.remoteAddress());
        assertEquals(client.localPort(), peer.remotePort());

        byte[] up = random(1, 300_000); // several times the rings and TCP buffers
        byte[] down = random(2, 200_000);
        CompletableFuture<byte[]> serverRead = asyncGet(() -> readFully(peer, up.length));
        CompletableFuture<Void> serverWrite = async(() -> peer.send(down, 0, down.length));
        assertEquals(up.length, client.send(up, 0, up.length));
        assertArrayEquals(down, readFully(client, down.length));
        assertArrayEquals(up, serverRead.get(20, TimeUnit.SECONDS));
        serverWrite.get(20, TimeUnit.SECONDS);

        client.shutdownOutput();
        assertEquals(-1, peer.receive(new byte[10], 0, 10), "FIN after the data is end of stream");
        peer.send(new byte[] {42}, 0, 1); // half-closed: the other direction still works
        assertEquals(42, readFully(client, 1)[0]);
        peer.close();
        assertEquals(-1, client.receive(new byte[1], 0, 1));
        assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1));
        client.close();
        server.close();
    }

    @Test
    void byteBufferAndSegmentVariantsMoveTheSameBytes() throws Exception {
        StreamSocket server = listen(7001);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7001);
        StreamSocket peer = server.accept();
        ByteBuffer direct = ByteBuffer.allocateDirect(5000);
        byte[] data = random(3, 5000);
        direct.put(data).flip();
        assertEquals(5000, client.send(direct));
        assertFalse(direct.hasRemaining());
        ByteBuffer in = ByteBuffer.allocate(5000);
        while (in.hasRemaining()) {
            peer.receive(in);
        }
        assertArrayEquals(data, in.array());
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(5000);
        seg.copyFrom(java.lang.foreign.MemorySegment.ofArray(data));
        peer.send(seg, 0, 5000);
        java.lang.foreign.MemorySegment back = java.lang.foreign.Arena.ofAuto().allocate(5000);
        int at = 0;
        while (at < 5000) {
            at += client.receive(back, at, 5000 - at);
        }
        assertArrayEquals(data, back.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        client.close();
        peer.close();
        server.close();
    }

    @Test
    void bulkZeroCopySendHandsSeveralBuffersOverInOneCall() {
        StreamSocket server = listen(7010);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7010);
        StreamSocket peer = server.accept();
        byte[] expected = new byte[4 * 1000];
        dev.netstack.nic.PacketBuffer[] batch = new dev.netstack.nic.PacketBuffer[4];
        for (int i = 0; i < 4; i++) {
            batch[i] = client.allocate();
            byte[] part = random(10 + i, 1000);
            System.arraycopy(part, 0, expected, i * 1000, 1000);
            java.lang.foreign.MemorySegment.copy(part, 0, batch[i].segment(), java.lang.foreign.ValueLayout.JAVA_BYTE,
                    batch[i].offset(), 1000);
            batch[i].append(1000);
        }
        client.send(batch, 4);
        assertNull(batch[0], "ownership moved to the stack");
        assertArrayEquals(expected, readFully(peer, expected.length));
        client.close();
        peer.close();
        server.close();
    }

    @Test
    void nonBlockingConnectCompletesThroughFinishConnectAndOpConnect() {
        StreamSocket server = listen(7002);
        server.setBlocking(false);
        assertNull(server.accept(), "nothing to accept yet");
        StreamSocket client = net.a.sockets.openStream();
        client.setBlocking(false);
        SocketSelector selector = net.a.sockets.openSelector();
        assertFalse(client.connect(TwoStacks.B, 7002));
        // A second connect fails: still in progress, or (if the shard already finished the
        // handshake over the fast in-memory link) already connected, as POSIX's EALREADY/EISCONN.
        SocketError again = assertThrows(SocketException.class, () -> client.connect(TwoStacks.B, 7002)).error();
        assertTrue(again == SocketError.CONNECT_IN_PROGRESS || again == SocketError.ALREADY_CONNECTED, again.toString());
        selector.register(client, SocketSelector.OP_CONNECT, null);
        assertEquals(1, selector.select(10_000));
        assertEquals(SocketSelector.OP_CONNECT, selector.readyKeys().get(0).readyOps());
        assertTrue(client.finishConnect());
        assertFalse(client.isConnectPending());
        assertEquals(0, client.receive(new byte[10], 0, 10), "non-blocking receive with no data");
        SocketSelector serverSelector = net.b.sockets.openSelector();
        serverSelector.register(server, SocketSelector.OP_ACCEPT, "listener");
        assertEquals(1, serverSelector.select(10_000));
        assertEquals("listener", serverSelector.readyKeys().get(0).attachment());
        assertNotNull(server.accept());
        client.close();
        server.close();
        selector.close();
        serverSelector.close();
    }

    @Test
    void nonBlockingSendFillsTheRingAndReturnsWhatFitted() {
        StreamSocket server = listen(7003);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7003);
        StreamSocket peer = server.accept();
        client.setBlocking(false);
        byte[] chunk = new byte[64 * 1024];
        long sent = 0;
        int n;
        int zeros = 0;
        // the peer does not read: its window, our TCP buffer and our ring fill up, then send returns 0
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (zeros < 50 && System.nanoTime() < deadline) {
            n = client.send(chunk, 0, chunk.length);
            sent += n;
            if (n == 0) {
                zeros++; // 50 in a row with 10 ms pauses: nothing drains any more
                sleep(10);
            } else {
                zeros = 0;
            }
        }
        assertTrue(zeros >= 50, "send returned 0 once everything was full");
        assertFalse(client.isWritable() && client.send(chunk, 0, chunk.length) == chunk.length);
        assertTrue(sent > 256 * 1024, "buffers held " + sent);
        peer.close();
        client.close();
        server.close();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void connectToAClosedPortIsRefused() {
        StreamSocket client = net.a.sockets.openStream();
        SocketException e = assertThrows(SocketException.class, () -> client.connect(TwoStacks.B, 7999));
        assertEquals(SocketError.CONNECTION_REFUSED, e.error());
        assertEquals(111, e.error().errno());
        client.close();
    }

    @Test
    void listeningTwiceOnAPortIsAddressInUse() {
        StreamSocket first = listen(7004);
        StreamSocket second = net.b.sockets.openStream();
        second.bind(0, 7004);
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> second.listen(4)).error());
        first.close();
        second.close();
    }

    @Test
    void connectWithoutARouteIsNetworkUnreachable() {
        StreamSocket client = net.a.sockets.openStream();
        SocketException e = assertThrows(SocketException.class,
                () -> client.connect(dev.netstack.ip.wire.Ipv4Address.parse("198.19.5.5"), 80));
        assertEquals(SocketError.NETWORK_UNREACHABLE, e.error());
    }

    @Test
    void abortByThePeerIsConnectionResetAfterTheDataBeforeIt() throws Exception {
        StreamSocket server = listen(7005);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7005);
        StreamSocket peer = server.accept();
        peer.send(new byte[] {1, 2, 3}, 0, 3);
        readFully(client, 3);
        peer.setLinger(0);
        peer.close(); // RST
        SocketException e = assertThrows(SocketException.class, () -> client.receive(new byte[10], 0, 10));
        assertEquals(SocketError.CONNECTION_RESET, e.error());
        client.close();
        server.close();
    }

    @Test
    void receiveTimeoutThrowsTimedOut() {
        StreamSocket server = listen(7006);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7006);
        client.setReceiveTimeout(200);
        long start = System.nanoTime();
        assertEquals(SocketError.TIMED_OUT,
                assertThrows(SocketException.class, () -> client.receive(new byte[10], 0, 10)).error());
        assertTrue(System.nanoTime() - start >= 150_000_000L);
        server.setReceiveTimeout(100);
        server.accept(); // the one connection waits
        assertEquals(SocketError.TIMED_OUT, assertThrows(SocketException.class, server::accept).error());
        client.close();
        server.close();
    }

    @Test
    void callsOnAClosedSocketFailWithClosed() {
        StreamSocket client = net.a.sockets.openStream();
        client.close();
        client.close(); // idempotent
        assertFalse(client.isOpen());
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.connect(TwoStacks.B, 1)).error());
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1)).error());
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.listen(1)).error());
    }

    @Test
    void closingFromAnotherThreadWakesABlockedReceiver() throws Exception {
        StreamSocket server = listen(7007);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7007);
        CompletableFuture<SocketError> blocked = asyncGet(() -> {
            try {
                client.receive(new byte[10], 0, 10);
                return null;
            } catch (SocketException e) {
                return e.error();
            }
        });
        Thread.sleep(100);
        client.close();
        assertEquals(SocketError.CLOSED, blocked.get(10, TimeUnit.SECONDS));
        server.close();
    }

    @Test
    void callsOutOfOrderFailWithTheirErrno() {
        StreamSocket s = net.a.sockets.openStream();
        assertEquals(SocketError.NOT_CONNECTED, assertThrows(SocketException.class, () -> s.send(new byte[1], 0, 1)).error());
        assertEquals(SocketError.NOT_CONNECTED, assertThrows(SocketException.class, () -> s.receive(new byte[1], 0, 1)).error());
        assertEquals(SocketError.INVALID_ARGUMENT, assertThrows(SocketException.class, s::accept).error());
        assertEquals(SocketError.NOT_CONNECTED, assertThrows(SocketException.class, s::finishConnect).error());
        assertEquals(SocketError.INVALID_ARGUMENT, assertThrows(SocketException.class, () -> s.bind(0, 70_000)).error());
        StreamSocket server = listen(7008);
        assertEquals(SocketError.ALREADY_CONNECTED,
                assertThrows(SocketException.class, () -> server.connect(TwoStacks.A, 1)).error());
        s.close();
        server.close();
    }

    @Test
    void optionsReachTheConnection() {
        StreamSocket server = listen(7009);
        StreamSocket client = net.a.sockets.openStream();
        client.setNoDelay(true);
        client.setBufferSizes(32 * 1024, 48 * 1024);
        client.setKeepAlive(true, 1000, 500, 3);
        client.setLinger(5000);
        client.setReuseAddress(true);
        client.connect(TwoStacks.B, 7009);
        client.setCongestionControl(net.a.tcp.congestionControls().get(0));
        var o = ((TcpStreamSocket) client).options();
        assertTrue(o.noDelay());
        assertTrue(o.keepAlive());
        assertEquals(1000, o.keepAliveIdleMs());
        assertEquals(5000, o.lingerMs());
        assertEquals(48 * 1024, o.receiveBufferBytes());
        assertEquals(net.a.tcp.congestionControls().get(0), ((TcpStreamSocket) client).info().congestionControl());
        assertEquals(SocketError.INVALID_ARGUMENT,
                assertThrows(SocketException.class, () -> client.setCongestionControl("no-such-algorithm")).error());
        client.close();
        server.close();
    }

    @Test
    void protocolGoneFailsNewSocketsWithProtocolStopped() {
        StackSockets sockets = new StackSockets(net.a.loop, null, null, 4096, 16);
        assertEquals(SocketError.PROTOCOL_STOPPED, assertThrows(SocketException.class, sockets::openStream).error());
        assertEquals(SocketError.PROTOCOL_STOPPED, assertThrows(SocketException.class, sockets::openDatagram).error());
    }

    @Test
    void zeroCopyReceiveHandsOverTheDevicesOwnBuffers() {
        StreamSocket server = net.b.sockets.openStream();
        server.setZeroCopyReceive(true);
        server.bind(0, 7020);
        server.listen(4);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7020);
        StreamSocket peer = server.accept();
        byte[] data = random(20, 300_000);
        CompletableFuture<Void> sending = async(() -> {
            client.send(data, 0, data.length);
            client.shutdownOutput();
        });
        byte[] got = new byte[data.length];
        int at = 0;
        long fromDevice = 0;
        long buffers = 0;
        dev.netstack.nic.PacketBuffer b;
        while ((b = peer.receiveBuffer()) != null) {
            java.lang.foreign.MemorySegment.copy(b.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, b.offset(), got, at,
                    b.length());
            at += b.length();
            buffers++;
            if (b.pool() == net.link.b().pool(0)) {
                fromDevice++; // the segment's own receive buffer: nothing copied on the way
            }
            peer.release(b);
        }
        sending.join();
        assertEquals(data.length, at);
        assertArrayEquals(data, got);
        assertTrue(peer.isInputShutdown());
        assertEquals(buffers, fromDevice, "every buffer is a device receive buffer on a clean link");
        client.close();
        peer.close();
        server.close();
        UdpDatagramSocketTest.awaitBaseline(net.b, net.b.sockets.pool(), 0);
    }

    @Test
    void resetWhileTheApplicationHoldsReceivedBuffersLeaksNothing() {
        dev.netstack.nic.PacketPool devicePool = net.link.b().pool(0);
        int baseline = UdpDatagramSocketTest.inUse(net.b, devicePool);
        StreamSocket server = net.b.sockets.openStream();
        server.setZeroCopyReceive(true);
        server.bind(0, 7021);
        server.listen(4);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7021);
        StreamSocket peer = server.accept();
        client.send(random(21, 100_000), 0, 100_000);
        java.util.List<dev.netstack.nic.PacketBuffer> held = new java.util.ArrayList<>();
        int got = 0;
        while (got < 50_000) {
            dev.netstack.nic.PacketBuffer b = peer.receiveBuffer();
            got += b.length();
            held.add(b);
        }
        client.setLinger(0);
        client.close(); // RST
        assertEquals(SocketError.CONNECTION_RESET, assertThrows(SocketException.class, () -> {
            while (true) {
                dev.netstack.nic.PacketBuffer b = peer.receiveBuffer();
                if (b == null) {
                    return;
                }
                held.add(b);
            }
        }).error());
        for (dev.netstack.nic.PacketBuffer b : held) {
            // the shard no longer touches it: read from here
            assertEquals(1, b.refCount(), "a held buffer stays out of the pool, the application's only");
        }
        for (dev.netstack.nic.PacketBuffer b : held) {
            peer.release(b); // after the reset: still the application's to give back
        }
        peer.close();
        server.close();
        UdpDatagramSocketTest.awaitBaseline(net.b, devicePool, baseline);
    }
}
