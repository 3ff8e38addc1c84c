package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.StreamSocket;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StackSelectorTest {

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

    StreamSocket[] pair(int port) {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, port);
        server.listen(8);
        StreamSocket client = net.a.sockets.openStream();
        client.connect(TwoStacks.B, port);
        StreamSocket peer = server.accept();
        return new StreamSocket[] {client, peer, server};
    }

    @Test
    void answersReadinessOfOneSocketByQuery() throws Exception {
        StreamSocket[] p = pair(8000);
        StreamSocket client = p[0];
        StreamSocket peer = p[1];
        SocketSelector selector = net.b.sockets.openSelector();
        assertFalse(peer.isReadable());
        assertTrue(peer.isWritable());
        assertEquals(SocketSelector.OP_WRITE, selector.readyOps(peer));
        client.send(new byte[] {1, 2, 3}, 0, 3);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!peer.isReadable() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(peer.isReadable());
        assertEquals(SocketSelector.OP_READ | SocketSelector.OP_WRITE, peer.readyOps());
        assertEquals(3, peer.available());
        peer.receive(new byte[3], 0, 3);
        assertFalse(peer.isReadable());
        selector.close();
    }

    @Test
    void readyKeysAreLevelTriggeredUntilDrained() {
        StreamSocket[] p = pair(8001);
        SocketSelector selector = net.b.sockets.openSelector();
        SocketKey key = selector.register(p[1], SocketSelector.OP_READ, "peer");
        assertEquals(0, selector.selectNow());
        p[0].send(new byte[100], 0, 100);
        assertEquals(1, selector.select(5_000));
        assertEquals(key, selector.readyKeys().get(0));
        assertEquals(SocketSelector.OP_READ, key.readyOps());
        assertEquals(1, selector.selectNow(), "still readable: level-triggered");
        byte[] buf = new byte[100];
        int got = 0;
        while (got < 100) {
            got += p[1].receive(buf, got, 100 - got);
        }
        assertEquals(0, selector.selectNow(), "drained");
        key.interestOps(SocketSelector.OP_WRITE);
        assertEquals(1, selector.selectNow());
        assertEquals(SocketSelector.OP_WRITE, key.readyOps());
        key.cancel();
        assertFalse(key.isValid());
        assertEquals(0, selector.selectNow());
        selector.close();
    }

    @Test
    void wakeupFromAnotherThreadEndsASelect() throws Exception {
        SocketSelector selector = net.a.sockets.openSelector();
        CompletableFuture<Integer> selecting = asyncGet(() -> selector.select(0));
        Thread.sleep(100);
        assertFalse(selecting.isDone());
        selector.wakeup();
        assertEquals(0, selecting.get(5, TimeUnit.SECONDS));
        long start = System.nanoTime();
        assertEquals(0, selector.select(100), "times out");
        assertTrue(System.nanoTime() - start >= 90_000_000L);
        selector.close();
    }

    /** An event-driven echo server on one thread: accept, read, write through the selector only. */
    @Test
    void servesSeveralConnectionsFromOneSelectorThread() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, 8002);
        server.listen(16);
        server.setBlocking(false);
        SocketSelector selector = net.b.sockets.openSelector();
        selector.register(server, SocketSelector.OP_ACCEPT, null);
        CompletableFuture<Void> loop = async(() -> {
            Map<StreamSocket, ByteBuffer> pending = new HashMap<>();
            int closed = 0;
            while (closed < 5) {
                selector.select(0);
                for (SocketKey k : selector.readyKeys()) {
                    if ((k.readyOps() & SocketSelector.OP_ACCEPT) != 0) {
                        StreamSocket c;
                        while ((c = server.accept()) != null) {
                            c.setBlocking(false);
                            selector.register(c, SocketSelector.OP_READ, null);
                        }
                        continue;
                    }
                    StreamSocket c = (StreamSocket) k.socket();
                    ByteBuffer out = pending.computeIfAbsent(c, x -> ByteBuffer.allocate(64 * 1024).flip());
                    if ((k.readyOps() & SocketSelector.OP_WRITE) != 0) {
                        c.send(out);
                    }
                    if (!out.hasRemaining() && (k.readyOps() & SocketSelector.OP_READ) != 0) {
                        out.clear();
                        int n = c.receive(out);
                        out.flip();
                        if (n < 0) {
                            c.close();
                            closed++;
                            continue;
                        }
                        c.send(out);
                    }
                    k.interestOps(out.hasRemaining() ? SocketSelector.OP_WRITE : SocketSelector.OP_READ);
                }
            }
        });
        CompletableFuture<?>[] clients = new CompletableFuture<?>[5];
        for (int i = 0; i < 5; i++) {
            int id = i;
            clients[i] = async(() -> {
                byte[] data = new byte[200_000];
                new Random(id).nextBytes(data);
                StreamSocket s = net.a.sockets.openStream();
                s.connect(TwoStacks.B, 8002);
                CompletableFuture<Void> writer = async(() -> {
                    s.send(data, 0, data.length);
                    s.shutdownOutput();
                });
                byte[] back;
                try {
                    back = TcpStreamSocketTest.readFully(s, data.length);
                } catch (AssertionError e) {
                    throw new AssertionError("client " + id + ": " + e.getMessage() + "; " + ((TcpStreamSocket) s).debugState(), e);
                }
                writer.join();
                assertEquals(-1, s.receive(new byte[1], 0, 1));
                assertArrayEquals(data, back);
                s.close();
            });
        }
        CompletableFuture.allOf(clients).get(40, TimeUnit.SECONDS);
        loop.get(10, TimeUnit.SECONDS);
        selector.close();
        server.close();
    }
}
