package dev.netstack.socket.internal;

import static dev.netstack.socket.internal.TwoStacks.config;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.runtime.Shard;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The DS side of {@link StackSockets}: bound the way Declarative Services binds it (bind methods
 * with service properties) to one lane-less stack ({@link TwoStacks}) or to the lanes of a stack of
 * two ({@link LaneStacks}, properties {@code lane}/{@code lanes} and {@code shard.id}). Waits are
 * bounded only so a hang fails; nothing asserts a duration.
 */
class StackSocketsTest {

    private static final int PORT = 7;
    private static final long WAIT_S = 60;

    private static Map<String, Object> lane(int lane, int lanes) {
        return Map.of(StackSockets.LANE_PROPERTY, lane, StackSockets.LANES_PROPERTY, lanes);
    }

    private static StackSockets component(Shard shard0) {
        return new StackSockets(config(SocketsConfig.class, Map.of("pool_buffers", 1024)), shard0);
    }

    /** Binds lane {@code i} of {@code host} as DS would: shard, TCP, UDP, network layer. */
    private static void bindLane(StackSockets sockets, LaneStacks.Host host, int i, int lanes) {
        sockets.setShard(host.loops[i], Map.of(Shard.ID_PROPERTY, i));
        sockets.setTcp(host.tcp[i], lane(i, lanes));
        sockets.setUdp(host.udp[i], lane(i, lanes));
        sockets.setNetwork(host.ip[i], lane(i, lanes));
    }

    private static SocketError errorOf(Runnable action) {
        return assertThrows(SocketException.class, action::run).error();
    }

