package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NioChannelsTest {

    static final InetSocketAddress B = new InetSocketAddress("198.18.40.2", 7000);

    final StackPair net = new StackPair();

    @AfterEach
    void tearDown() {
        net.close();
    }

    /** An echo server on one selector thread over stack B, serving until {@code stop} is set. */
    CompletableFuture<Void> selectorEchoServer(ServerSocketChannel server, Selector selector, boolean[] stop) throws Exception {
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        return CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer buf = ByteBuffer.allocateDirect(8192);
                while (!stop[0]) {
                    selector.select(100);
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey key = it.next();
                        it.remove();
                        if (key.isAcceptable()) {
                            SocketChannel ch = server.accept();
                            if (ch != null) {
                                ch.configureBlocking(false);
                                ch.register(selector, SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            SocketChannel ch = (SocketChannel) key.channel();
                            buf.clear();
                            int n = ch.read(buf);
                            if (n < 0) {
                                key.cancel();
                                ch.close();
                                continue;
                            }
                            buf.flip();
                            ch.configureBlocking(false);
                            while (buf.hasRemaining()) {
                                ch.write(buf);
                            }
                        }
                    }
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void blockingClientGetsEveryByteBackFromSelectorEchoServer() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        ServerSocketChannel server = net.providerB.openServerSocketChannel();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(B);
        assertEquals(B, server.getLocalAddress());
        Selector selector = net.providerB.openSelector();
        boolean[] stop = {false};
        CompletableFuture<Void> loop = selectorEchoServer(server, selector, stop);

        SocketChannel client = net.providerA.openSocketChannel();
        assertTrue(client.connect(B));
        assertTrue(client.isConnected());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        assertEquals(true, client.getOption(StandardSocketOptions.TCP_NODELAY));
        byte[] data = new byte[200_000];
        new Random(seed).nextBytes(data);
        byte[] got = new byte[data.length];
        int have = 0;
        for (int off = 0; off < data.length; off += 10_000) {
            // Gather write: a heap buffer and a direct one.
            ByteBuffer first = ByteBuffer.wrap(data, off, 4_000);
            ByteBuffer second = ByteBuffer.allocateDirect(6_000).put(data, off + 4_000, 6_000).flip();
            ByteBuffer[] srcs = {first, second};
            while (second.hasRemaining()) {
                client.write(srcs);
            }
            while (have < off + 10_000) {
                // Scatter read into a heap and a direct buffer.
                ByteBuffer x = ByteBuffer.allocate(Math.min(1000, off + 10_000 - have));
                ByteBuffer y = ByteBuffer.allocateDirect(off + 10_000 - have - x.capacity());
                long n = client.read(new ByteBuffer[] {x, y});
                assertTrue(n > 0);
                x.flip();
                y.flip();
                int nx = x.remaining();
                x.get(got, have, nx);
                y.get(got, have + nx, y.remaining());
                have += nx + y.limit();
            }
        }
        assertArrayEquals(data, got);
        client.close();
        assertFalse(client.isOpen());
        stop[0] = true;
        loop.join();
        selector.close();
        server.close();
    }

    @Test
    void nonBlockingConnectCompletesThroughOpConnect() throws Exception {
        ServerSocketChannel server = net.providerB.openServerSocketChannel().bind(B);
        SocketChannel client = net.providerA.openSocketChannel();
        client.configureBlocking(false);
        Selector selector = net.providerA.openSelector();
        boolean done = client.connect(B);
        SelectionKey key = client.register(selector, SelectionKey.OP_CONNECT);
        if (!done) {
            assertTrue(client.isConnectionPending());
            assertEquals(1, selector.select(5_000));
            assertTrue(key.isConnectable());
            assertTrue(client.finishConnect());
        }
        assertTrue(client.isConnected());
        SocketChannel accepted = server.accept();
        assertEquals(client.getLocalAddress(), accepted.getRemoteAddress());
        key.interestOps(SelectionKey.OP_READ);
        assertEquals(0, selector.selectNow());
        accepted.write(ByteBuffer.wrap(new byte[] {7}));
        assertEquals(1, selector.select(5_000));
        assertTrue(selector.selectedKeys().contains(key));
        assertTrue(key.isReadable());
        key.cancel();
        selector.selectNow();
        assertTrue(selector.keys().isEmpty());
        selector.close();
        client.close();
        accepted.close();
        server.close();
    }

    @Test
    void wakeupEndsASelectWithNothingReady() throws Exception {
        Selector selector = net.providerA.openSelector();
        CompletableFuture<Integer> select = CompletableFuture.supplyAsync(() -> {
            try {
                return selector.select();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(100);
        selector.wakeup();
        assertEquals(0, select.get(5, TimeUnit.SECONDS));
        selector.close();
    }

    @Test
    void connectToClosedPortIsConnectException() throws Exception {
        SocketChannel client = net.providerA.openSocketChannel();
        assertThrows(ConnectException.class, () -> client.connect(new InetSocketAddress("198.18.40.2", 9)));
        assertFalse(client.isOpen());
    }

    @Test
    void socketAdaptorsCarryStreams() throws Exception {
        ServerSocketChannel server = net.providerB.openServerSocketChannel();
        server.socket().bind(B);
        assertEquals(7000, server.socket().getLocalPort());
        CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return server.socket().accept();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Socket s = net.providerA.openSocketChannel().socket();
        s.connect(B);
        s.setTcpNoDelay(true);
        assertTrue(s.getTcpNoDelay());
        s.setSoTimeout(200);
        Socket peer = accepted.get(5, TimeUnit.SECONDS);
        OutputStream out = s.getOutputStream();
        out.write("hello".getBytes());
        InputStream in = peer.getInputStream();
        assertArrayEquals("hello".getBytes(), in.readNBytes(5));
        assertThrows(java.net.SocketTimeoutException.class, () -> s.getInputStream().read());
        peer.close();
        assertEquals(-1, s.getInputStream().read());
        s.close();
        assertTrue(s.isClosed());
        server.close();
    }

    @Test
    void datagramChannelsExchangeDatagrams() throws Exception {
        DatagramChannel b = net.providerB.openDatagramChannel().bind(new InetSocketAddress("198.18.40.2", 5353));
        DatagramChannel a = net.providerA.openDatagramChannel();
        assertEquals(3, a.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), b.getLocalAddress()));
        ByteBuffer dst = ByteBuffer.allocateDirect(100);
        SocketAddress from = b.receive(dst);
        assertEquals("198.18.40.1", ((InetSocketAddress) from).getAddress().getHostAddress());
        assertEquals(3, dst.position());
        b.connect(from);
        b.write(ByteBuffer.wrap(new byte[] {9, 8}));
        ByteBuffer back = ByteBuffer.allocate(10);
        a.receive(back);
        assertEquals(2, back.position());
        b.configureBlocking(false);
        assertNull(b.receive(ByteBuffer.allocate(10)));
        a.close();
        b.close();
    }

    @Test
    void serverSocketAdaptorAcceptTimesOutAndBindsAtOnce() throws Exception {
        ServerSocketChannel server = net.providerB.openServerSocketChannel();
        java.net.ServerSocket ss = server.socket();
        ss.bind(new InetSocketAddress("198.18.40.2", 0));
        assertTrue(ss.getLocalPort() > 0, "ephemeral port known after bind");
        ss.setSoTimeout(150);
        assertEquals(150, ss.getSoTimeout());
        assertThrows(java.net.SocketTimeoutException.class, ss::accept);
        ServerSocketChannel clash = net.providerB.openServerSocketChannel();
        assertThrows(java.net.BindException.class, () -> clash.socket().bind(new InetSocketAddress("198.18.40.2", ss.getLocalPort())));
        clash.close();
        ss.close();
        assertTrue(ss.isClosed());
    }

    @Test
    void datagramReceiveReusesTheSenderAddressOnlyWhileThePeerStaysTheSame() throws Exception {
        DatagramChannel b = net.providerB.openDatagramChannel().bind(new InetSocketAddress("198.18.40.2", 5354));
        DatagramChannel a1 = net.providerA.openDatagramChannel().bind(new InetSocketAddress("198.18.40.1", 6001));
        DatagramChannel a2 = net.providerA.openDatagramChannel().bind(new InetSocketAddress("198.18.40.1", 6002));
        SocketAddress to = b.getLocalAddress();
        ByteBuffer dst = ByteBuffer.allocate(10);
        a1.send(ByteBuffer.wrap(new byte[] {1}), to);
        SocketAddress first = b.receive(dst.clear());
        a1.send(ByteBuffer.wrap(new byte[] {2}), to);
        SocketAddress again = b.receive(dst.clear());
        a2.send(ByteBuffer.wrap(new byte[] {3}), to);
        SocketAddress other = b.receive(dst.clear());
        assertTrue(first == again, "same peer, same address object");
        assertEquals(6001, ((InetSocketAddress) first).getPort());
        assertEquals(6002, ((InetSocketAddress) other).getPort());
        // Replies to each in turn: a cached target must not send to the previous one.
        b.send(ByteBuffer.wrap(new byte[] {4}), other);
        b.send(ByteBuffer.wrap(new byte[] {5}), first);
        assertEquals(to, a2.receive(dst.clear()));
        assertEquals(4, dst.get(0));
        assertEquals(to, a1.receive(dst.clear()));
        assertEquals(5, dst.get(0));
        a1.close();
        a2.close();
        b.close();
    }
}
