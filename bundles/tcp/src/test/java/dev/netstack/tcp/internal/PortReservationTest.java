package dev.netstack.tcp.internal;

import static dev.netstack.tcp.internal.TcpScript.LOCAL;
import static dev.netstack.tcp.internal.TcpScript.PEER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpPortReservation;
import dev.netstack.tcp.internal.TcpScript.Events;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link TcpStack#reserve}: bind(2) semantics, SO_REUSEADDR, ephemeral ports (TcpLayer#reserve). */
class PortReservationTest {

    static TcpError reserveError(TcpScript t, int address, int port, boolean reuse) {
        return assertThrows(TcpException.class, () -> t.stack.reserve(address, port, reuse)).error();
    }

    @Test
    void aReservedPortCannotBeReservedAgainUntilReleased() {
        try (TcpScript t = new TcpScript()) {
            TcpPortReservation r = t.stack.reserve(0, 8080, false);
            assertEquals(8080, r.localPort());
            assertEquals(TcpError.ADDRESS_IN_USE, reserveError(t, 0, 8080, false));
            assertEquals(TcpError.ADDRESS_IN_USE, reserveError(t, LOCAL, 8080, false), "wildcard overlaps every address");
            r.release();
            r.release(); // idempotent
            t.stack.reserve(LOCAL, 8080, false).release();
        }
    }

    @Test
    void portZeroPicksAFreeEphemeralPortEachTime() {
        try (TcpScript t = new TcpScript()) {
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                TcpPortReservation r = t.stack.reserve(0, 0, false);
                assertTrue(r.localPort() >= 32_768 && r.localPort() <= 60_999, "port " + r.localPort());
                assertTrue(ports.add(r.localPort()), "port handed out twice: " + r.localPort());
            }
        }
    }

    @Test
    void reuseAddressSharesABindButNotAListener() {
        try (TcpScript t = new TcpScript()) {
            TcpPortReservation first = t.stack.reserve(0, 9000, true);
            TcpPortReservation second = t.stack.reserve(0, 9000, true);
            assertEquals(TcpError.ADDRESS_IN_USE, reserveError(t, 0, 9000, false), "both sides need reuse");
            TcpListener listener = t.stack.listen(0, 9000, null, c -> new Events());
            assertEquals(TcpError.ADDRESS_IN_USE,
                    assertThrows(TcpException.class, () -> t.stack.listen(0, 9000, null, c -> new Events())).error(),
                    "two listeners on one port");
            assertEquals(TcpError.ADDRESS_IN_USE, reserveError(t, 0, 9000, true), "a listener holds the port even with reuse");
            listener.close();
            first.release();
            second.release();
        }
    }

    @Test
    void aConnectionOnThePortBlocksABindWithoutReuseOnly() {
        try (TcpScript t = new TcpScript()) {
            t.stack.connect(PEER, 80, 0, 40_000, null, new Events()); // SYN_SENT from port 40000
            assertEquals(TcpError.ADDRESS_IN_USE, reserveError(t, 0, 40_000, false));
            t.stack.reserve(0, 40_000, true).release();
            t.stack.reserve(0, 40_001, false).release();
        }
    }

    @Test
    void ephemeralActiveOpensAvoidReservedPorts() {
        try (TcpScript t = new TcpScript()) {
            Set<Integer> reserved = new HashSet<>();
            for (int port = 32_768; port <= 60_999; port++) {
                if (port != 45_000) {
                    t.stack.reserve(0, port, false);
                    reserved.add(port);
                }
            }
            assertEquals(45_000, t.stack.connect(PEER, 80, 0, 0, null, new Events()).localPort());
            assertEquals(TcpError.ADDRESS_NOT_AVAILABLE, reserveError(t, 0, 0, false), "no ephemeral port left");
        }
    }

    @Test
    void badArgumentsAreRefused() {
        try (TcpScript t = new TcpScript()) {
            assertEquals(TcpError.INVALID_ARGUMENT, reserveError(t, 0, 70_000, false));
            assertEquals(TcpError.ADDRESS_NOT_AVAILABLE, reserveError(t, PEER, 80, false), "not our address");
            assertNotEquals(0, t.stack.reserve(LOCAL, 0, false).localPort());
        }
    }
}
