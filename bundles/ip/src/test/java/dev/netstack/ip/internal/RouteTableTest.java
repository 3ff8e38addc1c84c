package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.Route;
import dev.netstack.ip.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

class RouteTableTest {

    private static int a(String s) {
        return Ipv4Address.parse(s);
    }

    @Test
    void picksTheLongestMatchingPrefix() {
        RouteTable table = new RouteTable(new FakeLink());
        table.add(Route.defaultVia(a("198.18.0.1"), "eth0"));
        table.add(new Route(a("198.18.0.0"), 15, 0, "eth1"));
        table.add(new Route(a("198.18.5.0"), 24, a("198.18.0.254"), "eth0"));
        table.add(new Route(a("198.18.5.7"), 32, 0, "eth2"));

        assertEquals("eth2", table.lookup(a("198.18.5.7")).interfaceName());
        assertEquals(24, table.lookup(a("198.18.5.8")).prefixLength());
        assertEquals(15, table.lookup(a("198.19.200.1")).prefixLength());
        assertTrue(table.lookup(a("8.8.8.8")).isDefault());
        assertEquals(32, table.routes().get(0).prefixLength());
        assertEquals(0, table.routes().get(3).prefixLength());
    }

    @Test
    void findsNothingWithoutADefaultRoute() {
        RouteTable table = new RouteTable(new FakeLink());
        table.add(new Route(a("198.18.0.0"), 24, 0, "eth0"));
        assertNull(table.lookup(a("198.18.1.1")));
        assertEquals(24, table.lookup(a("198.18.0.77")).prefixLength());
    }

    @Test
    void replacesAndRemovesRoutes() {
        RouteTable table = new RouteTable(new FakeLink());
        table.add(Route.defaultVia(a("198.18.0.1"), "eth0"));
        table.add(Route.defaultVia(a("198.18.0.2"), "eth0"));
        assertEquals(1, table.routes().size());
        assertEquals(a("198.18.0.2"), table.lookup(a("1.1.1.1")).gateway());
        assertTrue(table.remove(0, 0));
        assertFalse(table.remove(0, 0));
        assertNull(table.lookup(a("1.1.1.1")));
    }

    @Test
    void normalizesTheDestinationToItsNetwork() {
        Route r = new Route(a("198.18.0.77"), 24, 0, "eth0");
        assertEquals(a("198.18.0.0"), r.destination());
        assertEquals("198.18.0.0/24 dev eth0", r.toString());
        assertEquals("default via 198.18.0.1", Route.defaultVia(a("198.18.0.1"), null).toString());
    }

    @Test
    void resolvesTheInterfaceOfAGatewayRouteThroughTheConnectedRoute() {
        FakeLink link = new FakeLink();
        link.addInterface("eth0", 1500, 4);
        FakeLink.Iface eth1 = link.addInterface("eth1", 9000, 4);
        RouteTable table = new RouteTable(link);
        table.add(new Route(a("198.18.0.0"), 24, 0, "eth0"));
        table.add(new Route(a("198.19.0.0"), 24, 0, "eth1"));
        table.add(Route.defaultVia(a("198.19.0.1"), null));
        RouteTable.Entry entry = table.lookupEntry(a("203.0.113.9"));
        assertSame(eth1, table.interfaceOf(entry));
        assertSame(eth1, entry.nif); // cached for the next packet
    }
}
