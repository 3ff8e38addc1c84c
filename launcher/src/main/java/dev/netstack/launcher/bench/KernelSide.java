package dev.netstack.launcher.bench;

import dev.netstack.runtime.os.NetNamespace;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The kernel's side: blocking JDK socket channels, each on a platform thread of its own that first
 * enters the namespace (setns affects only the calling thread, and a socket belongs to the
 * namespace of the thread that made it). {@code namespace} null means this process's namespace.
 */
final class KernelSide implements Side {

    static final int MESSAGE = 64;
    static final int CHUNK = 64 * 1024;

    private final String namespace;
    private final String address;
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    KernelSide(String namespace, String address) {
        this.namespace = namespace;
        this.address = address;
    }

    @Override
    public String address() {
        return address;
    }

    interface IoBody {
        void run() throws IOException;
    }

    /** Starts a daemon thread inside the namespace; an I/O failure goes to {@code onFailure} unless closing. */
    Thread start(String name, IoBody body, java.util.function.Consumer<String> onFailure) {
        return Thread.ofPlatform().daemon().name("bench-kernel-" + name).start(() -> {
            NetNamespace ns = namespace == null ? null : NetNamespace.enter(namespace);
            try {
                body.run();
            } catch (ClosedChannelException e) {
                // closed by the runner: done
            } catch (IOException | RuntimeException e) {
                if (!closed && onFailure != null) {
                    onFailure.accept(name + ": " + e);
                }
            } finally {
                if (ns != null) {
                    ns.close();
                }
            }
        });
    }

    private <T extends AutoCloseable> T track(T channel) {
        open.add(channel);
        return channel;
    }

    /** Opens and binds a server channel on a namespace thread, then accepts there. */
    private Server tcpServer(int port, String name, boolean inline, ConnectionBody perConnection, AtomicLong counter)
            throws Exception {
        CompletableFuture<ServerSocketChannel> bound = new CompletableFuture<>();
        start(name + "-accept-" + port, () -> {
            ServerSocketChannel server;
            try {
                server = track(ServerSocketChannel.open());
                server.bind(new InetSocketAddress(address, port), 1024);
                bound.complete(server);
            } catch (IOException | RuntimeException e) {
                bound.completeExceptionally(e);
                return;
            }
            while (true) {
                SocketChannel ch = server.accept();
                if (inline) { // one short connection after the other: no thread per connection
                    try (ch) {
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        perConnection.serve(ch, counter);
                    } catch (IOException e) {
                        // this connection failed; the client reports it
                    }
                    continue;
                }
                track(ch);
                start(name + "-conn", () -> {
                    try (ch) {
                        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        perConnection.serve(ch, counter);
                    } finally {
                        open.remove(ch);
                    }
                }, null);
            }
        }, null);
        ServerSocketChannel server = bound.get(10, TimeUnit.SECONDS);
        return new Server() {
            @Override
            public long count() {
                return counter.get();
            }

            @Override
            public void close() {
                closeQuietly(server);
            }
        };
    }

    interface ConnectionBody {
        void serve(SocketChannel ch, AtomicLong counter) throws IOException;
    }

    @Override
    public Server tcpEcho(int port, boolean closeAfterReply) throws Exception {
        ByteBuffer inlineBuffer = ByteBuffer.allocateDirect(CHUNK);
        return tcpServer(port, "echo", closeAfterReply, (ch, counter) -> {
            ByteBuffer buf = closeAfterReply ? inlineBuffer.clear() : ByteBuffer.allocateDirect(CHUNK);
            long got = 0;
            int n;
            while ((n = ch.read(buf)) >= 0) {
                got += n;
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                buf.clear();
                if (closeAfterReply && got >= MESSAGE) {
                    counter.incrementAndGet();
                    return; // closes: the server closes first, so TIME_WAIT stays on this side
                }
            }
        }, new AtomicLong());
    }

