package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.ip.Route;
import dev.netstack.ip.RoutingTable;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteCommandTest {

    private final RoutingTable table = mock(RoutingTable.class);
    private final RouteCommand command = new RouteCommand();

    RouteCommandTest() {
        command.addRoutingTable(table, Fakes.ONE_SHARD);
    }

    @Test
    void listsConnectedAndGatewayRoutes() {
        when(table.routes()).thenReturn(List.of(new Route(0xC612_0000, 24, 0, "eth0"),
                Route.defaultVia(0xC612_0001, null)));
        assertEquals("""
                destination          gateway          interface
                198.18.0.0/24        -                eth0
                default              198.18.0.1       -
                """, command.route());
    }

    @Test
    void addsRoutesViaAGatewayOrAnInterface() {
        assertEquals("added 198.19.0.0/16 via 198.18.0.1", command.route("add", "198.19.0.0/16", "via", "198.18.0.1"));
        verify(table).add(new Route(0xC613_0000, 16, 0xC612_0001, null));
        assertEquals("added default via 198.18.0.1 dev eth0",
                command.route("add", "default", "via", "198.18.0.1", "dev", "eth0"));
        verify(table).add(new Route(0, 0, 0xC612_0001, "eth0"));
    }

    @Test
    void removesARoute() {
        when(table.remove(0xC613_0000, 16)).thenReturn(true);
        assertEquals("removed 198.19.0.0/16", command.route("del", "198.19.0.0/16"));
        assertEquals("there is no route to default.",
                assertThrows(IllegalArgumentException.class, () -> command.route("del", "default")).getMessage());
    }

    @Test
    void rejectsBadInputInOneSentence() {
        assertEquals("'198.19.0.0/33' is not a destination such as 198.18.1.0/24 or default.",
                assertThrows(IllegalArgumentException.class, () -> command.route("add", "198.19.0.0/33", "dev", "eth0"))
                        .getMessage());
        assertEquals("a route needs a gateway (via GATEWAY) or an interface (dev IFACE).",
                assertThrows(IllegalArgumentException.class, () -> command.route("add", "default")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> command.route("add", "default", "through", "198.18.0.1"));
    }

    @Test
    void saysWhenTheNetworkLayerIsMissing() {
        command.removeRoutingTable(table);
        assertEquals("the network layer (bundle dev.netstack.ip) is not running.",
                assertThrows(IllegalStateException.class, command::route).getMessage());
    }

    @Test
    void listsLaneZerosTableAndChangesEveryLanesTable() {
        RouteCommand lanes = new RouteCommand();
        RoutingTable lane0 = mock(RoutingTable.class);
        RoutingTable lane1 = mock(RoutingTable.class);
        when(lane0.routes()).thenReturn(List.of(new Route(0xC612_0000, 24, 0, "eth0")));
        when(lane1.routes()).thenReturn(List.of(Route.defaultVia(0xC612_0001, null)));
        lanes.addRoutingTable(lane1, Fakes.lane(1, 2));
        lanes.addRoutingTable(lane0, Fakes.lane(0, 2));

        assertEquals("""
                destination          gateway          interface
                198.18.0.0/24        -                eth0
                """, lanes.route());
        lanes.route("add", "198.19.0.0/16", "via", "198.18.0.1");
        verify(lane0).add(new Route(0xC613_0000, 16, 0xC612_0001, null));
        verify(lane1).add(new Route(0xC613_0000, 16, 0xC612_0001, null));
        when(lane0.remove(0xC613_0000, 16)).thenReturn(true);
        when(lane1.remove(0xC613_0000, 16)).thenReturn(true);
        assertEquals("removed 198.19.0.0/16", lanes.route("del", "198.19.0.0/16"));
        verify(lane0).remove(0xC613_0000, 16);
        verify(lane1).remove(0xC613_0000, 16);
    }

    @Test
    void aLaneThatComesLaterGetsTheNextChangeAndOneThatLeavesDoesNot() {
        RouteCommand lanes = new RouteCommand();
        RoutingTable lane0 = mock(RoutingTable.class);
        RoutingTable lane1 = mock(RoutingTable.class);
        lanes.addRoutingTable(lane0, Fakes.lane(0, 2));
        lanes.route("add", "default", "via", "198.18.0.1");
        lanes.addRoutingTable(lane1, Fakes.lane(1, 2));
        lanes.route("add", "198.19.0.0/16", "dev", "eth0");
        lanes.removeRoutingTable(lane1);
        lanes.route("add", "198.20.0.0/16", "dev", "eth0");

        verify(lane0).add(Route.defaultVia(0xC612_0001, null));
        verify(lane1, never()).add(Route.defaultVia(0xC612_0001, null));
        verify(lane1).add(new Route(0xC613_0000, 16, 0, "eth0"));
        verify(lane1, never()).add(new Route(0xC614_0000, 16, 0, "eth0"));
        verify(lane0).add(new Route(0xC614_0000, 16, 0, "eth0"));
    }
}
