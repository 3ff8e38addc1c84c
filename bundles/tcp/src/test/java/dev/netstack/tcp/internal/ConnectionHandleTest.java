package dev.netstack.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.internal.TcpAllocationTest.Hosts;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pooled connection blocks: an application's handle on a connection that ended is detached before
 * its Tcb serves another connection, and a reset Tcb is a new one in every field.
 */
class ConnectionHandleTest {

    private static final int SERVER = Ipv4Address.parse("198.18.0.2");

    /** Records what it hears; answers a 64-byte request with 64 bytes and closes. */
    static final class Server implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64);
        final List<TcpConnection> accepted = new ArrayList<>();
        int received;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, 64)) > 0) {
                received += n;
            }
            if (received >= 64) {
                received = 0;
                c.send(buffer, 0, 64);
                c.close();
            }
        }
    }

    static Hosts hostsWithServer(Server server) {
        Hosts h = TcpAllocationTest.hostsWith(21, Map.of("msl_ms", 1));
        h.b().tcp.listen(0, 7, TcpOptions.defaults().withNoDelay(true), c -> {
            server.accepted.add(c);
            return server;
        });
        return h;
    }

    /** One short connection from a to b, run until both ends are gone and their Tcbs pooled. */
    static TcpConnection shortConnection(Hosts h, TcpAllocationTest.ShortClient client) {
        client.busy = true;
        TcpConnection c = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        for (int i = 0; i < 100_000 && client.busy; i++) {
            TcpAllocationTest.step(h);
        }
        assertFalse(client.busy, "the connection did not end");
        for (int i = 0; i < 100; i++) { // TIME_WAIT (2 ms) ends, then a segment lets the stacks reclaim
            TcpAllocationTest.step(h);
        }
        return c;
    }

    @Test
    void staleHandleAnswersAsAClosedConnectionAndCannotReachTheNextOne() {
        Server server = new Server();
        Hosts h = hostsWithServer(server);
        TcpAllocationTest.ShortClient client = new TcpAllocationTest.ShortClient();
        TcpConnection first = shortConnection(h, client);
        assertEquals(1, h.a().tcp.pooledTcbs(), "the client's Tcb was not pooled");
        assertTrue(((ConnectionHandle) first).detached());
        int firstPort = first.localPort();

        // the next connection takes the pooled Tcb; the stale handle stays closed
        client.busy = true;
        TcpConnection second = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        assertNotSame(first, second);
        assertEquals(0, h.a().tcp.pooledTcbs(), "the pooled Tcb was not reused");
        assertEquals(TcpState.CLOSED, first.state());
        assertEquals(TcpError.NONE, first.error());
        assertEquals(firstPort, first.localPort());
        assertEquals(SERVER, first.remoteAddress());
        assertEquals(-1, first.send(MemorySegment.ofArray(new byte[8]), 0, 8));
        assertEquals(-1, first.receive(MemorySegment.ofArray(new byte[8]), 0, 8));
        assertEquals(0, first.writableBytes());
        assertEquals(TcpState.CLOSED, first.info().state());
        first.abort(); // must not touch the second connection
        first.close();
        first.setHandler(new TcpHandler() { }); // onClosed was delivered already: nothing more
        assertEquals(TcpState.SYN_SENT, second.state());
        for (int i = 0; i < 100_000 && client.busy; i++) {
            TcpAllocationTest.step(h);
        }
        assertEquals(2, client.completed, "the second connection did not complete in order");
        assertEquals(2, server.accepted.size());
        assertTrue(server.accepted.get(0) != server.accepted.get(1));
    }

    @Test
    void aHandleTheApplicationLetGoServesTheNextConnectionOfItsBlock() {
        Server server = new Server();
        Hosts h = TcpAllocationTest.hostsWith(21, Map.of("msl_ms", 1));
        TcpOptions reuse = TcpOptions.defaults().withNoDelay(true).withHandleReuse(true);
        h.b().tcp.listen(0, 7, reuse, c -> {
            server.accepted.add(c);
            return server;
        });
        TcpAllocationTest.ShortClient client = new TcpAllocationTest.ShortClient();
        List<TcpConnection> opened = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            client.busy = true;
            opened.add(h.a().tcp.connect(SERVER, 7, 0, 0, reuse, client));
            for (int i = 0; i < 100_000 && client.busy; i++) {
                TcpAllocationTest.step(h);
            }
            for (int i = 0; i < 100; i++) {
                TcpAllocationTest.step(h);
            }
            assertFalse(((ConnectionHandle) opened.get(round)).detached(), "a handle let go is not detached");
        }
        assertEquals(3, client.completed, "every connection completed");
        assertSame(opened.get(0), opened.get(1), "the block's next connection got the same handle");
        assertSame(opened.get(1), opened.get(2));
        assertSame(server.accepted.get(0), server.accepted.get(1), "so did the server's accepted connection");
        assertEquals(3, server.accepted.size());
        assertTrue(h.a().tcp.pooledTcbs() == 1 && h.b().tcp.pooledTcbs() == 1, "both blocks back in the pools");

        // Without the promise, the next connection of the same block gets a new handle.
        client.busy = true;
        TcpConnection fresh = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        assertSame(opened.get(2), fresh, "the spare handle went to the next connection");
        for (int i = 0; i < 100_000 && client.busy; i++) {
            TcpAllocationTest.step(h);
        }
        for (int i = 0; i < 100; i++) {
            TcpAllocationTest.step(h);
        }
        assertTrue(((ConnectionHandle) fresh).detached(), "a handle the application may keep is detached");
        client.busy = true;
        TcpConnection after = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        assertNotSame(fresh, after);
        assertEquals(TcpState.CLOSED, fresh.state(), "the detached handle answers as closed");
    }

    @Test
    void connectionWhoseOnClosedNoHandlerHeardIsNotPooledAndTellsTheNextHandler() {
        Server server = new Server();
        Hosts h = hostsWithServer(server);
        TcpAllocationTest.ShortClient client = new TcpAllocationTest.ShortClient();
        client.busy = true;
        TcpConnection c = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults(), client);
        TcpAllocationTest.step(h);
        Tcb tcb = ConnectionHandle.tcbOf(c);
        tcb.handler = null; // as if the application had not set one yet
        tcb.abort();
        h.a().tcp.reclaim(); // what the end of the next segment or timer does
        assertFalse(((ConnectionHandle) c).detached(), "pooled before onClosed reached a handler");
        assertEquals(0, h.a().tcp.pooledTcbs());
        List<TcpError> closed = new ArrayList<>();
        TcpHandler late = new TcpHandler() {
            @Override
            public void onClosed(TcpConnection connection, TcpError reason) {
                assertSame(c, connection);
                closed.add(reason);
            }
        };
        c.setHandler(late);
        c.setHandler(late);
        assertEquals(List.of(TcpError.CONNECTION_ABORTED), closed);
    }

    /** Fields a reset Tcb keeps (reused objects) or may hold differently from a new one. */
    private static final Set<String> KEPT = Set.of("stack", "out", "retransmitTimer", "delayedAckTimer",
            "keepAliveTimer", "waitTimer", "zcq", "zcqOffset", "zcqLength", "rcvReady", "rcvLent",
            "rcvLentLength", "ooo", "scoreboard", "spareCc", "spareCcFactory", "handle");

    @Test
    void resetTcbEqualsANewOneInEveryField() throws Exception {
        Server server = new Server();
        Hosts h = hostsWithServer(server);
        TcpAllocationTest.ShortClient client = new TcpAllocationTest.ShortClient();
        client.busy = true;
        TcpConnection c = h.a().tcp.connect(SERVER, 7, 0, 0, TcpOptions.defaults().withNoDelay(true), client);
        Tcb used = ConnectionHandle.tcbOf(c);
        used.setZeroCopyReceive(true);
        for (int i = 0; i < 100_000 && client.busy; i++) {
            TcpAllocationTest.step(h);
        }
        for (int i = 0; i < 100; i++) {
            TcpAllocationTest.step(h);
        }
        assertTrue(((ConnectionHandle) c).detached());
        assertEquals(1, client.completed);
        Tcb fresh = new Tcb(h.a().tcp);
        for (Field f : Tcb.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || KEPT.contains(f.getName())) {
                continue;
            }
            f.setAccessible(true);
            assertEquals(f.get(fresh), f.get(used), "field " + f.getName() + " not reset");
        }
        assertNull(used.handle);
        assertEquals(0, used.ooo.count());
        assertEquals(0, used.scoreboard.sacked.count());
        assertEquals(0, used.scoreboard.loggedRetransmissions());
        assertNotNull(used.spareCc, "congestion control state kept for the next connection");
        for (Tcb.TcbTimer t : List.of(used.retransmitTimer, used.delayedAckTimer, used.keepAliveTimer, used.waitTimer)) {
            assertFalse(t.isScheduled());
        }
        for (Object b : used.rcvReady) {
            assertNull(b);
        }
        for (Object b : used.rcvLent) {
            assertNull(b);
        }
    }

    /** A factory that counts creations and recycles its instances. */
    static final class CountingFactory implements CongestionControlFactory {
        int created;
        int recycled;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public CongestionControl create(int mssBytes, long nowNs) {
            created++;
            return BuiltinReno.FACTORY.create(mssBytes, nowNs);
        }

        @Override
        public CongestionControl recycle(CongestionControl previous, int mssBytes, long nowNs) {
            recycled++;
            return BuiltinReno.FACTORY.recycle(previous, mssBytes, nowNs);
        }
    }

    @Test
    void pooledConnectionsRecycleTheirCongestionControlThroughItsFactory() {
        Server server = new Server();
        Hosts h = hostsWithServer(server);
        CountingFactory factory = new CountingFactory();
        h.a().tcp.addCongestionControl(factory);
        TcpAllocationTest.ShortClient client = new TcpAllocationTest.ShortClient();
        TcpOptions options = TcpOptions.defaults().withNoDelay(true).withCongestionControl("counting");
        for (int i = 0; i < 5; i++) {
            client.busy = true;
            h.a().tcp.connect(SERVER, 7, 0, 0, options, client);
            for (int k = 0; k < 100_000 && client.busy; k++) {
                TcpAllocationTest.step(h);
            }
            for (int k = 0; k < 100; k++) {
                TcpAllocationTest.step(h);
            }
        }
        assertEquals(5, client.completed);
        assertEquals(1, factory.created);
        assertEquals(4, factory.recycled);
    }
}
