package dev.netstack.launcher.bench;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.PollTask;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The stack's side: the callback APIs on the shard thread, the fastest path the stack offers.
 * Servers and clients are {@link TcpHandler}s and {@link UdpHandler}s; the UDP sender is a
 * {@link PollTask} that sends a burst every turn of the shard. Setup and teardown run as shard
 * commands ({@code NetStack.onShard}); once running, nothing here allocates per message (the
 * short-connection workload allocates what a connection needs).
 */
final class StackSide implements Side {

    static final int MESSAGE = 64;
    static final int CHUNK = 64 * 1024;
    private static final int UDP_BURST = 32;

    private final StackHost host;
    private final String address;
    /**
     * Handles are reused: every handler here drops its connection when it hears onClosed, so short
     * connections allocate nothing in the stack (TcpOptions.handleReuse).
     */
    private final TcpOptions options = TcpOptions.defaults().withNoDelay(true).withBacklog(1024).withHandleReuse(true);

    StackSide(StackHost host, String address) {
        this.host = host;
        this.address = address;
    }

    @Override
    public String address() {
        return address;
    }

    private <T> T onShard(java.util.concurrent.Callable<T> call) {
        return host.stack.onShard(call);
    }

    /** What a server keeps per lane: a handler factory given the lane's scratch memory and counter. */
    @FunctionalInterface
    private interface LaneHandlers {
        dev.netstack.tcp.TcpListenerHandler create(MemorySegment scratch, long[] counter);
    }

    /**
     * Listens on {@code port} on every lane (a flow's SYN arrives at the lane its hash names), each
     * with handlers using that lane's own scratch memory and counter, summed by {@link Server#count}.
     */
    private Server listener(int port, LaneHandlers handlers) {
        int count = host.lanes.size();
        long[][] counters = new long[count][];
        TcpListener[] listeners = new TcpListener[count];
        for (int i = 0; i < count; i++) {
            StackHost.Lane lane = host.lanes.get(i);
            long[] counter = new long[1];
            counters[i] = counter;
            dev.netstack.tcp.TcpListenerHandler handler = handlers.create(Arena.ofAuto().allocate(CHUNK), counter);
            listeners[i] = lane.stack().onShard(() -> lane.tcp().listen(0, port, options, handler));
        }
        return new Server() {
            @Override
            public long count() {
                long sum = 0;
                for (long[] counter : counters) {
                    sum += counterOf(counter);
                }
                return sum;
            }

            @Override
            public void close() {
                for (int i = 0; i < count; i++) {
                    TcpListener listener = listeners[i];
                    host.lanes.get(i).stack().onShard(() -> {
                        listener.close();
                        return null;
                    });
                }
            }
        };
    }

    /** Counters are one-element arrays written on a shard; a racy read of a long is fine for figures. */
    private static long counterOf(long[] counter) {
        return counter[0];
    }

    @Override
    public Server tcpEcho(int port, boolean closeAfterReply) {
        return listener(port, (scratch, served) -> {
            java.util.ArrayDeque<Echo> idle = new java.util.ArrayDeque<>(); // the lane's, used on its shard only
            return c -> {
                Echo echo = idle.poll();
                if (echo == null) {
                    echo = new Echo(closeAfterReply, served, scratch, idle);
                }
                echo.got = 0;
                return echo;
            };
        });
    }

    /** Echoes what it reads; back to its lane's idle handlers when its connection has closed. */
    private static final class Echo implements TcpHandler {
        private final boolean closeAfterReply;
        private final long[] served;
        private final MemorySegment scratch;
        private final java.util.ArrayDeque<Echo> idle;
        private int got;

