package dev.netstack.socket.internal;

import static dev.netstack.socket.internal.LaneStacks.A;
import static dev.netstack.socket.internal.LaneStacks.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.FlowHash;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketKey;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import dev.netstack.udp.UdpDatagram;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sockets over two stacks of two lanes each ({@link LaneStacks}): listeners accept on both lanes,
 * connects spread over both, sockets bound to a port connect from the lane their flow lands on,
 * datagrams live on lane 0, one selector serves sockets of both lanes. Waits are bounded only so a
 * hang fails; nothing asserts a duration.
 */
class LaneSocketsTest {

    private static final int PORT = 7;
    private static final int CONNECTIONS = 16;
    private static final long WAIT_S = 60;

    private LaneStacks net;
    private ExecutorService threads;

    @BeforeEach
    void start() {
        net = new LaneStacks(2);
        threads = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void stop() {
        threads.shutdownNow();
        net.close();
    }

    private static byte[] pattern(long seed, int length) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Sends {@code data}, reads as many bytes back, closes; returns what came back. */
    private static byte[] exchange(StreamSocket socket, byte[] data) {
        byte[] back = new byte[data.length];
        Thread writer = Thread.ofVirtual().start(() -> socket.send(data, 0, data.length));
        int got = 0;
        while (got < back.length) {
            int n = socket.receive(back, got, back.length - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket.close();
        return back;
    }

    /** Echoes until the peer closes. */
    private static void echo(StreamSocket socket) {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = socket.receive(buffer, 0, buffer.length)) > 0) {
            socket.send(buffer, 0, n);
        }
        socket.close();
    }

    /** A local port whose flow to B:PORT the device steers to queue {@code lane}, from {@code from} on. */
    private static int portLandingOn(int lane, int from) {
        int port = from;
        while (FlowHash.queueOf(A, B, port, PORT, 2) != lane) {
            port++;
        }
        return port;
    }

    @Test
    void factoryGivesAPlainStackSocketsForOneLane() {
        StackSockets.Lane lane = new StackSockets.Lane(net.a.loops[0], net.a.tcp[0], net.a.udp[0], net.a.ip[0]);
        Sockets one = StackSockets.lanes(List.of(lane));
        assertInstanceOf(StackSockets.class, one);
        assertEquals(List.of(one), one.lanes());
        assertInstanceOf(LaneSockets.class, net.a.sockets);
        assertEquals(2, net.a.sockets.lanes().size());
        assertSame(net.a.loops[0], net.a.sockets.shard(), "lane 0 serves the callback path by default");
    }

    @Test
    void blockingServerAcceptsFromBothLanesAndEchoesEveryByte() throws Exception {
        long seed = System.nanoTime();
        System.out.println("LaneSocketsTest seed " + seed);
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, PORT);
        server.listen(64);
        int[] acceptedPerLane = new int[2];
        Future<?> acceptor = threads.submit(() -> {
            for (int i = 0; i < CONNECTIONS; i++) {
                StreamSocket s = server.accept();
                acceptedPerLane[net.b.laneOf(s)]++;
                threads.submit(() -> echo(s));
            }
            return null;
        });
        List<Future<byte[]>> results = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        int[] connectedPerLane = new int[2];
        for (int i = 0; i < CONNECTIONS; i++) {
            byte[] data = pattern(seed + i, 32 * 1024 + i * 97);
            sent.add(data);
            StreamSocket client = net.a.sockets.openStream();
            assertTrue(client.connect(B, PORT));
            int lane = net.a.laneOf(client);
            connectedPerLane[lane]++;
            assertEquals(lane, FlowHash.queueOf(A, B, client.localPort(), PORT, 2),
                    "the client's port brings its segments back to its lane");
            results.add(threads.submit(() -> exchange(client, data)));
        }
        for (int i = 0; i < CONNECTIONS; i++) {
            assertArrayEquals(sent.get(i), results.get(i).get(WAIT_S, TimeUnit.SECONDS), "connection " + i + " seed " + seed);
        }
        acceptor.get(WAIT_S, TimeUnit.SECONDS);
        server.close();
        assertEquals(CONNECTIONS / 2, connectedPerLane[0], "round robin over the client's lanes");
        assertEquals(CONNECTIONS / 2, connectedPerLane[1], "round robin over the client's lanes");
        assertEquals(CONNECTIONS / 2, net.a.tcpCounter(0, "active-opens"));
        assertEquals(CONNECTIONS / 2, net.a.tcpCounter(1, "active-opens"));
        for (int lane = 0; lane < 2; lane++) {
            assertEquals(net.b.tcpCounter(lane, "passive-opens"), acceptedPerLane[lane],
                    "lane " + lane + " accepted sockets live on the lane of their connection");
            assertTrue(acceptedPerLane[lane] > 0, "lane " + lane + " of the server accepted connections");
        }
    }

