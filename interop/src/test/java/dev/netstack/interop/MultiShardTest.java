package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Singleton;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.ip.Pinger;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.FlowHash;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stacks of several lanes (one per shard thread) over a multi-queue in-memory link: TCP flows
 * spread over the lanes by the link's flow hash, listeners accept on every lane, active opens pick
 * ports whose segments come back to their own lane, lane 0 serves ARP and ICMP and shares what it
 * learns with the others.
 */
class MultiShardTest {

    private static final int A = Ipv4Address.parse("198.18.9.1");
    private static final int B = Ipv4Address.parse("198.18.9.2");
    private static final int PORT = 7;
    private static final int BYTES = 64 * 1024;
    private static final int CONNECTIONS = 16;

    private final List<NetStack> stacks = new ArrayList<>();

    @AfterEach
    void close() {
        for (int i = stacks.size() - 1; i >= 0; i--) {
            NetStack stack = stacks.get(i);
            for (NetStack lane : stack.lanes()) {
                lane.component(TcpStack.class).close();
            }
            stack.close();
        }
    }

    private NetStack start(NetStack.Builder builder) {
        builder.idle("yield").module(new AbstractModule() {
            @Override
            protected void configure() {
                bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, Map.of()));
                bind(TcpStack.class).in(Singleton.class);
                NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
            }
        });
        NetStack stack = builder.build();
        stacks.add(stack);
        return stack;
    }

    /** The byte at {@code i} of connection {@code c}'s stream. */
    private static byte pattern(int c, int i) {
        return (byte) (i * 31 + c * 7 + 3);
    }

    /** Echoes what it reads; runs on the lane's shard with its own scratch memory. */
    private static final class Echo implements TcpHandler {
        private final MemorySegment scratch = Arena.ofAuto().allocate(16 * 1024);
        private int pending;
        private long pendingFrom;

        @Override
        public void onReadable(TcpConnection c) {
            flush(c);
            int n;
            while (pending == 0 && (n = c.receive(scratch, 0, (int) scratch.byteSize())) > 0) {
                pending = n;
                pendingFrom = 0;
                flush(c);
            }
            if (pending == 0 && c.receive(scratch, 0, 0) < 0) {
                c.close();
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            onReadable(c);
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
        }

        private void flush(TcpConnection c) {
            while (pending > 0) {
                int sent = c.send(scratch, pendingFrom, pending);
                if (sent == 0) {
                    return;
                }
                pending -= sent;
                pendingFrom += sent;
            }
        }
    }

    /** Sends {@link #BYTES} of its pattern, reads them back, checks them, closes. */
    private static final class Client implements TcpHandler {
        final int id;
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        private final MemorySegment out = Arena.ofAuto().allocate(BYTES);
        private final byte[] received = new byte[BYTES];
        private int sent;
        private int got;

        Client(int id) {
            this.id = id;
            for (int i = 0; i < BYTES; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, pattern(id, i));
            }
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (sent < BYTES) {
                int n = c.send(out, sent, BYTES - sent);
                if (n == 0) {
                    return;
                }
                sent += n;
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            MemorySegment into = MemorySegment.ofArray(received);
            int n;
            while (got < BYTES && (n = c.receive(into, got, BYTES - got)) > 0) {
                got += n;
            }
            if (got == BYTES) {
                c.close();
                done.complete(received);
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            if (reason != TcpError.NONE) {
                done.completeExceptionally(new AssertionError("connection " + id + " closed: " + reason));
            }
        }
    }

    private static long tcpCounter(NetStack lane, String name) {
        return lane.onShard(() -> lane.component(TcpStack.class).counters().snapshot().get(name));
    }

    /** Runs echo over {@code CONNECTIONS} connections from every lane of {@code client} to {@code server}. */
    private void echoOverEveryLane(NetStack client, NetStack server) throws Exception {
        List<TcpListener> listeners = new ArrayList<>();
        for (NetStack lane : server.lanes()) {
            TcpStack tcp = lane.component(TcpStack.class);
            listeners.add(lane.onShard(() -> tcp.listen(0, PORT, TcpOptions.defaults(), c -> new Echo())));
        }
        List<Client> clients = new ArrayList<>();
        int lanes = client.lanes().size();
        for (int id = 0; id < CONNECTIONS; id++) {
            int laneIndex = id % lanes;
            NetStack lane = client.lanes().get(laneIndex);
            TcpStack tcp = lane.component(TcpStack.class);
            Client c = new Client(id);
            clients.add(c);
            TcpConnection connection = lane.onShard(() -> tcp.connect(B, PORT, 0, 0, TcpOptions.defaults(), c));
            int localPort = connection.localPort();
            assertEquals(laneIndex, FlowHash.queueOf(A, B, localPort, PORT, lanes),
                    "lane " + laneIndex + " picked port " + localPort + ", whose segments land elsewhere");
        }
        for (Client c : clients) {
            byte[] echoed = c.done.get(30, TimeUnit.SECONDS);
            byte[] expected = new byte[BYTES];
            for (int i = 0; i < BYTES; i++) {
                expected[i] = pattern(c.id, i);
            }
            assertArrayEquals(expected, echoed, "connection " + c.id);
        }
        for (int i = 0; i < server.lanes().size(); i++) {
            NetStack lane = server.lanes().get(i);
            assertEquals(CONNECTIONS / server.lanes().size(), tcpCounter(lane, "passive-opens"),
                    "lane " + i + " of the server accepts the flows hashed to it");
        }
        for (int i = 0; i < server.lanes().size(); i++) {
            TcpListener listener = listeners.get(i);
            server.lanes().get(i).onShard(() -> {
                listener.close();
                return null;
            });
        }
    }

    @Test
    void tcpFlowsSpreadOverTwoShardsAndEveryByteComesBack() throws Exception {
        MemoryLink link = MemoryLink.builder().queues(2).buffers(4096).capacity(1024).build();
        NetStack server = start(NetStack.builder().device(link.b()).address("198.18.9.2/24").shards(2));
        NetStack client = start(NetStack.builder().device(link.a()).address("198.18.9.1/24").shards(2));
        assertEquals(2, server.lanes().size());
        assertTrue(server.lanes().get(0).shard() != server.lanes().get(1).shard(), "a shard thread per lane");
        echoOverEveryLane(client, server);
        // Lane 1 of the client sent ARP requests of its own, but the replies went to queue 0: what it
        // knows of the server's MAC, lane 0 told it.
        NetStack clientLane1 = client.lanes().get(1);
        assertEquals(0, clientLane1.counter("ethernet", "arp-replies-in"), "ARP arrives at lane 0 only");
        assertTrue(client.lanes().get(0).counter("ethernet", "arp-replies-in")
                + client.lanes().get(0).counter("ethernet", "arp-requests-in") > 0);
    }

    @Test
    void twoStacksCanShareTheirShardThreads() throws Exception {
        MemoryLink link = MemoryLink.builder().queues(2).buffers(4096).capacity(1024).build();
        NetStack server = start(NetStack.builder().device(link.b()).address("198.18.9.2/24").shards(2));
        NetStack client = start(NetStack.builder().device(link.a()).address("198.18.9.1/24").runOn(server));
        for (int i = 0; i < 2; i++) {
            assertTrue(client.lanes().get(i).shard() == server.lanes().get(i).shard(), "lane " + i + " on the server's thread");
        }
        echoOverEveryLane(client, server);
    }

    @Test
    void lane0AnswersPings() throws Exception {
        MemoryLink link = MemoryLink.builder().queues(2).build();
        NetStack server = start(NetStack.builder().device(link.b()).address("198.18.9.2/24").shards(2));
        NetStack client = start(NetStack.builder().device(link.a()).address("198.18.9.1/24").shards(2));
        Pinger.Result result = client.pinger().ping(B, new Pinger.Options(56, 3, 100, 1000), null).get(30, TimeUnit.SECONDS);
        assertEquals(3, result.received());
        assertEquals(3, server.lanes().get(0).counter("icmp", "in-echos"));
        assertEquals(0, server.lanes().get(1).counter("icmp", "in-echos"));
    }

    @Test
    void aConnectionFromAPortWhoseSegmentsLandOnAnotherShardIsRefused() {
        MemoryLink link = MemoryLink.builder().queues(2).build();
        NetStack client = start(NetStack.builder().device(link.a()).address("198.18.9.1/24").shards(2));
        NetStack lane1 = client.lanes().get(1);
        int port = 40_000;
        while (FlowHash.queueOf(A, B, port, PORT, 2) == 1) {
            port++;
        }
        int lane0Port = port;
        TcpStack tcp = lane1.component(TcpStack.class);
        TcpException refused = assertThrows(TcpException.class,
                () -> lane1.onShard(() -> tcp.connect(B, PORT, 0, lane0Port, TcpOptions.defaults(), new TcpHandler() {
                })));
        assertEquals(TcpError.ADDRESS_NOT_AVAILABLE, refused.error());
    }

    @Test
    void aOneQueueDeviceIsSteeredInSoftware() throws Exception {
        MemoryLink link = MemoryLink.builder().queues(1).buffers(4096).capacity(1024).build();
        NetStack server = start(NetStack.builder().device(link.b()).address("198.18.9.2/24").shards(2));
        NetStack client = start(NetStack.builder().device(link.a()).address("198.18.9.1/24").shards(2));
        assertTrue(server.lanes().get(1).device().description().contains("steer"),
                server.lanes().get(1).device().description());
        echoOverEveryLane(client, server);
    }

    @Test
    void aStackOfFewerShardsThanItsDeviceHasQueuesIsRefused() {
        MemoryLink link = MemoryLink.builder().queues(3).build();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> start(NetStack.builder().device(link.a()).address("198.18.9.1/24").shards(2)));
        assertTrue(refused.getMessage().contains("one queue per shard"), refused.getMessage());
    }
}
