package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Figures, printed and never asserted: 64-byte request/response rate and bulk throughput through
 * the blocking channel API, a selector server and the callback API (TcpLayer handlers on the
 * shard), between two stacks in this JVM over a MemoryLink; beside them the same blocking and
 * selector application code on the JDK's kernel sockets over loopback. Each figure runs
 * {@value #RUN_MS} ms. Two cores shared with other work: read them as orders of magnitude.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApiFiguresTest {

    static final int RUN_MS = 1000;
    static final int MESSAGE = 64;
    static final int CHUNK = 64 * 1024;

    record Figures(String api, long exchanges, long rrNs, long bytes, long bulkNs) {
        String row() {
            return String.format("%-46s %12.0f %12.1f", api, exchanges * 1e9 / rrNs, bytes * 8e3 / bulkNs);
        }
    }

    @Test
    void printsRequestResponseAndBulkFiguresPerApi() throws Exception {
        List<Figures> rows = new ArrayList<>();
        try (StackPair net = new StackPair()) {
            InetAddress stackB = InetAddress.getByName("198.18.40.2");
            rows.add(blocking("netstack blocking channels", net.providerA, net.providerB, stackB, 7001));
            rows.add(selector("netstack selector server, blocking client", net.providerA, net.providerB, stackB, 7003));
            rows.add(callback("netstack callbacks (TcpLayer, shard)", net));
        }
        InetAddress loopback = InetAddress.getLoopbackAddress();
        SelectorProvider jdk = SelectorProvider.provider();
        rows.add(blocking("kernel loopback blocking channels", jdk, jdk, loopback, 0));
        rows.add(selector("kernel loopback selector server, blocking client", jdk, jdk, loopback, 0));
        System.out.println(String.format("%-46s %12s %12s", "api", "64B rr/s", "bulk Mbit/s"));
        for (Figures f : rows) {
            System.out.println(f.row());
            assertTrue(f.exchanges() > 0 && f.bytes() > 0, "every run moved data: " + f);
        }
    }

    // ---- application code shared by the netstack and kernel rows

    private static Figures blocking(String name, SelectorProvider client, SelectorProvider server, InetAddress host,
            int port) throws Exception {
        ServerSocketChannel echo = server.openServerSocketChannel().bind(new InetSocketAddress(host, port));
        ServerSocketChannel sink = server.openServerSocketChannel().bind(new InetSocketAddress(host, port == 0 ? 0 : port + 1));
        Thread.ofPlatform().daemon().start(() -> acceptLoop(echo, true));
        Thread.ofPlatform().daemon().start(() -> acceptLoop(sink, false));
        try {
            return measure(name, client, (InetSocketAddress) echo.getLocalAddress(), (InetSocketAddress) sink.getLocalAddress());
        } finally {
            echo.close();
            sink.close();
        }
    }

    private static void acceptLoop(ServerSocketChannel server, boolean echo) {
        try {
            while (true) {
                SocketChannel ch = server.accept();
                Thread.ofPlatform().daemon().start(() -> serve(ch, echo));
            }
        } catch (IOException closed) {
            // the server channel was closed: done
        }
    }

    private static void serve(SocketChannel ch, boolean echo) {
        try (ch) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long total = 0;
            int n;
            while ((n = ch.read(buf)) >= 0) {
                total += n;
                buf.flip();
                if (echo) {
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }
                buf.clear();
            }
            if (!echo) {
                ByteBuffer count = ByteBuffer.allocate(8).putLong(0, total);
                while (count.hasRemaining()) {
                    ch.write(count);
                }
            }
        } catch (IOException e) {
            System.out.println("server connection: " + e);
        }
    }

    private static Figures selector(String name, SelectorProvider client, SelectorProvider server, InetAddress host,
            int port) throws Exception {
        Selector selector = server.openSelector();
        ServerSocketChannel echo = server.openServerSocketChannel().bind(new InetSocketAddress(host, port));
        ServerSocketChannel sink = server.openServerSocketChannel().bind(new InetSocketAddress(host, port == 0 ? 0 : port + 1));
        echo.configureBlocking(false).register(selector, SelectionKey.OP_ACCEPT, Boolean.TRUE);
        sink.configureBlocking(false).register(selector, SelectionKey.OP_ACCEPT, Boolean.FALSE);
        Thread loop = Thread.ofPlatform().daemon().start(() -> selectLoop(selector));
        try {
            return measure(name, client, (InetSocketAddress) echo.getLocalAddress(), (InetSocketAddress) sink.getLocalAddress());
        } finally {
            loop.interrupt();
            selector.wakeup();
            loop.join(2000);
            echo.close();
            sink.close();
            selector.close();
        }
    }

    /** Per connection: [echo?, bytes counted]. */
    private static void selectLoop(Selector selector) {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        try {
            while (!Thread.currentThread().isInterrupted()) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        SocketChannel ch = ((ServerSocketChannel) key.channel()).accept();
                        if (ch != null) {
                            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            ch.configureBlocking(false).register(selector, SelectionKey.OP_READ,
                                    new long[] {(Boolean) key.attachment() ? 1 : 0, 0});
                        }
                    } else if (key.isReadable()) {
                        SocketChannel ch = (SocketChannel) key.channel();
                        long[] state = (long[]) key.attachment();
                        buf.clear();
                        int n = ch.read(buf);
                        if (n > 0) {
                            state[1] += n;
                            buf.flip();
                            if (state[0] == 1) {
                                while (buf.hasRemaining()) { // 64-byte messages: the send buffer takes them
                                    ch.write(buf);
                                }
                            }
                        } else if (n < 0) {
                            if (state[0] == 0) {
                                ByteBuffer count = ByteBuffer.allocate(8).putLong(0, state[1]);
                                while (count.hasRemaining()) {
                                    ch.write(count);
                                }
                            }
                            key.cancel();
                            ch.close();
                        }
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            System.out.println("selector loop: " + e);
        }
    }

    /** The blocking client: {@value #RUN_MS} ms of 64-byte exchanges, then {@value #RUN_MS} ms of bulk. */
    private static Figures measure(String name, SelectorProvider provider, InetSocketAddress echo, InetSocketAddress sink)
            throws IOException {
        long exchanges = 0;
        long rrNs;
        try (SocketChannel ch = provider.openSocketChannel()) {
            ch.connect(echo);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer request = ByteBuffer.allocate(MESSAGE);
            ByteBuffer response = ByteBuffer.allocate(MESSAGE);
            long startNs = System.nanoTime();
            long endNs = startNs + RUN_MS * 1_000_000L;
            long nowNs;
            do {
                request.clear();
                while (request.hasRemaining()) {
                    ch.write(request);
                }
                response.clear();
                while (response.hasRemaining()) {
                    if (ch.read(response) < 0) {
                        throw new IOException("echo closed");
                    }
                }
                exchanges++;
                nowNs = System.nanoTime();
            } while (endNs - nowNs > 0);
            rrNs = nowNs - startNs;
        }
        long bytes;
        long bulkNs;
        try (SocketChannel ch = provider.openSocketChannel()) {
            ch.connect(sink);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
            long startNs = System.nanoTime();
            long endNs = startNs + RUN_MS * 1_000_000L;
            while (endNs - System.nanoTime() > 0) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    ch.write(chunk);
                }
            }
            ch.shutdownOutput();
            ByteBuffer count = ByteBuffer.allocate(8);
            while (count.hasRemaining()) {
                if (ch.read(count) < 0) {
                    throw new IOException("sink closed before its count");
                }
            }
            bulkNs = System.nanoTime() - startNs;
            bytes = count.getLong(0);
        }
        return new Figures(name, exchanges, rrNs, bytes, bulkNs);
    }

    // ---- the callback API: both ends are TcpHandlers on their stack's shard

    private static Figures callback(String name, StackPair net) throws Exception {
        TcpLayer server = net.b.sockets().tcp();
        TcpLayer client = net.a.sockets().tcp();
        int addressB = (198 << 24) | (18 << 16) | (40 << 8) | 2;
        TcpOptions options = TcpOptions.defaults().withNoDelay(true);
        TcpListener echo = net.b.netStack().onShard(() -> server.listen(addressB, 7005, options, c -> new EchoHandler()));
        TcpListener sink = net.b.netStack().onShard(() -> server.listen(addressB, 7006, options, c -> new SinkHandler()));
        try {
            RrClient rr = new RrClient();
            net.a.netStack().onShard(() -> client.connect(addressB, 7005, 0, 0, options, rr));
            long exchanges = rr.done.get(20, TimeUnit.SECONDS);
            BulkClient bulk = new BulkClient();
            net.a.netStack().onShard(() -> client.connect(addressB, 7006, 0, 0, options, bulk));
            long bytes = bulk.done.get(20, TimeUnit.SECONDS);
            return new Figures(name, exchanges, rr.elapsedNs, bytes, bulk.elapsedNs);
        } finally {
            net.b.netStack().onShard(() -> {
                echo.close();
                sink.close();
                return null;
            });
        }
    }

    private static final class EchoHandler implements TcpHandler {
        private final MemorySegment buf = Arena.ofAuto().allocate(CHUNK);

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, 0, CHUNK)) > 0) {
                c.send(buf, 0, n); // 64-byte messages: the send buffer takes them
            }
            if (n < 0) {
                c.close();
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
        }
    }

    private static final class SinkHandler implements TcpHandler {
        private final MemorySegment buf = Arena.ofAuto().allocate(CHUNK);
        private long total;
        private boolean answered;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, 0, CHUNK)) > 0) {
                total += n;
            }
            if (n < 0 && !answered) {
                answered = true;
                buf.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, total);
                c.send(buf, 0, 8);
                c.close();
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
        }
    }

    private static final class RrClient implements TcpHandler {
        final CompletableFuture<Long> done = new CompletableFuture<>();
        private final MemorySegment request = Arena.ofAuto().allocate(MESSAGE);
        private final MemorySegment response = Arena.ofAuto().allocate(MESSAGE);
        private int got;
        private long exchanges;
        private long startNs;
        long elapsedNs;

        @Override
        public void onConnected(TcpConnection c) {
            startNs = System.nanoTime();
            c.send(request, 0, MESSAGE);
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(response, got, MESSAGE - got)) > 0) {
                got += n;
                if (got == MESSAGE) {
                    got = 0;
                    exchanges++;
                    long nowNs = System.nanoTime();
                    if (nowNs - startNs >= RUN_MS * 1_000_000L) {
                        elapsedNs = nowNs - startNs;
                        done.complete(exchanges);
                        c.close();
                        return;
                    }
                    c.send(request, 0, MESSAGE);
                }
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            done.completeExceptionally(new IOException("closed early: " + reason));
        }
    }

    private static final class BulkClient implements TcpHandler {
        final CompletableFuture<Long> done = new CompletableFuture<>();
        private final MemorySegment chunk = Arena.ofAuto().allocate(CHUNK);
        private final MemorySegment count = Arena.ofAuto().allocate(8);
        private int got;
        private boolean shut;
        private long startNs;
        long elapsedNs;

        @Override
        public void onConnected(TcpConnection c) {
            startNs = System.nanoTime();
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (shut) {
                return;
            }
            while (System.nanoTime() - startNs < RUN_MS * 1_000_000L) {
                if (c.send(chunk, 0, CHUNK) == 0) {
                    return; // onWritable follows when space frees
                }
            }
            shut = true;
            c.shutdownOutput();
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while (got < 8 && (n = c.receive(count, got, 8 - got)) > 0) {
                got += n;
            }
            if (got == 8) {
                elapsedNs = System.nanoTime() - startNs;
                done.complete(count.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0));
                c.close();
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            done.completeExceptionally(new IOException("closed early: " + reason));
        }
    }
}
