package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.NetDevice;
import java.util.List;
import org.junit.jupiter.api.Test;

class IfconfigCommandTest {

    private static final int STACK_ADDRESS = 0xC612_0002; // 198.18.0.2

    @Test
    void showsInterfaceAddressDeviceAndSummedQueueCounters() {
        NetDevice tap = Fakes.device("eth0", "tap:ns0", 0x02_00_00_00_00_01L);
        LinkLayer link = mock(LinkLayer.class);
        NetInterface eth0 = Fakes.nif(1, "eth0", tap, STACK_ADDRESS, 24);
        when(link.interfaces()).thenReturn(List.of(eth0));

        assertEquals("""
                eth0: index 1 UP mtu 1500
                    ether 02:00:00:00:00:01  inet 198.18.0.2/24
                    device tap:ns0, 2 queues
                    rx packets 3 bytes 300 dropped 1 errors 0
                    tx packets 5 bytes 500 dropped 0 errors 0
                """, IfconfigCommand.format(link, List.of(tap), null));
    }

    @Test
    void showsAnInterfaceWithoutDeviceOrAddress() {
        LinkLayer link = mock(LinkLayer.class);
        NetInterface eth1 = Fakes.nif(2, "eth1", null, 0, 0);
        when(link.interfaces()).thenReturn(List.of(eth1));

        assertEquals("""
                eth1: index 2 DOWN mtu 1500
                    ether 00:00:00:00:00:00
                    device none
                """, IfconfigCommand.format(link, List.of(), null));
    }

    @Test
    void listsDevicesWhenTheLinkLayerIsAbsent() {
        NetDevice tap = Fakes.device("eth0", "tap:ns0", 0x02_00_00_00_00_01L);
        assertEquals("""
                (the link layer, netstack.ethernet, is not running: devices only)
                eth0: no interface, link up mtu 1500
                    ether 02:00:00:00:00:01
                    device tap:ns0, 2 queues
                    rx packets 3 bytes 300 dropped 1 errors 0
                    tx packets 5 bytes 500 dropped 0 errors 0
                """, IfconfigCommand.format(null, List.of(tap), null));
    }

    @Test
    void filtersByNameAndRejectsAnUnknownOne() {
        LinkLayer link = mock(LinkLayer.class);
        NetInterface eth0 = Fakes.nif(1, "eth0", null, 0, 0);
        NetInterface eth1 = Fakes.nif(2, "eth1", null, 0, 0);
        when(link.interfaces()).thenReturn(List.of(eth0, eth1));

        assertEquals("eth1: index 2 DOWN mtu 1500\n", IfconfigCommand.format(link, List.of(), "eth1").lines().findFirst().orElseThrow() + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IfconfigCommand.format(link, List.of(), "eth9"));
        assertEquals("there is no interface or device named 'eth9'.", e.getMessage());
    }

    @Test
    void saysWhyThereIsNothingToShow() {
        assertEquals("no interfaces (the link layer, netstack.ethernet, is not running)\n", IfconfigCommand.format(null, List.of(), null));
        LinkLayer link = mock(LinkLayer.class);
        when(link.interfaces()).thenReturn(List.of());
        assertEquals("no interfaces (configure a NIC, e.g. ./netstack run --tap ns0)\n", IfconfigCommand.format(link, List.of(), null));
    }

    @Test
    void showsLaneZerosInterfacesWhenThereAreSeveralLanes() {
        NetDevice tap = Fakes.device("eth0", "tap:ns0", 0x02_00_00_00_00_01L);
        LinkLayer lane0 = mock(LinkLayer.class);
        LinkLayer lane1 = mock(LinkLayer.class);
        NetInterface eth0 = Fakes.nif(1, "eth0", tap, STACK_ADDRESS, 24);
        NetInterface other = Fakes.nif(1, "eth0", tap, 0, 0);
        when(lane0.interfaces()).thenReturn(List.of(eth0));
        when(lane1.interfaces()).thenReturn(List.of(other));
        IfconfigCommand command = new IfconfigCommand();
        command.devices = List.of(tap);
        command.addLinkLayer(lane1, Fakes.lane(1, 2));
        command.addLinkLayer(lane0, Fakes.lane(0, 2));

        assertEquals(IfconfigCommand.format(lane0, List.of(tap), null), command.ifconfig());
        assertEquals(true, command.ifconfig().contains("inet 198.18.0.2/24"), "lane 0's interface, not lane 1's");
    }
}