    @Override
    public Server tcpSink(int port) throws Exception {
        return tcpServer(port, "sink", false, (ch, counter) -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(4 * CHUNK);
            int n;
            while ((n = ch.read(buf)) >= 0) {
                counter.addAndGet(n);
                buf.clear();
            }
        }, new AtomicLong());
    }

    @Override
    public Server udpSink(int port) throws Exception {
        CompletableFuture<DatagramChannel> bound = new CompletableFuture<>();
        AtomicLong count = new AtomicLong();
        start("udp-sink-" + port, () -> {
            DatagramChannel ch;
            try {
                ch = track(DatagramChannel.open());
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
                ch.bind(new InetSocketAddress(address, port));
                bound.complete(ch);
            } catch (IOException | RuntimeException e) {
                bound.completeExceptionally(e);
                return;
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            while (true) {
                buf.clear();
                ch.receive(buf);
                count.lazySet(count.get() + 1);
            }
        }, null);
        DatagramChannel ch = bound.get(10, TimeUnit.SECONDS);
        return new Server() {
            @Override
            public long count() {
                return count.get();
            }

            @Override
            public void close() {
                closeQuietly(ch);
            }
        };
    }

    /** A client of one or more threads, each running {@code body} until the control stops it. */
    private final class ThreadClient extends BaseClient {
        final AtomicLong ops = new AtomicLong();
        final List<AutoCloseable> channels = new CopyOnWriteArrayList<>();
        /** The short connection in progress (crr). */
        volatile AutoCloseable current;

        final int threads;

        ThreadClient(int threads) {
            super(threads);
            this.threads = threads;
        }

        void run(String name, IoBody body) {
            start(name, () -> {
                try {
                    body.run();
                } finally {
                    stopped.countDown();
                }
            }, this::fail);
        }

        <T extends AutoCloseable> T channel(T ch) {
            channels.add(ch);
            return ch;
        }

        @Override
        public long ops() {
            return ops.get();
        }

        @Override
        public void close() {
            for (AutoCloseable ch : channels) {
                closeQuietly(ch);
            }
            AutoCloseable c = current;
            if (c != null) {
                closeQuietly(c);
            }
        }
    }

    private static void readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new IOException("the peer closed the connection early");
            }
        }
    }

    @Override
    public Client rr(String host, int port, Control control, LogLinearHistogram latency) {
        ThreadClient client = new ThreadClient(1);
        client.run("rr-client", () -> rrLoop(client, host, port, control, latency));
        return client;
    }

    /** {@code connections} threads, each with its own connection; no latencies. */
    @Override
    public Client rr(String host, int port, int connections, Control control) {
        ThreadClient client = new ThreadClient(connections);
        for (int i = 0; i < connections; i++) {
            client.run("rr-client-" + i, () -> rrLoop(client, host, port, control, null));
        }
        return client;
    }

    private void rrLoop(ThreadClient client, String host, int port, Control control, LogLinearHistogram latency)
            throws IOException {
        try (SocketChannel ch = client.channel(SocketChannel.open())) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress(host, port));
            ByteBuffer request = ByteBuffer.allocateDirect(MESSAGE);
            ByteBuffer response = ByteBuffer.allocateDirect(MESSAGE);
            while (!control.stopping) {
                long startNs = System.nanoTime();
                request.clear();
                while (request.hasRemaining()) {
                    ch.write(request);
                }
                response.clear();
                readFully(ch, response);
                long ns = System.nanoTime() - startNs;
                if (control.measuring && latency != null) {
                    latency.record(ns);
                }
                client.ops.incrementAndGet();
            }
        }
    }

    @Override
    public Client crr(String host, int port, Control control, LogLinearHistogram latency) {
        ThreadClient client = new ThreadClient(1);
        client.run("crr-client", () -> crrLoop(client, host, port, control, latency));
        return client;
    }

    /** {@code parallel} threads, each opening one short connection after another; no latencies. */
    @Override
    public Client crr(String host, int port, int parallel, Control control) {
        ThreadClient client = new ThreadClient(parallel);
        for (int i = 0; i < parallel; i++) {
            client.run("crr-client-" + i, () -> crrLoop(client, host, port, control, null));
        }
        return client;
    }

    private void crrLoop(ThreadClient client, String host, int port, Control control, LogLinearHistogram latency)
            throws IOException {
        InetSocketAddress server = new InetSocketAddress(host, port);
        ByteBuffer request = ByteBuffer.allocateDirect(MESSAGE);
        ByteBuffer response = ByteBuffer.allocateDirect(MESSAGE + 1);
        while (!control.stopping) {
            long startNs = System.nanoTime();
            try (SocketChannel ch = SocketChannel.open()) {
                if (client.threads == 1) {
                    client.current = ch;
                }
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.connect(server);
                request.clear();
                while (request.hasRemaining()) {
                    ch.write(request);
                }
                response.clear();
                int n;
                while ((n = ch.read(response)) >= 0) {
                    if (n == 0 && !response.hasRemaining()) {
                        throw new IOException("more than " + MESSAGE + " bytes in the response");
                    }
                }
                if (response.position() != MESSAGE) {
                    throw new IOException("response of " + response.position() + " bytes, not " + MESSAGE);
                }
            }
            long ns = System.nanoTime() - startNs;
            if (control.measuring && latency != null) {
                latency.record(ns);
            }
            client.ops.incrementAndGet();
        }
    }

    @Override
    public Client bulk(String host, int port, int connections, Control control) {
        ThreadClient client = new ThreadClient(connections);
        for (int i = 0; i < connections; i++) {
            client.run("bulk-client-" + i, () -> {
                try (SocketChannel ch = client.channel(SocketChannel.open())) {
                    ch.connect(new InetSocketAddress(host, port));
                    ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
                    while (!control.stopping) {
                        chunk.clear();
                        while (chunk.hasRemaining()) {
                            ch.write(chunk);
                        }
                        client.ops.addAndGet(CHUNK);
                    }
                }
            });
        }
        return client;
    }

    @Override
    public Client udp(String host, int port, int size, Control control) {
        ThreadClient client = new ThreadClient(1);
        client.run("udp-client", () -> {
            try (DatagramChannel ch = client.channel(DatagramChannel.open())) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
                InetSocketAddress target = new InetSocketAddress(host, port);
                ByteBuffer datagram = ByteBuffer.allocateDirect(size);
                long sent = 0;
                while (!control.stopping) {
                    datagram.clear();
                    // unconnected: an ICMP port unreachable never fails a later send
                    if (ch.send(datagram, target) > 0) {
                        sent++;
                        if ((sent & 63) == 0) {
                            client.ops.lazySet(sent);
                        }
                    }
                }
                client.ops.set(sent);
            }
        });
        return client;
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing on the way out
        }
    }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable c : open) {
            closeQuietly(c);
        }
        open.clear();
    }
}
