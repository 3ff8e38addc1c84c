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
    void listeningTwiceOnAPortIsAddressInUseAtBind() {
        StreamSocket first = listen(7004);
        StreamSocket second = net.b.sockets.openStream();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> second.bind(0, 7004)).error());
        assertEquals(98, SocketError.ADDRESS_IN_USE.errno());
        first.close();
        second.close();
    }

    @Test
    void bindReservesThePortAtOnceAndCloseReleasesIt() {
        StreamSocket first = net.b.sockets.openStream();
        first.bind(0, 7030); // bound, not listening: the port is taken already
        StreamSocket second = net.b.sockets.openStream();
        SocketException e = assertThrows(SocketException.class, () -> second.bind(TwoStacks.B, 7030));
        assertEquals(SocketError.ADDRESS_IN_USE, e.error());
        assertTrue(e.getMessage().contains("7030"), e.getMessage());
        assertEquals(SocketError.INVALID_ARGUMENT, assertThrows(SocketException.class, () -> first.bind(0, 7031)).error(),
                "bound already");
        first.close();
        second.bind(TwoStacks.B, 7030);
        assertEquals(TwoStacks.B, second.localAddress());
        assertEquals(7030, second.localPort());
        second.close();
    }

    @Test
    void bindToPortZeroAssignsAnEphemeralPortThatConnectUses() {
        StreamSocket server = listen(7032);
        StreamSocket client = net.a.sockets.openStream();
        client.bind(0, 0);
        int port = client.localPort();
        assertTrue(port >= 32_768 && port <= 60_999, "ephemeral port " + port);
        StreamSocket other = net.a.sockets.openStream();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> other.bind(0, port)).error());
        client.connect(TwoStacks.B, 7032);
        assertEquals(port, client.localPort());
        assertEquals(port, server.accept().remotePort());
        client.close();
        other.close();
        server.close();
    }

    @Test
    void listenWithoutBindTakesAnEphemeralPort() {
        StreamSocket server = net.b.sockets.openStream();
        server.listen(4);
        assertTrue(server.localPort() != 0);
        StreamSocket client = net.a.sockets.openStream();
        assertTrue(client.connect(TwoStacks.B, server.localPort()));
        client.close();
        server.close();
    }

    @Test
    void bindToAnAddressNotOursIsAddressNotAvailable() {
        StreamSocket s = net.b.sockets.openStream();
        assertEquals(SocketError.ADDRESS_NOT_AVAILABLE,
                assertThrows(SocketException.class, () -> s.bind(TwoStacks.A, 7033)).error());
        s.close();
    }

    /** The server side closes first, so its end of the connection waits in TIME_WAIT on port 7034. */
    @Test
    void reuseAddressLetsAListenerBindWhileTimeWaitHoldsThePort() throws Exception {
        StreamSocket server = listen(7034);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7034);
        StreamSocket peer = server.accept();
        peer.close(); // active close: FIN first
        assertEquals(-1, client.receive(new byte[1], 0, 1));
        client.close();
        server.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (net.b.tcp.connections().stream().noneMatch(i -> i.localPort() == 7034
                && i.state() == dev.netstack.tcp.TcpState.TIME_WAIT)) {
            assertTrue(System.nanoTime() < deadline, "no TIME_WAIT on 7034: " + net.b.tcp.connections());
            sleep(10);
        }
        StreamSocket plain = net.b.sockets.openStream();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> plain.bind(0, 7034)).error(),
                "without reuse address TIME_WAIT holds the port");
        plain.close();
        StreamSocket reusing = net.b.sockets.openStream();
        reusing.setReuseAddress(true);
        reusing.bind(0, 7034);
        reusing.listen(4);
        StreamSocket again = net.a.sockets.openStream();
        assertTrue(again.connect(TwoStacks.B, 7034), "the new listener serves");
        assertNotNull(reusing.accept());
        StreamSocket second = net.b.sockets.openStream();
        second.setReuseAddress(true);
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> second.bind(0, 7034)).error(),
                "two listeners on one port fail even with reuse address");
        second.close();
        again.close();
        reusing.close();
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
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.bind(0, 7040)).error());
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.setNoDelay(true)).error());
        assertEquals(9, SocketError.CLOSED.errno());
    }

    @Test
    void callsOnAClosedConnectedSocketFailWithClosedBlockingAndNot() {
        StreamSocket server = listen(7041);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7041);
        StreamSocket peer = server.accept();
        client.close();
        for (boolean blocking : new boolean[] {true, false}) {
            client.setBlocking(blocking);
            assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.receive(new byte[1], 0, 1)).error());
            assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1)).error());
            assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, client::shutdownOutput).error());
            assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, client::shutdownInput).error());
            assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, client::finishConnect).error());
        }
        server.close();
        server.setBlocking(false);
        assertEquals(SocketError.CLOSED, assertThrows(SocketException.class, server::accept).error());
        assertEquals(-1, peer.receive(new byte[1], 0, 1), "the peer saw the orderly close");
        peer.close();
    }

    @Test
    void shutdownInBothDirections() {
        StreamSocket server = listen(7042);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7042);
        StreamSocket peer = server.accept();
        client.shutdownInput();
        assertTrue(client.isInputShutdown());
        assertEquals(-1, client.receive(new byte[4], 0, 4), "SHUT_RD: receive is end of stream");
        client.send(new byte[] {5, 6}, 0, 2); // the other direction still works
        assertArrayEquals(new byte[] {5, 6}, readFully(peer, 2));
        client.shutdownOutput();
        assertEquals(-1, peer.receive(new byte[4], 0, 4), "SHUT_WR: the peer reads end of stream");
        SocketException e = assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1));
        assertEquals(SocketError.BROKEN_PIPE, e.error());
        assertEquals(32, e.error().errno());
        client.setBlocking(false);
        assertEquals(SocketError.BROKEN_PIPE, assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1)).error(),
                "non-blocking too");
        peer.send(new byte[] {7}, 0, 1); // discarded by SHUT_RD, not an error for the peer
        peer.close();
        client.close();
        server.close();
    }

    @Test
    void shutdownInputFromAnotherThreadEndsABlockedReceive() throws Exception {
        StreamSocket server = listen(7043);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7043);
        CompletableFuture<Integer> blocked = asyncGet(() -> client.receive(new byte[10], 0, 10));
        Thread.sleep(100);
        client.shutdownInput();
        assertEquals(-1, blocked.get(10, TimeUnit.SECONDS));
        client.close();
        server.close();
    }

    @Test
    void shutdownOutputFromAnotherThreadFailsASenderBlockedForSpace() throws Exception {
        StreamSocket server = listen(7044);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7044);
        StreamSocket peer = server.accept(); // never reads: the sender fills every buffer and waits
        CompletableFuture<SocketError> sender = asyncGet(() -> {
            try {
                client.send(new byte[4 << 20], 0, 4 << 20);
                return null;
            } catch (SocketException e) {
                return e.error();
            }
        });
        Thread.sleep(200);
        client.shutdownOutput();
        assertEquals(SocketError.BROKEN_PIPE, sender.get(10, TimeUnit.SECONDS));
        client.close();
        peer.close();
        server.close();
    }

    /**
     * Issue 4's lost wakeup: in blocking mode, a thread that receives and one that sends while the
     * connecting thread waits for the handshake all waited in one slot, so the handshake woke only
     * the last of them and the others parked for ever. The peer's shard is held up so that all
     * three wait.
     */
    @Test
    void everyThreadWaitingForAConnectWakesWhenItCompletes() throws Exception {
        StreamSocket server = listen(7045);
        StreamSocket client = net.a.sockets.openStream();
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        net.b.loop.execute(() -> {
            try {
                hold.await(10, TimeUnit.SECONDS); // the SYN waits in B's device queue meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CompletableFuture<Boolean> connecting = asyncGet(() -> client.connect(TwoStacks.B, 7045));
        while (((TcpStreamSocket) client).state() != TcpStreamSocket.CONNECTING) {
            Thread.sleep(5);
        }
        CompletableFuture<byte[]> reading = asyncGet(() -> readFully(client, 3));
        CompletableFuture<Integer> writing = asyncGet(() -> client.send(new byte[] {4, 5}, 0, 2));
        Thread.sleep(200); // all three park in finishConnect
        hold.countDown();
        awaitOrDumpThreads(CompletableFuture.allOf(connecting, writing), "connect and send");
        assertTrue(connecting.join());
        assertEquals(2, writing.join());
        StreamSocket peer = server.accept();
        assertArrayEquals(new byte[] {4, 5}, readFully(peer, 2));
        peer.send(new byte[] {1, 2, 3}, 0, 3);
        awaitOrDumpThreads(reading, "receive");
        assertArrayEquals(new byte[] {1, 2, 3}, reading.join());
        client.close();
        peer.close();
        server.close();
    }

    @Test
    void nonBlockingConnectToAClosedPortFailsInFinishConnect() {
        StreamSocket client = net.a.sockets.openStream();
        client.setBlocking(false);
        SocketError error = null;
        try {
            assertFalse(client.connect(TwoStacks.B, 7998));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!client.finishConnect()) {
                assertTrue(System.nanoTime() < deadline, "connect never finished");
                sleep(5);
            }
        } catch (SocketException e) {
            error = e.error();
        }
        assertEquals(SocketError.CONNECTION_REFUSED, error);
        client.close();
    }

    @Test
    void sendAfterThePeerResetIsConnectionReset() throws Exception {
        StreamSocket server = listen(7046);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7046);
        StreamSocket peer = server.accept();
        peer.setLinger(0);
        peer.close(); // linger 0: RST instead of FIN
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (client.isConnected()) {
            assertTrue(System.nanoTime() < deadline, "no reset arrived");
            sleep(5);
        }
        assertEquals(SocketError.CONNECTION_RESET, assertThrows(SocketException.class, () -> client.send(new byte[1], 0, 1)).error());
        client.close();
        server.close();
    }

    @Test
    void connectToAHostThatNeverAnswersTimesOut() {
        net.close();
        net = new TwoStacks(64 * 1024, java.util.Map.of("syn_retries", 1, "rto_initial_ms", 100));
        net.b.loop.stop(); // B hears nothing any more
        StreamSocket client = net.a.sockets.openStream();
        SocketException e = assertThrows(SocketException.class, () -> client.connect(TwoStacks.B, 7047));
        assertEquals(SocketError.TIMED_OUT, e.error());
        assertEquals(110, e.error().errno());
        client.close();
    }

    @Test
    void nonBlockingReceiveAndAcceptReturnAtOnce() {
        StreamSocket server = listen(7048);
        server.setBlocking(false);
        assertNull(server.accept());
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7048);
        client.setBlocking(false);
        assertFalse(client.isBlocking());
        assertEquals(0, client.receive(new byte[4], 0, 4));
        assertEquals(0, client.receive(ByteBuffer.allocate(4)));
        assertEquals(0, client.available());
        long deadline = System.nanoTime() + 10_000_000_000L;
        StreamSocket peer;
        while ((peer = server.accept()) == null) {
            assertTrue(System.nanoTime() < deadline);
            sleep(5);
        }
        peer.send(new byte[] {9}, 0, 1);
        int n;
        while ((n = client.receive(new byte[4], 0, 4)) == 0) {
            assertTrue(System.nanoTime() < deadline);
            sleep(5);
        }
        assertEquals(1, n);
        client.close();
        peer.close();
        server.close();
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
    void closingAListenerFromAnotherThreadWakesABlockedAccept() throws Exception {
        StreamSocket server = listen(7049);
        CompletableFuture<SocketError> blocked = asyncGet(() -> {
            try {
                server.accept();
                return null;
            } catch (SocketException e) {
                return e.error();
            }
        });
        Thread.sleep(100);
        server.close();
        assertEquals(SocketError.CLOSED, blocked.get(10, TimeUnit.SECONDS));
        StreamSocket again = net.b.sockets.openStream();
        again.bind(0, 7049); // the listener's port is free again
        again.close();
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
        assertTrue(((TcpStreamSocket) client).reuseAddress());
        client.connect(TwoStacks.B, 7009);
        assertEquals(32 * 1024, ((TcpStreamSocket) client).connectionWritableBytes(), "SO_SNDBUF is the send buffer");
        client.setBufferSizes(8192, 0);
        assertEquals(8192, ((TcpStreamSocket) client).connectionWritableBytes(), "resized on the open connection");
        assertEquals(SocketError.INVALID_ARGUMENT,
                assertThrows(SocketException.class, () -> client.setBufferSizes(-1, 0)).error());
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

    /**
     * Issue 4: one thread blocked in receive while another sends on the same socket, on both ends,
     * over small rings and TCP buffers so that both sides park often. A lost wakeup is a hang: the
     * bounded wait fails with the stacks of the threads.
     */
    @Test
    void readerAndWriterThreadsShareOneSocketBothWays() throws Exception {
        long seed = Long.getLong("socket.seed", System.nanoTime());
        System.out.println("readerAndWriterThreadsShareOneSocketBothWays seed " + seed + " (-Dsocket.seed= to repeat)");
        net.close();
        net = new TwoStacks(1024, java.util.Map.of("send_buffer_bytes", 4096, "receive_buffer_bytes", 4096));
        StreamSocket server = listen(7020);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            for (int round = 0; round < 20; round++) {
                StreamSocket client = net.a.sockets.openStream();
                client.connect(TwoStacks.B, 7020);
                StreamSocket peer = server.accept();
                byte[] up = random(seed + round, 200_000);
                byte[] down = random(seed - round, 200_000);
                long s = seed + 31L * round;
                CompletableFuture<byte[]> clientReads = CompletableFuture.supplyAsync(() -> readFully(client, down.length), threads);
                CompletableFuture<byte[]> peerReads = CompletableFuture.supplyAsync(() -> readFully(peer, up.length), threads);
                CompletableFuture<Void> clientWrites = CompletableFuture.runAsync(() -> sendInPieces(client, up, s), threads);
                CompletableFuture<Void> peerWrites = CompletableFuture.runAsync(() -> sendInPieces(peer, down, s + 1), threads);
                awaitOrDumpThreads(CompletableFuture.allOf(clientReads, peerReads, clientWrites, peerWrites),
                        "round " + round + " client " + client + " peer " + peer);
                assertArrayEquals(up, peerReads.join());
                assertArrayEquals(down, clientReads.join());
                client.close();
                peer.close();
            }
        } finally {
            threads.shutdownNow();
            server.close();
        }
    }

    static void sendInPieces(StreamSocket s, byte[] data, long seed) {
        Random random = new Random(seed);
        int at = 0;
        while (at < data.length) {
            int n = Math.min(data.length - at, 1 + random.nextInt(3000));
            assertEquals(n, s.send(data, at, n));
            at += n;
        }
    }

    /** Waits for {@code all}; on a hang fails with every thread's stack. */
    static void awaitOrDumpThreads(CompletableFuture<?> all, String what) throws Exception {
        try {
            all.get(40, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            StringBuilder dump = new StringBuilder("hang (" + what + "); threads:\n");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                dump.append(t).append('\n');
                for (StackTraceElement el : stack) {
                    dump.append("    at ").append(el).append('\n');
                }
            });
            throw new AssertionError(dump.toString(), e);
        }
    }

    @Test
    void protocolGoneFailsNewSocketsWithProtocolStopped() {
        StackSockets sockets = new StackSockets(net.a.loop, null, null, 4096, 16);
        assertEquals(SocketError.PROTOCOL_STOPPED, assertThrows(SocketException.class, sockets::openStream).error());
        assertEquals(SocketError.PROTOCOL_STOPPED, assertThrows(SocketException.class, sockets::openDatagram).error());
    }

    /**
     * The connection reaches TIME_WAIT (our FIN acknowledged, the peer's FIN received) while more of
     * the peer's data waits in the connection than the ring toward the application holds. That data
     * is still the stream's: end of stream comes only after it. The shard is held while the
     * application reads, so the pump that would move the rest into the ring cannot run in between.
     */
    @Test
    void dataStillInTheConnectionWhenItReachesTimeWaitIsReadBeforeEndOfStream() throws Exception {
        net.close();
        net = new TwoStacks(4096, java.util.Map.of());
        StreamSocket server = listen(7030);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, 7030);
        StreamSocket peer = server.accept();
        client.shutdownOutput();
        assertEquals(-1, peer.receive(new byte[1], 0, 1));
        byte[] data = random(30, 40_000);
        peer.send(data, 0, data.length);
        peer.close(); // FIN after the data: the client goes from FIN_WAIT_2 to TIME_WAIT
        awaitDone((TcpStreamSocket) client);

        byte[] got = new byte[data.length];
        int at = 0;
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        net.a.loop.execute(() -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        int r;
        int ops;
        try {
            client.setBlocking(false);
            while ((r = client.receive(got, at, got.length - at)) > 0) {
                at += r;
            }
            ops = client.readyOps();
        } finally {
            hold.countDown();
        }
        assertTrue(at < data.length, "the ring held only part of the data: " + at);
        assertEquals(0, r, "no end of stream while the connection still holds " + (data.length - at) + " bytes");
        assertEquals(0, ops & SocketSelector.OP_READ, "not readable while the rest waits for the shard");
        client.setBlocking(true);
        while (at < data.length && (r = client.receive(got, at, got.length - at)) > 0) {
            at += r;
        }
        assertEquals(data.length, at);
        assertArrayEquals(data, got);
        assertEquals(-1, client.receive(new byte[1], 0, 1));
        client.close();
        server.close();
    }

    /** As above, with zero-copy receive: the buffers still in the connection come before the end. */
    @Test
    void zeroCopyDataStillInTheConnectionWhenItReachesTimeWaitIsReadBeforeEndOfStream() throws Exception {
        net.close();
        // a window for all the data from the start: the client reads nothing until its connection is done
        net = new TwoStacks(64 * 1024, java.util.Map.of("initial_receive_window_bytes", 256 * 1024));
        StreamSocket server = listen(7031);
        StreamSocket client = net.a.sockets.openStream();
        client.setZeroCopyReceive(true);
        client.connect(TwoStacks.B, 7031);
        StreamSocket peer = server.accept();
        client.shutdownOutput();
        assertEquals(-1, peer.receive(new byte[1], 0, 1));
        byte[] data = random(31, 120_000); // more segments than the socket's queue of received buffers (64)
        peer.send(data, 0, data.length);
        peer.close();
        awaitDone((TcpStreamSocket) client);

        byte[] got = new byte[data.length];
        int at = 0;
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        net.a.loop.execute(() -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        dev.netstack.nic.PacketBuffer b;
        int ops;
        try {
            client.setBlocking(false);
            while ((b = client.receiveBuffer()) != null) {
                at = copyOut(b, got, at);
                client.release(b);
            }
            ops = client.readyOps();
        } finally {
            hold.countDown();
        }
        assertTrue(at < data.length, "the queue held only part of the data: " + at);
        assertEquals(0, ops & SocketSelector.OP_READ,
                "not readable (no data, no end) while the rest waits for the shard: " + (data.length - at) + " bytes");
        client.setBlocking(true);
        while ((b = client.receiveBuffer()) != null) {
            at = copyOut(b, got, at);
            client.release(b);
        }
        assertEquals(data.length, at);
        assertArrayEquals(data, got);
        client.close();
        server.close();
    }

    private static int copyOut(dev.netstack.nic.PacketBuffer b, byte[] into, int at) {
        java.lang.foreign.MemorySegment.copy(b.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, b.offset(), into, at,
                b.length());
        return at + b.length();
    }

    /** Waits (bounded, only a hang fails) until the connection under {@code s} has closed. */
    private static void awaitDone(TcpStreamSocket s) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (s.state() != TcpStreamSocket.DONE) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the connection did not close: " + s.debugState());
            }
            Thread.sleep(1);
        }
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