        Echo(boolean closeAfterReply, long[] served, MemorySegment scratch, java.util.ArrayDeque<Echo> idle) {
            this.closeAfterReply = closeAfterReply;
            this.served = served;
            this.scratch = scratch;
            this.idle = idle;
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            idle.push(this);
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(scratch, 0, CHUNK)) > 0) {
                got += n;
                c.send(scratch, 0, n); // 64-byte messages: the send buffer always takes them
            }
            if (n < 0 || (closeAfterReply && got >= MESSAGE)) {
                if (closeAfterReply) {
                    served[0]++;
                }
                c.close();
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
        }
    }

    @Override
    public Server tcpSink(int port) {
        return listener(port, (scratch, bytes) -> {
            TcpHandler sink = sink(scratch, bytes);
            return c -> sink;
        });
    }

    private static TcpHandler sink(MemorySegment scratch, long[] bytes) {
        return new TcpHandler() {
            @Override
            public void onReadable(TcpConnection c) {
                int n;
                while ((n = c.receive(scratch, 0, CHUNK)) > 0) {
                    bytes[0] += n;
                }
                if (n < 0) {
                    c.close();
                }
            }

            @Override
            public void onPeerClosed(TcpConnection c) {
                onReadable(c);
            }
        };
    }

    @Override
    public Server udpSink(int port) {
        long[] datagrams = new long[1];
        UdpSocket socket = onShard(() -> {
            UdpSocket s = host.udp.open(new UdpHandler() {
                @Override
                public void onReadable(UdpSocket s) {
                    while (s.drop()) {
                        datagrams[0]++;
                    }
                }
            });
            s.setReceiveQueueLimits(4096, 8 << 20);
            var error = s.bind(0, port);
            if (error != null) {
                s.close();
                throw new IllegalStateException("UDP bind to port " + port + ": " + error);
            }
            return s;
        });
        return new Server() {
            @Override
            public long count() {
                return counterOf(datagrams);
            }

            @Override
            public void close() {
                onShard(() -> {
                    socket.close();
                    return null;
                });
            }
        };
    }

    /** Clients of one lane: counters written on its shard, connections aborted on close if still open. */
    private abstract class ShardClient extends BaseClient implements TcpHandler {
        final StackHost.Lane lane;
        final List<TcpConnection> connections = new ArrayList<>();
        long ops;

        ShardClient(int parts) {
            this(host.lanes.getFirst(), parts);
        }

        ShardClient(StackHost.Lane lane, int parts) {
            super(parts);
            this.lane = lane;
        }

        void connect(int remote, int port) {
            connections.add(lane.tcp().connect(remote, port, 0, 0, options, this));
        }

        @Override
        public long ops() {
            return ops;
        }

        @Override
        public void close() {
            lane.stack().onShard(() -> {
                for (TcpConnection c : connections) {
                    if (c.state() != TcpState.CLOSED && c.state() != TcpState.TIME_WAIT) {
                        c.abort();
                    }
                }
                return null;
            });
        }
    }

    @Override
    public Client rr(String host, int port, Control control, LogLinearHistogram latency) {
        return rr(this.host.lanes.getFirst(), Ipv4Address.parse(host), port, control, latency);
    }

    /** {@code connections} request/response connections spread over the lanes; latency is not recorded. */
    @Override
    public Client rr(String host, int port, int connections, Control control) {
        int remote = Ipv4Address.parse(host);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            clients.add(rr(this.host.lanes.get(i % this.host.lanes.size()), remote, port, control, null));
        }
        return new Clients(clients);
    }

    private Client rr(StackHost.Lane lane, int remote, int port, Control control, LogLinearHistogram latency) {
        MemorySegment request = Arena.ofAuto().allocate(MESSAGE);
        MemorySegment response = Arena.ofAuto().allocate(MESSAGE);
        ShardClient client = new ShardClient(lane, 1) {
            private int got;
            private long startNs;
            private boolean done;

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
                        long nowNs = System.nanoTime();
                        if (control.measuring && latency != null) {
                            latency.record(nowNs - startNs);
                        }
                        ops++;
                        if (control.stopping) {
                            finish(c, null);
                            return;
                        }
                        startNs = nowNs;
                        c.send(request, 0, MESSAGE);
                    }
                }
            }

            @Override
            public void onClosed(TcpConnection c, TcpError reason) {
                finish(c, "connection closed: " + reason);
            }

            private void finish(TcpConnection c, String why) {
                if (!done) {
                    done = true;
                    if (why != null) {
                        fail(why);
                    }
                    c.close();
                    stopped.countDown();
                }
            }
        };
        lane.stack().onShard(() -> {
            client.connect(remote, port);
            return null;
        });
        return client;
    }

    @Override
    public Client crr(String host, int port, Control control, LogLinearHistogram latency) {
        return crr(this.host.lanes.getFirst(), Ipv4Address.parse(host), port, control, latency);
    }

    /** {@code parallel} short-connection clients spread over the lanes; latency is not recorded. */
    @Override
    public Client crr(String host, int port, int parallel, Control control) {
        int remote = Ipv4Address.parse(host);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < parallel; i++) {
            clients.add(crr(this.host.lanes.get(i % this.host.lanes.size()), remote, port, control, null));
        }
        return new Clients(clients);
    }

    private Client crr(StackHost.Lane lane, int remote, int port, Control control, LogLinearHistogram latency) {
        CrrClient client = new CrrClient(lane, remote, port, control, latency);
        lane.stack().onShard(() -> {
            client.next();
            return null;
        });
        return client;
    }

    /** One short connection at a time; the next starts when the previous one saw the server's FIN. */
    private final class CrrClient extends ShardClient {
        private final int remote;
        private final int port;
        private final Control control;
        private final LogLinearHistogram latency;
        private final MemorySegment request = Arena.ofAuto().allocate(MESSAGE);
        private final MemorySegment response = Arena.ofAuto().allocate(MESSAGE + 1);
        private TcpConnection current;
        private int got;
        private long startNs;
        private boolean done;

        CrrClient(StackHost.Lane lane, int remote, int port, Control control, LogLinearHistogram latency) {
            super(lane, 1);
            this.remote = remote;
            this.port = port;
            this.control = control;
            this.latency = latency;
        }

        void next() {
            if (control.stopping) {
                stop(null);
                return;
            }
            got = 0;
            startNs = System.nanoTime();
            try {
                current = lane.tcp().connect(remote, port, 0, 0, options, this);
            } catch (TcpException e) {
                stop("connect: " + e.getMessage());
            }
        }

        private void stop(String why) {
            if (!done) {
                done = true;
                if (why != null) {
                    fail(why);
                }
                stopped.countDown();
            }
        }

        @Override
        public void onConnected(TcpConnection c) {
            c.send(request, 0, MESSAGE);
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (c != current || done) {
                return;
            }
            int n;
            while ((n = c.receive(response, got, MESSAGE + 1 - got)) > 0) {
                got += n;
            }
            if (n < 0) {
                c.close();
                if (got != MESSAGE) {
                    stop("response of " + got + " bytes, not " + MESSAGE);
                    return;
                }
                if (control.measuring && latency != null) {
                    latency.record(System.nanoTime() - startNs);
                }
                ops++;
                next();
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            if (c == current) {
                current = null; // its handle may serve another connection from now on
                if (reason != TcpError.NONE) {
                    stop("connection closed: " + reason);
                }
            }
        }

        @Override
        public void close() {
            lane.stack().onShard(() -> {
                done = true;
                TcpConnection c = current;
                if (c != null && c.state() != TcpState.CLOSED && c.state() != TcpState.TIME_WAIT) {
                    c.abort();
                }
                return null;
            });
        }
    }

    private StackHost host() {
        return host;
    }

    /** Several clients (each on its own lane) as one: operations summed, stopped when all are. */
    private static final class Clients implements Client {
        private final List<Client> clients;

        Clients(List<Client> clients) {
            this.clients = List.copyOf(clients);
        }

        @Override
        public long ops() {
            long sum = 0;
            for (Client c : clients) {
                sum += c.ops();
            }
            return sum;
        }

        @Override
        public boolean awaitStopped(long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
            for (Client c : clients) {
                long leftMs = Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
                if (!c.awaitStopped(leftMs)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String failure() {
            for (Client c : clients) {
                if (c.failure() != null) {
                    return c.failure();
                }
            }
            return null;
        }

        @Override
        public void close() {
            for (Client c : clients) {
                c.close();
            }
        }
    }

    @Override
    public Client bulk(String host, int port, int connections, Control control) {
        int remote = Ipv4Address.parse(host);
        MemorySegment chunk = Arena.ofAuto().allocate(CHUNK);
        ShardClient client = new ShardClient(connections) {
            @Override
            public void onConnected(TcpConnection c) {
                onWritable(c);
            }

            @Override
            public void onWritable(TcpConnection c) {
                if (c.state() != TcpState.ESTABLISHED && c.state() != TcpState.CLOSE_WAIT) {
                    return;
                }
                while (!control.stopping) {
                    int n = c.send(chunk, 0, CHUNK);
                    if (n == 0) {
                        return; // onWritable follows when ACKs free space
                    }
                    ops += n;
                }
                c.close();
                stopped.countDown();
            }

            @Override
            public void onClosed(TcpConnection c, TcpError reason) {
                if (reason != TcpError.NONE) {
                    fail("connection closed: " + reason);
                    stopped.countDown();
                }
            }
        };
        onShard(() -> {
            for (int i = 0; i < connections; i++) {
                client.connect(remote, port);
            }
            return null;
        });
        return client;
    }

    @Override
    public Client udp(String host, int port, int size, Control control) {
        int remote = Ipv4Address.parse(host);
        MemorySegment payload = Arena.ofAuto().allocate(size);
        final class Sender extends BaseClient implements PollTask {
            UdpSocket socket;
            long sent;
            boolean done;

            Sender() {
                super(1);
            }

            @Override
            public int poll(long nowNs) {
                if (done) {
                    return 0;
                }
                if (control.stopping) {
                    done = true;
                    stopped.countDown();
                    return 0;
                }
                int n = 0;
                while (n < UDP_BURST && socket.sendTo(remote, port, payload, 0, size) == null) {
                    n++;
                }
                sent += n; // fewer than a burst: no buffer free or the queue is full, the next turn tries again
                return n;
            }

            @Override
            public long ops() {
                return sent;
            }

            @Override
            public void close() {
                onShard(() -> {
                    host().stack.shard().removeTask(this);
                    socket.close();
                    return null;
                });
            }
        }
        Sender sender = new Sender();
        onShard(() -> {
            sender.socket = this.host.udp.open(new UdpHandler() {
            });
            this.host.stack.shard().addTask(sender);
            return null;
        });
        return sender;
    }

    @Override
    public void close() {
        host.close();
    }
}
