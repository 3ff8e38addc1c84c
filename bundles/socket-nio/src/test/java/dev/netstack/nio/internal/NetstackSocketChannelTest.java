package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.socket.StreamSocket;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetstackSocketChannelTest {

    static final InetSocketAddress B = new InetSocketAddress("198.18.40.2", 7100);

    final StackPair net = new StackPair();
    final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        net.close();
    }

    /**
     * Issue 4: one thread blocked in a (scatter) read while another (gather) writes on the same
     * blocking channel, on both ends at once, many rounds. A lost wakeup shows as a hang: the
     * bounded wait fails with the threads' stacks.
     */
    @Test
    void readerAndWriterThreadsShareOneBlockingChannelBothWays() throws Exception {
        long seed = Long.getLong("nio.seed", System.nanoTime());
        System.out.println("NetstackSocketChannelTest seed " + seed + " (-Dnio.seed= to repeat)");
        ServerSocketChannel server = net.providerB.openServerSocketChannel().bind(B);
        SocketChannel client = net.providerA.openSocketChannel();
        client.connect(B);
        SocketChannel peer = server.accept();
        int rounds = 400;
        Random random = new Random(seed);
        byte[] up = new byte[rounds * 5_000];
        byte[] down = new byte[rounds * 5_000];
        random.nextBytes(up);
        random.nextBytes(down);
        CompletableFuture<byte[]> clientReads = CompletableFuture.supplyAsync(() -> readAll(client, down.length), threads);
        CompletableFuture<byte[]> peerReads = CompletableFuture.supplyAsync(() -> readAll(peer, up.length), threads);
        CompletableFuture<Void> clientWrites = CompletableFuture.runAsync(() -> writeAll(client, up, seed), threads);
        CompletableFuture<Void> peerWrites = CompletableFuture.runAsync(() -> writeAll(peer, down, seed + 1), threads);
        try {
            CompletableFuture.allOf(clientReads, peerReads, clientWrites, peerWrites).get(90, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            StringBuilder dump = new StringBuilder("hang; threads:\n");
            Thread.getAllStackTraces().forEach((t, stack) -> {
                dump.append(t).append('\n');
                for (StackTraceElement el : stack) {
                    dump.append("    at ").append(el).append('\n');
                }
            });
            throw new AssertionError(dump.toString() + "\nclient " + client + " peer " + peer, e);
        }
        assertArrayEquals(up, peerReads.join());
        assertArrayEquals(down, clientReads.join());
        client.close();
        peer.close();
        server.close();
    }

    /** Writes {@code data} in rounds of random sizes, each as a gather write of a heap and a direct buffer. */
    static void writeAll(SocketChannel ch, byte[] data, long seed) {
        Random random = new Random(seed);
        try {
            int at = 0;
            while (at < data.length) {
                int n = Math.min(data.length - at, 1 + random.nextInt(12_000));
                int split = random.nextInt(n + 1);
                ByteBuffer first = ByteBuffer.wrap(data, at, split);
                ByteBuffer second = ByteBuffer.allocateDirect(n - split).put(data, at + split, n - split).flip();
                ByteBuffer[] srcs = {first, second};
                while (first.hasRemaining() || second.hasRemaining()) {
                    ch.write(srcs);
                }
                at += n;
                if (random.nextInt(8) == 0) {
                    Thread.yield();
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads exactly {@code n} bytes with scatter reads of random sizes. */
    static byte[] readAll(SocketChannel ch, int n) {
        byte[] out = new byte[n];
        Random random = new Random(n);
        try {
            int at = 0;
            while (at < n) {
                int want = Math.min(n - at, 1 + random.nextInt(9_000));
                int split = random.nextInt(want + 1);
                ByteBuffer x = ByteBuffer.allocate(split);
                ByteBuffer y = ByteBuffer.allocateDirect(want - split);
                long got = ch.read(new ByteBuffer[] {x, y});
                if (got < 0) {
                    throw new AssertionError("end of stream after " + at + " of " + n);
                }
                x.flip();
                y.flip();
                int nx = x.remaining();
                x.get(out, at, nx);
                y.get(out, at + nx, y.remaining());
                assertEquals(got, nx + y.limit());
                at += (int) got;
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    SocketChannel[] connectedPair(int port) throws Exception {
        ServerSocketChannel server = net.providerB.openServerSocketChannel().bind(new InetSocketAddress("198.18.40.2", port));
        SocketChannel client = net.providerA.openSocketChannel();
        client.connect(server.getLocalAddress());
        SocketChannel peer = server.accept();
        server.close();
        return new SocketChannel[] {client, peer};
    }

    @Test
    void bindReservesThePortAtOnceAndPortZeroShowsItsPort() throws Exception {
        SocketChannel first = net.providerA.openSocketChannel().bind(new InetSocketAddress(0));
        int port = ((InetSocketAddress) first.getLocalAddress()).getPort();
        assertNotEquals(0, port, "the ephemeral port is known right after bind");
        SocketChannel second = net.providerA.openSocketChannel();
        assertThrows(BindException.class, () -> second.bind(new InetSocketAddress(port)));
        ServerSocketChannel server = net.providerB.openServerSocketChannel().bind(new InetSocketAddress("198.18.40.2", 0));
        InetSocketAddress serverAddress = (InetSocketAddress) server.getLocalAddress();
        assertNotEquals(0, serverAddress.getPort());
        assertTrue(server.getOption(StandardSocketOptions.SO_REUSEADDR), "on by default, as the JDK's");
        ServerSocketChannel clash = net.providerB.openServerSocketChannel();
        assertThrows(BindException.class, () -> clash.bind(serverAddress), "two listeners on one port");
        first.close();
        second.bind(new InetSocketAddress(port)); // released by close
        second.connect(serverAddress);
        SocketChannel peer = server.accept();
        assertEquals(port, ((InetSocketAddress) peer.getRemoteAddress()).getPort(), "connect keeps the bound port");
        second.close();
        peer.close();
        clash.close();
        server.close();
    }

    @Test
    void callsOnAClosedChannelThrowClosedChannelException() throws Exception {
        SocketChannel[] pair = connectedPair(7101);
        SocketChannel client = pair[0];
        client.close();
        assertFalse(client.isOpen());
        assertThrows(ClosedChannelException.class, () -> client.read(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, () -> client.write(ByteBuffer.allocate(1)));
        assertThrows(ClosedChannelException.class, () -> client.bind(null));
        assertThrows(ClosedChannelException.class, () -> client.connect(B));
        assertThrows(ClosedChannelException.class, () -> client.setOption(StandardSocketOptions.TCP_NODELAY, true));
        assertThrows(ClosedChannelException.class, client::shutdownOutput);
        assertEquals(-1, pair[1].read(ByteBuffer.allocate(1)), "the peer saw the orderly close");
        pair[1].close();
    }

    @Test
    void resetByThePeerIsConnectionReset() throws Exception {
        SocketChannel[] pair = connectedPair(7102);
        pair[1].setOption(StandardSocketOptions.SO_LINGER, 0);
        pair[1].close(); // linger 0: RST
        // let the RST land before reading: the channel must still count as connected (as the JDK's)
        // and report the reset, not NotYetConnectedException
        StreamSocket stack = ((NetstackSocketChannel) pair[0]).stackSocket();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (stack.isConnected() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertFalse(stack.isConnected(), "the RST reached the client's stack socket");
        assertTrue(pair[0].isConnected(), "a reset channel stays connected until closed");
        java.net.SocketException e = assertThrows(java.net.SocketException.class, () -> pair[0].read(ByteBuffer.allocate(1)));
        assertEquals("Connection reset", e.getMessage());
        pair[0].close();
    }

    @Test
    void shutdownInBothDirections() throws Exception {
        SocketChannel[] pair = connectedPair(7103);
        SocketChannel client = pair[0];
        SocketChannel peer = pair[1];
        client.shutdownInput();
        assertEquals(-1, client.read(ByteBuffer.allocate(4)));
        assertTrue(client.socket().isInputShutdown());
        client.write(ByteBuffer.wrap(new byte[] {1}));
        ByteBuffer one = ByteBuffer.allocate(1);
        peer.read(one);
        assertEquals(1, one.get(0));
        client.shutdownOutput();
        assertTrue(client.socket().isOutputShutdown());
        assertEquals(-1, peer.read(ByteBuffer.allocate(4)));
        assertThrows(ClosedChannelException.class, () -> client.write(ByteBuffer.allocate(1)));
        client.close();
        peer.close();
    }

    @Test
    void nonBlockingCallsReturnAtOnce() throws Exception {
        ServerSocketChannel server = net.providerB.openServerSocketChannel().bind(new InetSocketAddress("198.18.40.2", 7104));
        server.configureBlocking(false);
        assertNull(server.accept());
        SocketChannel refused = net.providerA.openSocketChannel();
        refused.configureBlocking(false);
        refused.connect(new InetSocketAddress("198.18.40.2", 7999));
        assertThrows(ConnectException.class, () -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!refused.finishConnect()) {
                assertTrue(System.nanoTime() < deadline, "connect never finished");
                Thread.sleep(5);
            }
        });
        SocketChannel client = net.providerA.openSocketChannel();
        client.connect(server.getLocalAddress());
        client.configureBlocking(false);
        assertEquals(0, client.read(ByteBuffer.allocate(4)), "nothing waits");
        client.close();
        server.close();
    }

    @Test
    void optionsAreKeptAndReadBack() throws Exception {
        SocketChannel ch = net.providerA.openSocketChannel();
        ch.setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024);
        ch.setOption(StandardSocketOptions.SO_RCVBUF, 24 * 1024);
        ch.setOption(StandardSocketOptions.SO_LINGER, 3);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        assertEquals(16 * 1024, ch.getOption(StandardSocketOptions.SO_SNDBUF));
        assertEquals(24 * 1024, ch.getOption(StandardSocketOptions.SO_RCVBUF));
        assertEquals(3, ch.getOption(StandardSocketOptions.SO_LINGER));
        assertTrue(ch.getOption(StandardSocketOptions.SO_KEEPALIVE));
        assertTrue(ch.getOption(StandardSocketOptions.TCP_NODELAY));
        assertTrue(ch.getOption(StandardSocketOptions.SO_REUSEADDR));
        assertThrows(IllegalArgumentException.class, () -> ch.setOption(StandardSocketOptions.SO_SNDBUF, 0));
        assertThrows(UnsupportedOperationException.class, () -> ch.setOption(StandardSocketOptions.IP_TOS, 0));
        ch.close();
    }
}
