package dev.netstack.shell.internal;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.NetDevice;
import java.util.Map;

/** Mocked services (the shell only reads them) for the command tests. */
final class Fakes {

    private Fakes() {
    }

    /** No lane properties: a stack of one shard. */
    static final Map<String, Object> ONE_SHARD = Map.of();

    /** The service properties of lane {@code lane} of a stack of {@code lanes}. */
    static Map<String, Object> lane(int lane, int lanes) {
        return Map.of("lane", lane, "lanes", lanes);
    }

    /** A device with two queues whose counters add up to rx 3/300, tx 5/500 and one rx drop. */
    static NetDevice device(String name, String description, long mac) {
        NetDevice device = mock(NetDevice.class);
        when(device.name()).thenReturn(name);
        when(device.description()).thenReturn(description);
        when(device.macAddress()).thenReturn(mac);
        when(device.mtu()).thenReturn(1500);
        when(device.isLinkUp()).thenReturn(true);
        when(device.queueCount()).thenReturn(2);
        DeviceCounters q0 = new DeviceCounters();
        q0.rxPackets = 1;
        q0.rxBytes = 100;
        q0.txPackets = 5;
        q0.txBytes = 500;
        DeviceCounters q1 = new DeviceCounters();
        q1.rxPackets = 2;
        q1.rxBytes = 200;
        q1.rxDropped = 1;
        when(device.counters(0)).thenReturn(q0);
        when(device.counters(1)).thenReturn(q1);
        return device;
    }

    static NetInterface nif(int index, String name, NetDevice device, int address, int prefix) {
        long mac = device == null ? 0L : device.macAddress();
        NetInterface nif = mock(NetInterface.class);
        when(nif.index()).thenReturn(index);
        when(nif.name()).thenReturn(name);
        when(nif.device()).thenReturn(device);
        when(nif.macAddress()).thenReturn(mac);
        when(nif.mtu()).thenReturn(1500);
        when(nif.isUp()).thenReturn(device != null);
        when(nif.ipv4Address()).thenReturn(address);
        when(nif.ipv4PrefixLength()).thenReturn(prefix);
        return nif;
    }
}
