package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArpCommandTest {

    private final LinkLayer link = mock(LinkLayer.class);
    private final ArpCommand command = new ArpCommand();

    ArpCommandTest() {
        command.addLinkLayer(link, Fakes.ONE_SHARD);
        NetInterface eth0 = mock(NetInterface.class);
        when(link.interfaceByName("eth0")).thenReturn(eth0);
    }

    @Test
    void listsEntriesWithStaticOnesNeverExpiring() {
        when(link.arpEntries()).thenReturn(List.of(
                new LinkLayer.ArpEntry("eth0", 0xC612_0001, 0x02_00_00_00_00_0AL, "reachable", 59_500_000_000L),
                new LinkLayer.ArpEntry("eth0", 0xC612_0003, 0x02_00_00_00_00_0BL, "static", -1)));
        assertEquals("""
                interface  address          mac                state        expires
                eth0       198.18.0.1       02:00:00:00:00:0a  reachable    59.5s
                eth0       198.18.0.3       02:00:00:00:00:0b  static       never
                """, command.arp());
    }

    @Test
    void saysWhenTheCacheIsEmpty() {
        when(link.arpEntries()).thenReturn(List.of());
        assertEquals("the ARP cache is empty\n", command.arp());
    }

    @Test
    void addsAndRemovesStaticEntries() {
        assertEquals("added 198.18.0.9 at 02:00:00:00:00:09 on eth0", command.arp("add", "eth0", "198.18.0.9", "02:00:00:00:00:09"));
        verify(link).addStaticArpEntry("eth0", 0xC612_0009, 0x02_00_00_00_00_09L);
        when(link.removeArpEntry("eth0", 0xC612_0009)).thenReturn(true);
        assertEquals("removed 198.18.0.9 on eth0", command.arp("del", "eth0", "198.18.0.9"));
    }

    @Test
    void rejectsBadInputInOneSentence() {
        assertEquals("'198.18.0.300' is not an IPv4 address such as 198.18.0.1.",
                assertThrows(IllegalArgumentException.class, () -> command.arp("add", "eth0", "198.18.0.300", "02:00:00:00:00:09")).getMessage());
        assertEquals("there is no interface named 'eth7'.",
                assertThrows(IllegalArgumentException.class, () -> command.arp("add", "eth7", "198.18.0.9", "02:00:00:00:00:09")).getMessage());
        assertEquals("there is no ARP entry for 198.18.0.9 on eth0.",
                assertThrows(IllegalArgumentException.class, () -> command.arp("del", "eth0", "198.18.0.9")).getMessage());
        assertEquals("use arp, arp add IFACE IP MAC or arp del IFACE IP.",
                assertThrows(IllegalArgumentException.class, () -> command.arp("flush", "eth0", "198.18.0.9")).getMessage());
        verify(link, never()).addStaticArpEntry(anyString(), anyInt(), anyLong());
    }

    @Test
    void saysWhenTheLinkLayerIsNotRunning() {
        command.removeLinkLayer(link);
        assertEquals("the link layer (bundle dev.netstack.ethernet) is not running.",
                assertThrows(IllegalStateException.class, command::arp).getMessage());
    }

    @Test
    void listsLaneZerosCacheAndAddsAndRemovesStaticEntriesOnEveryLane() {
        ArpCommand lanes = new ArpCommand();
        LinkLayer lane0 = mock(LinkLayer.class);
        LinkLayer lane1 = mock(LinkLayer.class);
        NetInterface eth0 = mock(NetInterface.class);
        when(lane0.interfaceByName("eth0")).thenReturn(eth0);
        when(lane1.interfaceByName("eth0")).thenReturn(eth0);
        when(lane0.arpEntries()).thenReturn(List.of(
                new LinkLayer.ArpEntry("eth0", 0xC612_0001, 0x02_00_00_00_00_0AL, "reachable", 59_500_000_000L)));
        when(lane1.arpEntries()).thenReturn(List.of());
        lanes.addLinkLayer(lane1, Fakes.lane(1, 2));
        lanes.addLinkLayer(lane0, Fakes.lane(0, 2));

        assertEquals("""
                interface  address          mac                state        expires
                eth0       198.18.0.1       02:00:00:00:00:0a  reachable    59.5s
                """, lanes.arp());
        lanes.arp("add", "eth0", "198.18.0.9", "02:00:00:00:00:09");
        verify(lane0).addStaticArpEntry("eth0", 0xC612_0009, 0x02_00_00_00_00_09L);
        verify(lane1).addStaticArpEntry("eth0", 0xC612_0009, 0x02_00_00_00_00_09L);
        when(lane0.removeArpEntry("eth0", 0xC612_0009)).thenReturn(true);
        when(lane1.removeArpEntry("eth0", 0xC612_0009)).thenReturn(true);
        assertEquals("removed 198.18.0.9 on eth0", lanes.arp("del", "eth0", "198.18.0.9"));
        verify(lane1).removeArpEntry("eth0", 0xC612_0009);

        lanes.removeLinkLayer(lane0);
        assertEquals("the link layer (bundle dev.netstack.ethernet) is not running.",
                assertThrows(IllegalStateException.class, lanes::arp).getMessage(), "lane 1 does not stand in for lane 0");
    }
}