    @Test
    void oneSelectorAcceptsAndEchoesOnBothLanesWithoutBlocking() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.setBlocking(false);
        server.bind(0, PORT);
        server.listen(64);
        assertNull(server.accept(), "nothing to accept yet");
        SocketSelector selector = net.b.sockets.openSelector();
        selector.register(server, SocketSelector.OP_ACCEPT, null);
        int[] acceptedPerLane = new int[2];
        int[] echoed = new int[1];
        Future<?> loop = threads.submit(() -> {
            byte[] buffer = new byte[4096];
            int closed = 0;
            while (closed < CONNECTIONS) {
                selector.select(0);
                for (SocketKey key : selector.readyKeys()) {
                    if ((key.readyOps() & SocketSelector.OP_ACCEPT) != 0) {
                        StreamSocket s;
                        while ((s = server.accept()) != null) {
                            acceptedPerLane[net.b.laneOf(s)]++;
                            s.setBlocking(false);
                            selector.register(s, SocketSelector.OP_READ, null);
                        }
                    } else if ((key.readyOps() & SocketSelector.OP_READ) != 0) {
                        StreamSocket s = (StreamSocket) key.socket();
                        int n = s.receive(buffer, 0, buffer.length);
                        if (n < 0) {
                            s.close();
                            closed++;
                        } else if (n > 0) {
                            assertEquals(n, s.send(buffer, 0, n), "the echo fits the send ring");
                            echoed[0] += n;
                        }
                    }
                }
            }
            return null;
        });
        List<Future<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            byte[] data = ("hello from connection " + i).getBytes();
            StreamSocket client = net.a.sockets.openStream();
            client.connect(B, PORT);
            results.add(threads.submit(() -> exchange(client, data)));
        }
        for (int i = 0; i < CONNECTIONS; i++) {
            assertArrayEquals(("hello from connection " + i).getBytes(), results.get(i).get(WAIT_S, TimeUnit.SECONDS));
        }
        loop.get(WAIT_S, TimeUnit.SECONDS);
        selector.close();
        server.close();
        assertTrue(acceptedPerLane[0] > 0 && acceptedPerLane[1] > 0,
                "accepted on both lanes: " + acceptedPerLane[0] + " and " + acceptedPerLane[1]);
        assertEquals(CONNECTIONS, acceptedPerLane[0] + acceptedPerLane[1]);
    }

    @Test
    void acceptResumesEachLaneWhoseQueueFilledBeforeAnyAccept() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, PORT);
        server.listen(4); // 4 in each lane's queue toward the application, 4 more in each lane's TCP backlog
        List<StreamSocket> clients = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // round robin: 6 per lane, and the symmetric hash keeps each on its lane
            StreamSocket client = net.a.sockets.openStream();
            assertTrue(client.connect(B, PORT));
            clients.add(client);
        }
        // Each lane's queue holds 4: the other 2 wait in its TCP listener until accept makes room
        // and pumps that lane (a hang here means a lane was not resumed).
        int[] perLane = new int[2];
        List<StreamSocket> accepted = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            StreamSocket s = server.accept();
            perLane[net.b.laneOf(s)]++;
            accepted.add(s);
        }
        assertEquals(6, perLane[0]);
        assertEquals(6, perLane[1]);
        for (int i = 0; i < 12; i++) {
            StreamSocket client = clients.get(i);
            StreamSocket s = accepted.stream().filter(a -> a.remotePort() == client.localPort()).findFirst().orElseThrow();
            byte[] data = ("connection " + i).getBytes();
            client.send(data, 0, data.length);
            byte[] got = new byte[data.length];
            int n = 0;
            while (n < got.length) {
                n += s.receive(got, n, got.length - n);
            }
            assertArrayEquals(data, got);
            client.close();
            s.close();
        }
        server.close();
    }

    @Test
    void aSocketBoundToAPortConnectsFromTheLaneItsFlowLandsOnWithItsOptions() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, PORT);
        server.listen(16);
        Future<?> acceptor = threads.submit(() -> {
            for (int i = 0; i < 2; i++) {
                StreamSocket s = server.accept();
                threads.submit(() -> echo(s));
            }
            return null;
        });
        int from = 42_000;
        for (int lane = 0; lane < 2; lane++) {
            int port = portLandingOn(lane, from);
            from = port + 1;
            StreamSocket client = net.a.sockets.openStream();
            client.setBufferSizes(40 * 1024, 0);
            client.setNoDelay(true);
            client.bind(0, port);
            assertTrue(client.connect(B, PORT));
            assertEquals(port, client.localPort());
            assertEquals(lane, net.a.laneOf(client), "port " + port + " lands on lane " + lane);
            assertEquals(40 * 1024, ((TcpStreamSocket) client).connectionWritableBytes(),
                    "the send buffer set before connect applies on the lane");
            byte[] data = pattern(lane, 10_000);
            assertArrayEquals(data, exchange(client, data));
        }
        acceptor.get(WAIT_S, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void zeroCopyReceiveSetBeforeConnectWorksOnEitherLane() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, PORT);
        server.listen(16);
        Future<?> acceptor = threads.submit(() -> {
            for (int i = 0; i < 2; i++) {
                StreamSocket s = server.accept();
                threads.submit(() -> echo(s));
            }
            return null;
        });
        int[] lanes = new int[2];
        for (int i = 0; i < 2; i++) {
            StreamSocket client = net.a.sockets.openStream();
            client.setZeroCopyReceive(true);
            client.connect(B, PORT);
            lanes[net.a.laneOf(client)]++;
            byte[] data = pattern(i, 20_000);
            client.send(data, 0, data.length);
            byte[] back = new byte[data.length];
            int got = 0;
            while (got < back.length) {
                dev.netstack.nic.PacketBuffer b = client.receiveBuffer();
                assertNotNull(b, "data before the end of the stream");
                int n = b.length();
                b.segment().asSlice(b.offset(), n).asByteBuffer().get(back, got, n);
                got += n;
                client.release(b);
            }
            assertArrayEquals(data, back);
            client.close();
        }
        assertEquals(1, lanes[0], "one connection per lane, round robin");
        assertEquals(1, lanes[1], "one connection per lane, round robin");
        acceptor.get(WAIT_S, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void acceptTimesOutAndThenWakesForAConnectionOnLane1() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.bind(0, PORT);
        server.listen(16);
        server.setReceiveTimeout(50);
        assertEquals(SocketError.TIMED_OUT, assertThrows(SocketException.class, server::accept).error());
        server.setReceiveTimeout(0);
        CompletableFuture<StreamSocket> accepted = new CompletableFuture<>();
        threads.submit(() -> accepted.complete(server.accept()));
        StreamSocket client = net.a.sockets.openStream();
        client.bind(0, portLandingOn(1, 43_000));
        client.connect(B, PORT);
        StreamSocket s = accepted.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(1, net.b.laneOf(s), "the symmetric hash brings the flow to lane 1 on both hosts");
        assertEquals(client.localPort(), s.remotePort());
        client.close();
        s.close();
        server.close();
    }

    @Test
    void aBoundPortIsTakenOnEveryLaneUntilClosed() {
        StreamSocket first = net.a.sockets.openStream();
        first.bind(0, 0);
        int port = first.localPort();
        assertTrue(port != 0, "an ephemeral port");
        for (int lane = 0; lane < 2; lane++) {
            int p = port;
            int l = lane;
            assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class,
                    () -> net.a.probeReserve(l, p, false)).error(), "lane " + lane + " holds port " + port);
        }
        StreamSocket second = net.a.sockets.openStream();
        assertEquals(SocketError.ADDRESS_IN_USE, assertThrows(SocketException.class, () -> second.bind(0, port)).error());
        first.close();
        StreamSocket third = net.a.sockets.openStream();
        third.bind(0, port); // each lane ran the release queued by close before this bind's reservation
        assertEquals(port, third.localPort());
        third.close();
        second.close();
    }

    @Test
    void closingTheListenerClosesItOnEveryLane() throws Exception {
        StreamSocket server = net.b.sockets.openStream();
        server.listen(16); // unbound: one ephemeral port on both lanes
        int port = server.localPort();
        StreamSocket early = net.a.sockets.openStream();
        early.connect(B, port); // completes in the backlog: closed with the listener, never accepted
        server.close();
        for (int lane = 0; lane < 2; lane++) {
            net.b.probeReserve(lane, port, true); // no listener left on the lane, nor the listener's reservation
        }
        for (int i = 0; i < 2; i++) {
            StreamSocket client = net.a.sockets.openStream();
            assertEquals(SocketError.CONNECTION_REFUSED, assertThrows(SocketException.class,
                    () -> client.connect(B, port)).error());
            client.close();
        }
        early.close();
    }

    @Test
    void datagramSocketsLiveOnLane0AndEcho() throws Exception {
        DatagramSocket server = net.b.sockets.openDatagram();
        assertEquals(0, net.b.laneOf(server));
        server.bind(0, 9);
        Future<?> echo = threads.submit(() -> {
            byte[] buffer = new byte[2048];
            UdpDatagram from = new UdpDatagram();
            for (int i = 0; i < 8; i++) {
                int n = server.receiveFrom(buffer, 0, buffer.length, from);
                server.sendTo(from.sourceAddress(), from.sourcePort(), buffer, 0, n);
            }
            return null;
        });
        DatagramSocket client = net.a.sockets.openDatagram();
        assertEquals(0, net.a.laneOf(client));
        client.bind(0, 0);
        byte[] back = new byte[2048];
        UdpDatagram from = new UdpDatagram();
        for (int i = 0; i < 8; i++) {
            byte[] data = pattern(100 + i, 100 + i * 150);
            assertTrue(client.sendTo(B, 9, data, 0, data.length));
            int n = client.receiveFrom(back, 0, back.length, from);
            assertEquals(data.length, n);
            assertArrayEquals(data, java.util.Arrays.copyOf(back, n));
            assertEquals(B, from.sourceAddress());
        }
        echo.get(WAIT_S, TimeUnit.SECONDS);
        client.close();
        server.close();
    }
}
