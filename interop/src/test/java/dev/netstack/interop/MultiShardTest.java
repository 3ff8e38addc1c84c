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

    /** Records, per local TCP port, the sequence number after the last segment sent (SND.NXT). */
    private static final class SeqSpy extends dev.netstack.nic.DecoratedDevice {
        final java.util.concurrent.ConcurrentHashMap<Integer, Integer> nextSeq = new java.util.concurrent.ConcurrentHashMap<>();

        SeqSpy(dev.netstack.nic.NetDevice inner) {
            super(inner);
        }

        @Override
        public int receive(int queue, dev.netstack.nic.PacketBatch batch) {
            return inner.receive(queue, batch);
        }

        @Override
        public int transmit(int queue, dev.netstack.nic.PacketBatch batch) {
            for (int i = 0; i < batch.size(); i++) {
                dev.netstack.nic.PacketBuffer b = batch.get(i);
                MemorySegment m = b.segment();
                long at = b.offset();
                if (b.length() >= 54 && (m.get(BE16, at + 12) & 0xFFFF) == 0x0800 && m.get(ValueLayout.JAVA_BYTE, at + 23) == 6) {
                    int ipLength = m.get(BE16, at + 16) & 0xFFFF;
                    int headerBytes = (m.get(ValueLayout.JAVA_BYTE, at + 14) & 0x0F) * 4;
                    long tcp = at + 14 + headerBytes;
                    int dataOffset = ((m.get(ValueLayout.JAVA_BYTE, tcp + 12) & 0xFF) >>> 4) * 4;
                    int flags = m.get(ValueLayout.JAVA_BYTE, tcp + 13) & 0xFF;
                    int payload = ipLength - headerBytes - dataOffset;
                    int seq = m.get(BE32, tcp + 4) + payload + ((flags & 0x02) != 0 ? 1 : 0) + ((flags & 0x01) != 0 ? 1 : 0);
                    nextSeq.put(m.get(BE16, tcp) & 0xFFFF, seq);
                }
            }
            return inner.transmit(queue, batch);
        }

        @Override
        public String description() {
            return inner.description();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    @Test
    void anIcmpErrorAboutAnotherLanesConnectionReachesThatLane() throws Exception {
        // ICMP arrives at lane 0; "fragmentation needed" for a connection of lane 1 must still lower
        // that connection's MSS (RFC 1191), so lane 0 hands the error over.
        MemoryLink link = MemoryLink.builder().queues(2).buffers(4096).capacity(1024).build();
        SeqSpy spy = new SeqSpy(link.a());
        NetStack server = start(NetStack.builder().device(link.b()).address("198.18.9.2/24").shards(2));
        NetStack client = start(NetStack.builder().device(spy).address("198.18.9.1/24").shards(2));
        for (NetStack lane : server.lanes()) {
            TcpStack tcp = lane.component(TcpStack.class);
            lane.onShard(() -> tcp.listen(0, PORT, TcpOptions.defaults(), c -> new Echo()));
        }
        NetStack lane1 = client.lanes().get(1);
        TcpStack tcp1 = lane1.component(TcpStack.class);
        Client echo = new Client(99);
        TcpConnection connection = lane1.onShard(() -> tcp1.connect(B, PORT, 0, 0, TcpOptions.defaults(), new TcpHandler() {
            @Override
            public void onConnected(TcpConnection c) {
                c.send(MemorySegment.ofArray(new byte[100]), 0, 100);
            }

            @Override
            public void onReadable(TcpConnection c) {
                int n;
                int got = 0;
                while ((n = c.receive(MemorySegment.ofArray(new byte[200]), 0, 200)) > 0) {
                    got += n;
                }
                if (got > 0) {
                    echo.done.complete(new byte[0]);
                }
            }
        }));
        echo.done.get(30, TimeUnit.SECONDS);
        int port = connection.localPort();
        int mssBefore = lane1.onShard(() -> connection.info().mssBytes());
        for (int i = 0; i < 1000 && lane1.onShard(() -> connection.info().sendQueueBytes()) > 0; i++) {
            Thread.sleep(5);
        }
        int seq = spy.nextSeq.get(port);
        // The server's lane 0 puts "fragmentation needed, next-hop MTU 1200" on the wire toward the
        // client, quoting the client's segment: ICMP goes to the client's queue 0.
        NetStack serverLane0 = server.lanes().get(0);
        serverLane0.onShard(() -> {
            dev.netstack.nic.PacketBuffer frame = link.b().pool(0).allocate();
            int length = 14 + 20 + 8 + 20 + 8;
            int at = frame.append(length);
            MemorySegment m = frame.segment();
            m.asSlice(at, length).fill((byte) 0);
            m.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), at + 12, (short) 0x0800);
            for (int k = 0; k < 6; k++) { // destination: the client's MAC, source: the server's
                m.set(ValueLayout.JAVA_BYTE, at + k, (byte) (link.a().macAddress() >>> (40 - 8 * k)));
                m.set(ValueLayout.JAVA_BYTE, at + 6 + k, (byte) (link.b().macAddress() >>> (40 - 8 * k)));
            }
            long ip = at + 14;
            m.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
            m.set(BE16, ip + 2, (short) (length - 14));
            m.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
            m.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) 1);
            m.set(BE32, ip + 12, B);
            m.set(BE32, ip + 16, A);
            m.set(BE16, ip + 10, (short) dev.netstack.ip.wire.InternetChecksum.compute(m, ip, 20));
            long icmp = ip + 20;
            m.set(ValueLayout.JAVA_BYTE, icmp, (byte) 3);
            m.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 4);
            m.set(BE16, icmp + 6, (short) 1200);
            long quoted = icmp + 8;
            m.set(ValueLayout.JAVA_BYTE, quoted, (byte) 0x45);
            m.set(BE16, quoted + 2, (short) 1500);
            m.set(ValueLayout.JAVA_BYTE, quoted + 8, (byte) 64);
            m.set(ValueLayout.JAVA_BYTE, quoted + 9, (byte) 6);
            m.set(BE32, quoted + 12, A);
            m.set(BE32, quoted + 16, B);
            m.set(BE16, quoted + 20, (short) port);
            m.set(BE16, quoted + 22, (short) PORT);
            m.set(BE32, quoted + 24, seq);
            m.set(BE16, icmp + 2, (short) dev.netstack.ip.wire.InternetChecksum.compute(m, icmp, 8 + 28));
            dev.netstack.nic.PacketBatch batch = new dev.netstack.nic.PacketBatch(1);
            batch.add(frame);
            assertEquals(1, link.b().transmit(0, batch));
            return null;
        });
        for (int i = 0; i < 1000 && tcpCounter(lane1, "pmtu-updates") == 0; i++) {
            Thread.sleep(5);
        }
        assertEquals(1, client.lanes().get(0).counter("icmp", "errors-to-other-lane"));
        assertEquals(1, tcpCounter(lane1, "pmtu-updates"), "lane 1 took the error for its connection");
        int mssAfter = lane1.onShard(() -> connection.info().mssBytes());
        assertTrue(mssAfter < mssBefore && mssAfter <= 1200 - 40, "MSS " + mssBefore + " -> " + mssAfter);
    }
}
