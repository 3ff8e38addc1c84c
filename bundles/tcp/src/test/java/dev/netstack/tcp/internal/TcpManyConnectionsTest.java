package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.FaultPlan;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.test.MemoryLink;
import dev.netstack.test.Simulation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Many connections between two simulated stacks with 1 % loss: concurrent echo sessions, and
 * sequential short connections (port choice, TIME_WAIT, table removal).
 */
class TcpManyConnectionsTest {

    /** Echoes everything; closes when the peer does. */
    static final class Echo implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(8192);

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 8192)) > 0) {
                int sent = c.send(buffer, 0, n);
                if (sent != n) {
                    throw new AssertionError("echo buffer full");
                }
            }
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            onReadable(c);
            c.close();
        }
    }

    /** Sends {@code bytes}, expects them back, then closes. */
    static final class Client implements TcpHandler {
        final int bytes;
        final MemorySegment data;
        final MemorySegment in = Arena.ofAuto().allocate(8192);
        int sent;
        int received;
        int wrong;
        TcpError closed;

        Client(int bytes, int salt) {
            this.bytes = bytes;
            this.data = Arena.ofAuto().allocate(bytes);
            for (int i = 0; i < bytes; i++) {
                data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 13 + salt));
            }
        }

        @Override
        public void onConnected(TcpConnection c) {
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            while (sent < bytes) {
                int n = c.send(data, sent, bytes - sent);
                if (n <= 0) {
                    return;
                }
                sent += n;
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(in, 0, 8192)) > 0) {
                if (MemorySegment.mismatch(in, 0, n, data, received, received + n) >= 0) {
                    wrong++;
                }
                received += n;
            }
            if (received == bytes && c.state() == dev.netstack.tcp.TcpState.ESTABLISHED) {
                c.close();
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            closed = reason;
        }
    }

    static SimHost[] hosts(Simulation sim) {
        MemoryLink link = MemoryLink.builder().capacity(2048).buffers(4096).build();
        FaultPlan plan = FaultPlan.seeded(sim.random().nextLong()).withDrop(0.01).withDelayNs(1_000_000);
        FaultInjectingDevice faulty = new FaultInjectingDevice(link.a(), plan, sim.clock()::nanoTime);
        Map<String, Object> config = Map.of("msl_ms", 2000);
        return new SimHost[] {new SimHost(sim.addLoop(0), faulty, "198.18.0.1/24", 1, config),
            new SimHost(sim.addLoop(1), link.b(), "198.18.0.2/24", 2, config)};
    }

    @Test
    void twoHundredConcurrentEchoSessions() {
        Simulation sim = new Simulation(31);
        SimHost[] h = hosts(sim);
        h[1].tcp.listen(0, 7, TcpOptions.defaults(), c -> new Echo());
        Client[] clients = new Client[200];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new Client(20_000, i);
            h[0].tcp.connect(Ipv4Address.parse("198.18.0.2"), 7, 0, 0, TcpOptions.defaults(), clients[i]);
        }
        sim.awaitCondition("all sessions closed", () -> {
            for (Client c : clients) {
                if (c.closed == null) {
                    return false;
                }
            }
            return true;
        }, 600_000_000_000L);
        for (Client c : clients) {
            assertEquals(TcpError.NONE, c.closed);
            assertEquals(c.bytes, c.received);
            assertEquals(0, c.wrong);
        }
        sim.runFor(10_000_000_000L);
        assertEquals(0, h[0].tcp.connectionCount() + h[1].tcp.connectionCount());
    }

    @Test
    void fiveHundredSequentialShortConnections() {
        Simulation sim = new Simulation(32);
        SimHost[] h = hosts(sim);
        h[1].tcp.listen(0, 7, TcpOptions.defaults(), c -> new Echo());
        for (int i = 0; i < 500; i++) {
            Client client = new Client(100, i);
            h[0].tcp.connect(Ipv4Address.parse("198.18.0.2"), 7, 0, 0, TcpOptions.defaults(), client);
            sim.awaitCondition("connection " + i, () -> client.closed != null, 120_000_000_000L);
            assertEquals(TcpError.NONE, client.closed, "connection " + i);
            assertEquals(100, client.received);
            assertEquals(0, client.wrong);
        }
        sim.runFor(10_000_000_000L);
        assertEquals(0, h[0].tcp.connectionCount() + h[1].tcp.connectionCount());
        assertEquals(500, h[1].tcp.counters().get(TcpCounter.PASSIVE_OPENS));
    }
}