    /** Sends {@code data} on {@code socket}, reads as many bytes back, closes. */
    private static byte[] exchange(StreamSocket socket, byte[] data) {
        socket.send(data, 0, data.length);
        byte[] back = new byte[data.length];
        int got = 0;
        while (got < back.length) {
            int n = socket.receive(back, got, back.length - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        socket.close();
        return back;
    }

    private static void echo(StreamSocket socket) {
        byte[] buffer = new byte[4096];
        int n;
        while ((n = socket.receive(buffer, 0, buffer.length)) > 0) {
            socket.send(buffer, 0, n);
        }
        socket.close();
    }

    @Test
    void oneLaneLessTcpLayerServesSocketsItselfAsBefore() throws Exception {
        try (TwoStacks net = new TwoStacks()) {
            StackSockets sockets = component(net.b.loop);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::openStream), "nothing bound yet");
            sockets.setShard(net.b.loop, Map.of(Shard.ID_PROPERTY, 0));
            sockets.setNetwork(net.b.ip, Map.of());
            sockets.setUdp(net.b.udp, Map.of());
            sockets.setTcp(net.b.tcp, Map.of());

            assertEquals(List.of(sockets), sockets.lanes());
            assertSame(net.b.tcp, sockets.tcp());
            assertSame(net.b.udp, sockets.udp());
            StreamSocket server = sockets.openStream();
            assertSame(sockets, ((StackSocket) server).owner, "the component serves the socket itself");
            server.bind(0, PORT);
            server.listen(8);
            StreamSocket client = net.a.sockets.openStream();
            assertTrue(client.connect(TwoStacks.B, PORT));
            StreamSocket accepted = server.accept();
            assertSame(sockets, ((StackSocket) accepted).owner);
            byte[] data = "one lane".getBytes();
            Thread echoer = Thread.ofVirtual().start(() -> echo(accepted));
            assertArrayEquals(data, exchange(client, data));
            echoer.join(TimeUnit.SECONDS.toMillis(WAIT_S));
            server.close();

            sockets.unsetTcp(net.b.tcp);
            SocketException stopped = assertThrows(SocketException.class, sockets::openStream);
            assertEquals(SocketError.PROTOCOL_STOPPED, stopped.error());
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::tcp));
            sockets.openDatagram().close(); // UDP is still there
            sockets.unsetUdp(net.b.udp);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::openDatagram));
            sockets.setTcp(net.b.tcp, Map.of());
            sockets.openStream().close();
        }
    }

    @Test
    void twoLanesBoundServeAListenerAcceptingOnBothLanes() throws Exception {
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try (LaneStacks net = new LaneStacks(2)) {
            StackSockets sockets = component(net.b.loops[0]);
            bindLane(sockets, net.b, 1, 2);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::openStream), "lane 0 is missing");
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::tcp));
            bindLane(sockets, net.b, 0, 2);

            assertEquals(2, sockets.lanes().size());
            assertSame(net.b.tcp[0], sockets.tcp(), "tcp() is lane 0's");
            assertSame(net.b.udp[0], sockets.udp(), "udp() is lane 0's");
            StreamSocket server = sockets.openStream();
            server.bind(0, PORT);
            server.listen(64);
            int connections = 16;
            int[] acceptedPerLane = new int[2];
            Future<?> acceptor = threads.submit(() -> {
                for (int i = 0; i < connections; i++) {
                    StreamSocket s = server.accept();
                    acceptedPerLane[net.b.laneOf(s)]++;
                    threads.submit(() -> echo(s));
                }
                return null;
            });
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                StreamSocket client = net.a.sockets.openStream(); // round robin over the client's lanes
                assertTrue(client.connect(LaneStacks.B, PORT));
                byte[] data = ("connection " + i).getBytes();
                results.add(threads.submit(() -> exchange(client, data)));
            }
            for (int i = 0; i < connections; i++) {
                assertArrayEquals(("connection " + i).getBytes(), results.get(i).get(WAIT_S, TimeUnit.SECONDS));
            }
            acceptor.get(WAIT_S, TimeUnit.SECONDS);
            server.close();
            assertTrue(acceptedPerLane[0] > 0 && acceptedPerLane[1] > 0,
                    "accepted on both lanes: " + acceptedPerLane[0] + " and " + acceptedPerLane[1]);
            assertEquals(connections, acceptedPerLane[0] + acceptedPerLane[1]);

            DatagramSocket datagram = sockets.openDatagram();
            assertEquals(0, net.b.laneOf(datagram), "datagrams live on lane 0");
            datagram.close();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aLaneWhoseTcpGoesAwayStopsNewStreamsUntilItComesBack() {
        try (LaneStacks net = new LaneStacks(2)) {
            StackSockets sockets = component(net.b.loops[0]);
            bindLane(sockets, net.b, 0, 2);
            bindLane(sockets, net.b, 1, 2);
            List<Sockets> lanes = sockets.lanes();
            sockets.openStream().close();

            sockets.unsetTcp(net.b.tcp[1]);
            SocketException stopped = assertThrows(SocketException.class, sockets::openStream);
            assertEquals(SocketError.PROTOCOL_STOPPED, stopped.error());
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(lanes.get(1)::tcp), "lane 1 forgot its TCP");
            sockets.openDatagram().close(); // lane 0's UDP still serves datagrams

            sockets.setTcp(net.b.tcp[1], lane(1, 2));
            sockets.openStream().close();
            assertSame(lanes.get(0), sockets.lanes().get(0), "the lanes (and their pools) are kept");
            assertSame(lanes.get(1), sockets.lanes().get(1));
            assertSame(net.b.tcp[1], sockets.lanes().get(1).tcp());

            sockets.unsetUdp(net.b.udp[0]);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::openDatagram));
            sockets.openStream().close();
            sockets.setUdp(net.b.udp[0], lane(0, 2));
            sockets.openDatagram().close();
        }
    }

    @Test
    void aLaneWhoseNetworkLayerChangesGetsNewLanesAndTheOldOnesForgetProtocolsThatLeave() {
        try (LaneStacks net = new LaneStacks(2)) {
            StackSockets sockets = component(net.b.loops[0]);
            bindLane(sockets, net.b, 0, 2);
            bindLane(sockets, net.b, 1, 2);
            List<Sockets> before = sockets.lanes();

            sockets.unsetNetwork(net.b.ip[1]);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(sockets::openStream));
            assertEquals(List.of(sockets), sockets.lanes(), "no lanes served");
            sockets.setNetwork(net.b.ip[1], lane(1, 2));

            List<Sockets> after = sockets.lanes();
            assertNotSame(before.get(0), after.get(0), "new lanes over the new set of network layers");
            assertInstanceOf(StackSockets.class, after.get(1));
            sockets.openStream().close();
            assertSame(net.b.tcp[1], before.get(1).tcp(), "the old lanes keep a TCP that is still running");
            sockets.unsetTcp(net.b.tcp[1]);
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(before.get(1)::tcp), "and forget it when it goes");
            assertEquals(SocketError.PROTOCOL_STOPPED, errorOf(after.get(1)::tcp));
        }
    }

    @Test
    void goesBackToOneLaneWhenTheStackDoes() {
        try (LaneStacks net = new LaneStacks(2)) {
            StackSockets sockets = component(net.b.loops[0]);
            bindLane(sockets, net.b, 0, 2);
            bindLane(sockets, net.b, 1, 2);
            assertEquals(2, sockets.lanes().size());

            // shards = 1 again: the lane-less services of one shard arrive, the lanes' go
            sockets.setTcp(net.b.tcp[0], Map.of());
            sockets.setUdp(net.b.udp[0], Map.of());
            sockets.unsetTcp(net.b.tcp[1]);
            sockets.unsetNetwork(net.b.ip[1]);

            assertEquals(List.of(sockets), sockets.lanes());
            assertSame(net.b.tcp[0], sockets.tcp());
            StreamSocket stream = sockets.openStream();
            assertSame(sockets, ((StackSocket) stream).owner);
            stream.close();
        }
    }
}
