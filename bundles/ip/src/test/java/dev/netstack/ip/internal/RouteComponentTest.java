package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.Route;
import dev.netstack.ip.wire.Ipv4Address;
import java.lang.annotation.Annotation;
import org.junit.jupiter.api.Test;

class RouteComponentTest {

    static RouteConfig config(String destination, String gateway, String interfaceName) {
        return new RouteConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return RouteConfig.class;
            }

            @Override
            public String destination() {
                return destination;
            }

            @Override
            public String gateway() {
                return gateway;
            }

            @Override
            public String interface$() {
                return interfaceName;
            }
        };
    }

    @Test
    void addsTheConfiguredRouteAndRemovesItOnDeactivation() {
        RouteTable table = new RouteTable(new FakeLink());
        RouteComponent component = new RouteComponent(table, config("default", "198.18.0.1", ""));
        Route route = table.lookup(Ipv4Address.parse("203.0.113.1"));
        assertEquals(Route.defaultVia(Ipv4Address.parse("198.18.0.1"), null), route);
        component.close();
        assertTrue(table.routes().isEmpty());

        new RouteComponent(table, config("198.19.0.0/16", "", "eth1"));
        assertEquals("198.19.0.0/16 dev eth1", table.lookup(Ipv4Address.parse("198.19.7.7")).toString());
    }

    @Test
    void rejectsBadConfigurationWithoutAddingARoute() {
        RouteTable table = new RouteTable(new FakeLink());
        assertNull(new RouteComponent(table, config("198.19.0.0/40", "198.18.0.1", "")).route());
        assertNull(new RouteComponent(table, config("default", "198.18.0.300", "")).route());
        assertNull(new RouteComponent(table, config("default", "", "")).route());
        assertTrue(table.routes().isEmpty());
    }

    @Test
    void putsTheRouteInEveryLanesTableIncludingOneThatComesLaterAndTakesItFromAll() {
        RouteTable lane0 = new RouteTable(new FakeLink());
        RouteTable lane1 = new RouteTable(new FakeLink());
        RouteComponent component = new RouteComponent(config("default", "198.18.0.1", ""));
        component.addTable(lane0);
        component.addTable(lane1);
        Route expected = Route.defaultVia(Ipv4Address.parse("198.18.0.1"), null);
        assertEquals(expected, lane0.lookup(Ipv4Address.parse("203.0.113.1")));
        assertEquals(expected, lane1.lookup(Ipv4Address.parse("203.0.113.1")));

        component.removeTable(lane1); // lane 1 went away (shards changed)
        RouteTable lane1Again = new RouteTable(new FakeLink());
        component.addTable(lane1Again);
        assertEquals(expected, lane1Again.lookup(Ipv4Address.parse("203.0.113.1")));

        component.close();
        assertTrue(lane0.routes().isEmpty());
        assertTrue(lane1Again.routes().isEmpty());
        assertEquals(1, lane1.routes().size(), "a table that went away is left alone");
    }
}
