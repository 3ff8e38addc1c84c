package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Heap bytes allocated per packet in steady state, for every way an application reaches the
 * stack: callbacks on the shard, blocking {@link StreamSocket}s on platform and on virtual
 * threads, non-blocking sockets with a {@link SocketSelector}, java.nio channels through the
 * stack's SelectorProvider, {@link DatagramSocket}s, and UDP callbacks on the shard (device RX and
 * TX: pool, ethernet, ip, udp). Two stacks run in this JVM over a MemoryLink.
 *
 * <p>Each case runs 64-byte request/response or bulk, warms up for a number of packets, then sums
 * {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} over every platform thread of
 * the process (both shards, the application threads, the carriers of virtual threads) across a
 * measured number of packets. A packet is a data segment or datagram: two per exchange, and
 * bulk bytes / 1460 for TCP bulk. The test asserts an average below one byte per packet and
 * prints each case's figure and the threads that allocated. It also asserts that no shard thread
 * blocked entering a monitor while measured ({@code ThreadInfo#getBlockedCount}): no contended lock
 * on the data path. Counts, not time, bound each phase;
 * {@code -Dalloc.scale=N} multiplies them.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class SteadyStateAllocationTest {

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    static final int SCALE = Integer.getInteger("alloc.scale", 1);
    static final long RR_WARMUP = 60_000L * SCALE;
    static final long RR_PACKETS = 60_000L * SCALE;
    static final long BULK_WARMUP = 100_000L * SCALE;
    static final long BULK_PACKETS = 100_000L * SCALE;
    static final long HANG_NS = TimeUnit.SECONDS.toNanos(120);
    static final int MESSAGE = 64;
    static final int CHUNK = 16 * 1024;
    static final int DATAGRAM = 1024;
    static final int MSS = 1460;
    static final int ADDRESS_B = (198 << 24) | (18 << 16) | (40 << 8) | 2;
    static final double LIMIT_BYTES_PER_PACKET = 1.0;

    static StackPair net;
    static int nextPort = 9000;

    @BeforeAll
    static void startStacks() {
        net = new StackPair();
    }

    @AfterAll
    static void stopStacks() {
        net.close();
    }

    // ---- measurement

    /** Something that moves packets until closed; {@link #packets()} counts them so far. */
    interface Workload extends AutoCloseable {
        long packets();

        /** The first error a worker met, or null. */
        Throwable failure();

        @Override
        void close() throws Exception;
    }

    record Figure(String style, long packets, long bytes, long shardBytes, long shardBlocked, String threads) {
        double perPacket() {
            return (double) bytes / packets;
        }

        /** Bytes per packet on every thread but the shards. */
        double perPacketOffShard() {
            return (double) (bytes - shardBytes) / packets;
        }

        @Override
        public String toString() {
            return String.format("%-48s %8d packets %10d B %8.4f B/packet (shards %.4f, blocked on a monitor %d)  %s",
                    style, packets, bytes, perPacket(), (double) shardBytes / packets, shardBlocked, threads);
        }
    }

    static Figure measure(String style, Workload w, long warmup, long packets) throws Exception {
        try (w) {
            await(w, warmup);
            long[] ids = THREADS.getAllThreadIds();
            long[] before = new long[ids.length];
            long[] after = new long[ids.length];
            ThreadInfo[] infos = THREADS.getThreadInfo(ids);
            long p0 = w.packets();
            THREADS.getThreadAllocatedBytes(ids).clone(); // load and warm the call before the real mark
            System.arraycopy(THREADS.getThreadAllocatedBytes(ids), 0, before, 0, ids.length);
            await(w, p0 + packets);
            System.arraycopy(THREADS.getThreadAllocatedBytes(ids), 0, after, 0, ids.length);
            long p1 = w.packets();
            long total = 0;
            long shards = 0;
            StringBuilder who = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                if (before[i] < 0 || after[i] < 0) {
                    continue;
                }
                long d = after[i] - before[i];
                total += d;
                if (infos[i] != null && infos[i].getThreadName().startsWith("netstack-shard-")) {
                    shards += d;
                }
                if (d > 0 && infos[i] != null) {
                    who.append(infos[i].getThreadName()).append('=').append(d).append(' ');
                }
            }
            ThreadInfo[] later = THREADS.getThreadInfo(ids);
            long blocked = 0;
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] != null && later[i] != null && infos[i].getThreadName().startsWith("netstack-shard-")) {
                    blocked += later[i].getBlockedCount() - infos[i].getBlockedCount();
                }
            }
            Figure f = new Figure(style, p1 - p0, total, shards, blocked, who.toString().trim());
            System.out.println(f);
            return f;
        }
    }

    static void await(Workload w, long packets) {
        long startNs = System.nanoTime();
        while (w.packets() < packets) {
            if (w.failure() != null) {
                throw new AssertionError("worker failed", w.failure());
            }
            if (System.nanoTime() - startNs > HANG_NS) {
                fail("no progress: " + w.packets() + " of " + packets + " packets");
            }
            LockSupport.parkNanos(5_000_000); // Thread.sleep allocates 40 B a call on JDK 25: it would count here
        }
    }

    static void assertBelowLimit(Figure f) {
        assertTrue(f.perPacket() < LIMIT_BYTES_PER_PACKET, "allocates in steady state: " + f);
        assertNoShardLocks(f);
    }

    /** No lock on the shards' path: they never blocked entering a contended monitor while measured. */
    static void assertNoShardLocks(Figure f) {
        assertEquals(0, f.shardBlocked(), "a shard blocked on a monitor: " + f);
    }

    static synchronized int port() {
        return nextPort++;
    }

    /** Threads of a workload: a stop flag, the first failure, join on close. */
    abstract static class Workers implements Workload {
        volatile boolean stop;
        volatile Throwable failure;
        final List<Thread> threads = new ArrayList<>();

        void start(ThreadFactory factory, Runnable body) {
            Thread t = factory.newThread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    if (!stop) {
                        failure = e;
                    }
                }
            });
            threads.add(t);
            t.start();
        }

        @Override
        public Throwable failure() {
            return failure;
        }

        /** Called after the stop flag is set, before the threads are joined. */
        void stopping() throws Exception {}

        @Override
        public void close() throws Exception {
            stop = true;
            stopping();
            for (Thread t : threads) {
                t.join(10_000);
            }
        }
    }

    // ---- callbacks on the shard (TcpLayer / TcpConnection)

    @Test
    void callbackRequestResponseAndBulkAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("tcp callbacks rr 64B", new CallbackRr(), RR_WARMUP, RR_PACKETS));
        assertBelowLimit(measure("tcp callbacks bulk", new CallbackBulk(), BULK_WARMUP, BULK_PACKETS));
    }

    static final class CallbackRr implements Workload, TcpHandler {
        final MemorySegment buf = Arena.ofAuto().allocate(MESSAGE);
        final TcpListener listener;
        volatile long exchanges;
        volatile boolean stop;
        int got;

        CallbackRr() {
            int port = port();
            TcpOptions options = TcpOptions.defaults().withNoDelay(true);
            TcpLayer server = net.b.sockets().tcp();
            listener = net.b.netStack().onShard(() -> server.listen(ADDRESS_B, port, options, c -> new Echo()));
            TcpLayer client = net.a.sockets().tcp();
            net.a.netStack().onShard(() -> client.connect(ADDRESS_B, port, 0, 0, options, this));
        }

        @Override
        public void onConnected(TcpConnection c) {
            c.send(buf, 0, MESSAGE);
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, got, MESSAGE - got)) > 0) {
                got += n;
                if (got == MESSAGE) {
                    got = 0;
                    exchanges = exchanges + 1;
                    if (stop) {
                        c.close();
                        return;
                    }
                    c.send(buf, 0, MESSAGE);
                }
            }
        }

        @Override
        public long packets() {
            return 2 * exchanges;
        }

        @Override
        public Throwable failure() {
            return null;
        }

        @Override
        public void close() throws Exception {
            stop = true;
            net.b.netStack().onShard(() -> {
                listener.close();
                return null;
            });
        }
    }

    /** Echoes everything back; closes when the peer does. */
    static final class Echo implements TcpHandler {
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

    static final class CallbackBulk implements Workload, TcpHandler {
        final MemorySegment chunk = Arena.ofAuto().allocate(CHUNK);
        final TcpListener listener;
        final Sink sink = new Sink();
        volatile boolean stop;

        CallbackBulk() {
            int port = port();
            TcpOptions options = TcpOptions.defaults();
            TcpLayer server = net.b.sockets().tcp();
            listener = net.b.netStack().onShard(() -> server.listen(ADDRESS_B, port, options, c -> sink));
            TcpLayer client = net.a.sockets().tcp();
            net.a.netStack().onShard(() -> client.connect(ADDRESS_B, port, 0, 0, options, this));
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (!stop) {
                if (c.send(chunk, 0, CHUNK) == 0) {
                    return; // onWritable follows when space frees
                }
            }
            c.close();
        }

        @Override
        public long packets() {
            return sink.bytes / MSS;
        }

        @Override
        public Throwable failure() {
            return null;
        }

        @Override
        public void close() throws Exception {
            stop = true;
            net.b.netStack().onShard(() -> {
                listener.close();
                return null;
            });
        }
    }

    static final class Sink implements TcpHandler {
        private final MemorySegment buf = Arena.ofAuto().allocate(CHUNK);
        volatile long bytes;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buf, 0, CHUNK)) > 0) {
                bytes = bytes + n;
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

    // ---- UDP callbacks on the shard: device RX and TX through pool, ethernet, ip, udp

    @Test
    void udpCallbacksReceiveAndTransmitAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("udp callbacks echo (device rx+tx) 64B", new UdpCallbacks(), RR_WARMUP, RR_PACKETS));
    }

    static final class UdpCallbacks implements Workload {
        static final int IN_FLIGHT = 8;
        final UdpSocket server;
        final UdpSocket client;
        volatile long received;
        volatile boolean stop;

        UdpCallbacks() {
            int port = port();
            MemorySegment serverBuf = Arena.ofAuto().allocate(DATAGRAM);
            UdpDatagram serverFrom = new UdpDatagram();
            server = net.b.netStack().onShard(() -> {
                UdpSocket s = net.b.sockets().udp().open(new UdpHandler() {
                    @Override
                    public void onReadable(UdpSocket socket) {
                        int n;
                        while ((n = socket.receive(serverBuf, 0, DATAGRAM, serverFrom)) >= 0) {
                            socket.sendTo(serverFrom.sourceAddress(), serverFrom.sourcePort(), serverBuf, 0, n);
                        }
                    }
                });
                s.bind(0, port);
                return s;
            });
            MemorySegment clientBuf = Arena.ofAuto().allocate(DATAGRAM);
            UdpDatagram clientFrom = new UdpDatagram();
            client = net.a.netStack().onShard(() -> {
                UdpSocket s = net.a.sockets().udp().open(new UdpHandler() {
                    @Override
                    public void onReadable(UdpSocket socket) {
                        int n;
                        while ((n = socket.receive(clientBuf, 0, DATAGRAM, clientFrom)) >= 0) {
                            received = received + 1;
                            if (!stop) {
                                socket.send(clientBuf, 0, n);
                            }
                        }
                    }
                });
                s.connect(ADDRESS_B, port);
                for (int i = 0; i < IN_FLIGHT; i++) {
                    s.send(clientBuf, 0, MESSAGE);
                }
                return s;
            });
        }

        @Override
        public long packets() {
            return 2 * received;
        }

        @Override
        public Throwable failure() {
            return null;
        }

        @Override
        public void close() throws Exception {
            stop = true;
            Thread.sleep(50);
            net.a.netStack().onShard(() -> {
                client.close();
                return null;
            });
            net.b.netStack().onShard(() -> {
                server.close();
                return null;
            });
        }
    }

    // ---- blocking StreamSocket, on platform and on virtual threads

    @Test
    void blockingStreamSocketsOnPlatformThreadsAllocateNothingPerPacket() throws Exception {
        ThreadFactory platform = Thread.ofPlatform().daemon().factory();
        assertBelowLimit(measure("blocking StreamSocket rr 64B (platform)", new BlockingRr(platform), RR_WARMUP,
                RR_PACKETS));
        assertBelowLimit(measure("blocking StreamSocket bulk (platform)", new BlockingBulk(platform), BULK_WARMUP,
                BULK_PACKETS));
    }

    /**
     * Virtual threads, request/response: the application threads and their carriers allocate
     * nothing per packet, parking included; asserted. Not asserted, printed: the shard that wakes
     * a parked virtual thread allocates inside the JDK ({@code VirtualThread.unpark} submits the
     * continuation through {@code ForkJoinPool.execute}, which wraps it in a new
     * {@code ForkJoinTask$RunnableExecuteAction}, 32 bytes per wake-up), and in bulk the carriers
     * also allocate in the JDK ({@code StackChunk} when a yield finds its chunk in use,
     * {@code ForkJoinTask.adapt} in {@code VirtualThread.afterYield}); seen in JFR allocation
     * samples, none of it in netstack code.
     */
    @Test
    void blockingStreamSocketsOnVirtualThreadsAllocateNothingOffTheShardPerExchange() throws Exception {
        ThreadFactory virtual = Thread.ofVirtual().factory();
        Figure rr = measure("blocking StreamSocket rr 64B (virtual)", new BlockingRr(virtual), RR_WARMUP, RR_PACKETS);
        Figure bulk = measure("blocking StreamSocket bulk (virtual)", new BlockingBulk(virtual), BULK_WARMUP,
                BULK_PACKETS);
        for (Figure f : List.of(rr, bulk)) {
            System.out.printf("%s: %.4f B/packet off the shards, %.4f B/packet on the shards%n", f.style(),
                    f.perPacketOffShard(), (double) f.shardBytes() / f.packets());
        }
        assertTrue(rr.perPacketOffShard() < LIMIT_BYTES_PER_PACKET, "allocates off the shards: " + rr);
        assertNoShardLocks(rr);
        assertNoShardLocks(bulk);
    }

    /** A listener on B and a connected pair, made on the test thread. */
    static final class StreamPair {
        final StreamSocket listener;
        final StreamSocket client;
        final StreamSocket server;

        StreamPair(boolean noDelay) {
            int port = port();
            listener = net.b.sockets().openStream();
            listener.bind(0, port);
            listener.listen(4);
            client = net.a.sockets().openStream();
            client.connect(ADDRESS_B, port);
            server = listener.accept();
            client.setNoDelay(noDelay);
            server.setNoDelay(noDelay);
        }

        void close() {
            client.close();
            server.close();
            listener.close();
        }
    }

    static void receiveFully(StreamSocket s, byte[] buf, int length) throws IOException {
        int got = 0;
        while (got < length) {
            int n = s.receive(buf, got, length - got);
            if (n < 0) {
                throw new IOException("end of stream");
            }
            got += n;
        }
    }

    static void sendFully(StreamSocket s, byte[] buf, int length) {
        int sent = 0;
        while (sent < length) {
            sent += s.send(buf, sent, length - sent);
        }
    }

    static final class BlockingRr extends Workers {
        final StreamPair pair = new StreamPair(true);
        volatile long exchanges;

        BlockingRr(ThreadFactory factory) {
            start(factory, () -> {
                byte[] buf = new byte[MESSAGE];
                try {
                    while (true) {
                        int n = pair.server.receive(buf, 0, MESSAGE);
                        if (n < 0) {
                            return;
                        }
                        sendFully(pair.server, buf, n);
                    }
                } finally {
                    pair.server.close();
                }
            });
            start(factory, () -> {
                byte[] buf = new byte[MESSAGE];
                try {
                    while (!stop) {
                        sendFully(pair.client, buf, MESSAGE);
                        receiveFully(pair.client, buf, MESSAGE);
                        exchanges = exchanges + 1;
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } finally {
                    pair.client.close();
                }
            });
        }

        @Override
        public long packets() {
            return 2 * exchanges;
        }

        @Override
        void stopping() {
            pair.listener.close();
        }
    }

    static final class BlockingBulk extends Workers {
        final StreamPair pair = new StreamPair(false);
        volatile long bytes;

        BlockingBulk(ThreadFactory factory) {
            start(factory, () -> {
                byte[] buf = new byte[CHUNK];
                try {
                    int n;
                    while ((n = pair.server.receive(buf, 0, CHUNK)) >= 0) {
                        bytes = bytes + n;
                    }
                } finally {
                    pair.server.close();
                }
            });
            start(factory, () -> {
                byte[] buf = new byte[CHUNK];
                try {
                    while (!stop) {
                        sendFully(pair.client, buf, CHUNK);
                    }
                } finally {
                    pair.client.close();
                }
            });
        }

        @Override
        public long packets() {
            return bytes / MSS;
        }

        @Override
        void stopping() {
            pair.listener.close();
        }
    }

    // ---- non-blocking StreamSockets and a SocketSelector on each side

    @Test
    void nonBlockingSocketsWithSocketSelectorAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("non-blocking + SocketSelector rr 64B", new SelectorRr(), RR_WARMUP, RR_PACKETS));
        assertBelowLimit(measure("non-blocking + SocketSelector bulk", new SelectorBulk(), BULK_WARMUP,
                BULK_PACKETS));
    }

    static final class SelectorRr extends Workers {
        final StreamPair pair = new StreamPair(true);
        volatile long exchanges;

        SelectorRr() {
            pair.server.setBlocking(false);
            pair.client.setBlocking(false);
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                byte[] buf = new byte[MESSAGE];
                try (SocketSelector selector = net.b.sockets().openSelector()) {
                    selector.register(pair.server, SocketSelector.OP_READ, null);
                    while (!stop) {
                        selector.select(100);
                        List<SocketKey> ready = selector.readyKeys();
                        for (int i = 0, k = ready.size(); i < k; i++) {
                            StreamSocket s = (StreamSocket) ready.get(i).socket();
                            int n;
                            while ((n = s.receive(buf, 0, MESSAGE)) > 0) {
                                sendFully(s, buf, n); // 64 bytes: the tx ring takes them
                            }
                        }
                    }
                }
            });
            start(platform, () -> {
                byte[] buf = new byte[MESSAGE];
                try (SocketSelector selector = net.a.sockets().openSelector()) {
                    selector.register(pair.client, SocketSelector.OP_READ, null);
                    int got = 0;
                    sendFully(pair.client, buf, MESSAGE);
                    while (!stop) {
                        selector.select(100);
                        List<SocketKey> ready = selector.readyKeys();
                        for (int i = 0, k = ready.size(); i < k; i++) {
                            StreamSocket s = (StreamSocket) ready.get(i).socket();
                            int n;
                            while ((n = s.receive(buf, got, MESSAGE - got)) > 0) {
                                got += n;
                                if (got == MESSAGE) {
                                    got = 0;
                                    exchanges = exchanges + 1;
                                    sendFully(s, buf, MESSAGE);
                                }
                            }
                        }
                    }
                }
            });
        }

        @Override
        public long packets() {
            return 2 * exchanges;
        }

        @Override
        void stopping() throws InterruptedException {
            for (Thread t : threads) {
                t.join(10_000);
            }
            pair.close();
        }
    }

    static final class SelectorBulk extends Workers {
        final StreamPair pair = new StreamPair(false);
        volatile long bytes;

        SelectorBulk() {
            pair.server.setBlocking(false);
            pair.client.setBlocking(false);
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                byte[] buf = new byte[CHUNK];
                try (SocketSelector selector = net.b.sockets().openSelector()) {
                    selector.register(pair.server, SocketSelector.OP_READ, null);
                    while (!stop) {
                        selector.select(100);
                        List<SocketKey> ready = selector.readyKeys();
                        for (int i = 0, k = ready.size(); i < k; i++) {
                            StreamSocket s = (StreamSocket) ready.get(i).socket();
                            int n;
                            while ((n = s.receive(buf, 0, CHUNK)) > 0) {
                                bytes = bytes + n;
                            }
                        }
                    }
                }
            });
            start(platform, () -> {
                byte[] buf = new byte[CHUNK];
                try (SocketSelector selector = net.a.sockets().openSelector()) {
                    selector.register(pair.client, SocketSelector.OP_WRITE, null);
                    while (!stop) {
                        selector.select(100);
                        List<SocketKey> ready = selector.readyKeys();
                        for (int i = 0, k = ready.size(); i < k; i++) {
                            StreamSocket s = (StreamSocket) ready.get(i).socket();
                            while (s.send(buf, 0, CHUNK) > 0) {
                                // fill the tx ring
                            }
                        }
                    }
                }
            });
        }

        @Override
        public long packets() {
            return bytes / MSS;
        }

        @Override
        void stopping() throws InterruptedException {
            for (Thread t : threads) {
                t.join(10_000);
            }
            pair.close();
        }
    }

    // ---- java.nio channels through the stack's SelectorProvider: blocking client, selector server

    @Test
    void nioChannelsThroughTheStacksProviderAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("java.nio blocking client + Selector server rr 64B", new NioRr(true), RR_WARMUP,
                RR_PACKETS));
        assertBelowLimit(measure("java.nio blocking client + Selector server bulk", new NioRr(false),
                BULK_WARMUP, BULK_PACKETS));
    }

    static final class NioRr extends Workers {
        final boolean echo;
        final Selector selector;
        final ServerSocketChannel listener;
        volatile long count;

        NioRr(boolean echo) throws IOException {
            this.echo = echo;
            selector = net.providerB.openSelector();
            listener = net.providerB.openServerSocketChannel()
                    .bind(new InetSocketAddress(InetAddress.getByName("198.18.40.2"), port()));
            listener.configureBlocking(false).register(selector, SelectionKey.OP_ACCEPT);
            InetSocketAddress to = (InetSocketAddress) listener.getLocalAddress();
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, this::serve);
            start(platform, () -> {
                try (SocketChannel ch = net.providerA.openSocketChannel()) {
                    ch.connect(to);
                    if (echo) {
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        ByteBuffer buf = ByteBuffer.allocateDirect(MESSAGE);
                        while (!stop) {
                            buf.clear();
                            while (buf.hasRemaining()) {
                                ch.write(buf);
                            }
                            buf.clear();
                            while (buf.hasRemaining()) {
                                if (ch.read(buf) < 0) {
                                    throw new IOException("end of stream");
                                }
                            }
                            count = count + 1;
                        }
                    } else {
                        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                        while (!stop) {
                            buf.clear();
                            while (buf.hasRemaining()) {
                                ch.write(buf);
                            }
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        private void serve() {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            try {
                while (!stop) {
                    selector.select(100);
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey key = it.next();
                        it.remove();
                        if (key.isAcceptable()) {
                            SocketChannel ch = listener.accept();
                            if (ch != null) {
                                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                                ch.configureBlocking(false).register(selector, SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            SocketChannel ch = (SocketChannel) key.channel();
                            buf.clear();
                            int n = ch.read(buf);
                            if (n > 0 && echo) {
                                buf.flip();
                                while (buf.hasRemaining()) { // 64-byte messages: the send buffer takes them
                                    ch.write(buf);
                                }
                            } else if (n > 0) {
                                count = count + n;
                            } else if (n < 0) {
                                key.cancel();
                                ch.close();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public long packets() {
            return echo ? 2 * count : count / MSS;
        }

        @Override
        void stopping() throws Exception {
            for (Thread t : threads) {
                t.join(10_000);
            }
            listener.close();
            selector.close();
        }
    }

    // ---- java.net.Socket streams: the adaptors of the provider's channels (channel.socket())

    @Test
    void socketAdaptorStreamsAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("java.net.Socket streams (adaptor) rr 64B", new AdaptorRr(), RR_WARMUP, RR_PACKETS));
    }

    static final class AdaptorRr extends Workers {
        final ServerSocketChannel listener;
        final SocketChannel client;
        final SocketChannel server;
        volatile long exchanges;

        AdaptorRr() throws IOException {
            listener = net.providerB.openServerSocketChannel()
                    .bind(new InetSocketAddress(InetAddress.getByName("198.18.40.2"), port()));
            client = net.providerA.openSocketChannel();
            client.connect(listener.getLocalAddress());
            server = listener.accept();
            client.socket().setTcpNoDelay(true);
            server.socket().setTcpNoDelay(true);
            java.io.InputStream serverIn = server.socket().getInputStream();
            java.io.OutputStream serverOut = server.socket().getOutputStream();
            java.io.InputStream clientIn = client.socket().getInputStream();
            java.io.OutputStream clientOut = client.socket().getOutputStream();
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                byte[] buf = new byte[MESSAGE];
                try {
                    int n;
                    while ((n = serverIn.read(buf, 0, MESSAGE)) >= 0) {
                        serverOut.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            start(platform, () -> {
                byte[] buf = new byte[MESSAGE];
                try {
                    while (!stop) {
                        clientOut.write(buf, 0, MESSAGE);
                        int got = 0;
                        while (got < MESSAGE) {
                            int n = clientIn.read(buf, got, MESSAGE - got);
                            if (n < 0) {
                                throw new IOException("end of stream");
                            }
                            got += n;
                        }
                        exchanges = exchanges + 1;
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public long packets() {
            return 2 * exchanges;
        }

        @Override
        void stopping() throws Exception {
            threads.get(1).join(10_000);
            client.close();
            threads.get(0).join(10_000);
            server.close();
            listener.close();
        }
    }

    // ---- java.nio DatagramChannel through the stack's provider: connected client, unconnected server

    @Test
    void nioDatagramChannelsAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("java.nio DatagramChannel rr 64B", new NioDatagramRr(), RR_WARMUP, RR_PACKETS));
    }

    static final class NioDatagramRr extends Workers {
        final DatagramChannel server;
        final DatagramChannel client;
        volatile long count;

        NioDatagramRr() throws IOException {
            server = net.providerB.openDatagramChannel()
                    .bind(new InetSocketAddress(InetAddress.getByName("198.18.40.2"), port()));
            client = net.providerA.openDatagramChannel().connect(server.getLocalAddress());
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(DATAGRAM);
                try {
                    while (!stop) {
                        buf.clear();
                        SocketAddress from = server.receive(buf); // the same object while the peer stays
                        buf.flip();
                        server.send(buf, from);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            start(platform, () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(MESSAGE);
                try {
                    while (!stop) {
                        buf.clear();
                        client.write(buf);
                        buf.clear();
                        client.read(buf);
                        count = count + 2; // request and response
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public long packets() {
            return count;
        }

        @Override
        void stopping() throws Exception {
            client.close(); // ends the client's read
            server.close(); // ends the server's receive
        }
    }

    // ---- java.net.DatagramSocket: the adaptor of the provider's DatagramChannel (channel.socket())

    @Test
    void datagramSocketAdaptorAllocatesNothingPerPacket() throws Exception {
        assertBelowLimit(measure("java.net.DatagramSocket (adaptor) rr 64B", new DatagramAdaptorRr(), RR_WARMUP,
                RR_PACKETS));
    }

    static final class DatagramAdaptorRr extends Workers {
        final DatagramChannel serverChannel;
        final DatagramChannel clientChannel;
        volatile long count;

        DatagramAdaptorRr() throws IOException {
            serverChannel = net.providerB.openDatagramChannel()
                    .bind(new InetSocketAddress(InetAddress.getByName("198.18.40.2"), port()));
            clientChannel = net.providerA.openDatagramChannel().connect(serverChannel.getLocalAddress());
            java.net.DatagramSocket server = serverChannel.socket();
            java.net.DatagramSocket client = clientChannel.socket();
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[DATAGRAM], DATAGRAM);
                try {
                    while (!stop) {
                        p.setLength(DATAGRAM);
                        server.receive(p); // sets the sender's address and port
                        server.send(p); // back to it
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            start(platform, () -> {
                java.net.DatagramPacket request = new java.net.DatagramPacket(new byte[MESSAGE], MESSAGE);
                java.net.DatagramPacket response = new java.net.DatagramPacket(new byte[MESSAGE], MESSAGE);
                try {
                    while (!stop) {
                        client.send(request); // connected: no address needed
                        response.setLength(MESSAGE);
                        client.receive(response);
                        count = count + 2; // request and response
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public long packets() {
            return count;
        }

        @Override
        void stopping() throws Exception {
            clientChannel.close();
            serverChannel.close();
        }
    }

    // ---- DatagramSocket: blocking send/receive on platform threads

    @Test
    void datagramSocketsAllocateNothingPerPacket() throws Exception {
        assertBelowLimit(measure("DatagramSocket rr 64B", new DatagramWork(true), RR_WARMUP, RR_PACKETS));
        assertBelowLimit(measure("DatagramSocket one-way 1024B", new DatagramWork(false), BULK_WARMUP,
                BULK_PACKETS));
    }

    static final class DatagramWork extends Workers {
        static final int WINDOW = 256;
        final DatagramSocket server = net.b.sockets().openDatagram();
        final DatagramSocket client = net.a.sockets().openDatagram();
        volatile long count;

        DatagramWork(boolean echo) {
            int port = port();
            server.bind(0, port);
            server.setReceiveTimeout(200);
            client.setReceiveTimeout(200);
            client.connect(ADDRESS_B, port);
            ThreadFactory platform = Thread.ofPlatform().daemon().factory();
            start(platform, () -> {
                byte[] buf = new byte[DATAGRAM];
                UdpDatagram from = new UdpDatagram();
                while (!stop) {
                    int n = receive(server, buf, from);
                    if (n < 0) {
                        continue;
                    }
                    if (echo) {
                        server.sendTo(from.sourceAddress(), from.sourcePort(), buf, 0, n);
                    } else {
                        count = count + 1;
                    }
                }
            });
            start(platform, () -> {
                byte[] buf = new byte[DATAGRAM];
                if (!echo) {
                    // At most WINDOW datagrams ahead of the receiver: the pools never run dry. Should
                    // one be lost, the window restarts after a pause.
                    long sent = 0;
                    long fullSinceNs = 0;
                    while (!stop) {
                        if (sent - count < WINDOW) {
                            client.send(buf, 0, DATAGRAM);
                            sent++;
                            fullSinceNs = 0;
                        } else if (fullSinceNs == 0) {
                            fullSinceNs = System.nanoTime();
                        } else if (System.nanoTime() - fullSinceNs > 100_000_000L) {
                            sent = count;
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    return;
                }
                while (!stop) {
                    client.send(buf, 0, MESSAGE);
                    if (receive(client, buf, null) >= 0) { // a lost datagram: the timeout sends the next
                        count = count + 2; // request and response
                    }
                }
            });
        }

        /** One datagram, or -1 after the receive timeout (exceptions only on that rare path). */
        static int receive(DatagramSocket s, byte[] buf, UdpDatagram from) {
            try {
                return s.receiveFrom(buf, 0, DATAGRAM, from);
            } catch (dev.netstack.socket.SocketException e) {
                if (e.error() == dev.netstack.socket.SocketError.TIMED_OUT) {
                    return -1;
                }
                throw e;
            }
        }

        @Override
        public long packets() {
            return count;
        }

        @Override
        void stopping() throws Exception {
            for (Thread t : threads) {
                t.join(10_000);
            }
            client.close();
            server.close();
        }
    }
}
