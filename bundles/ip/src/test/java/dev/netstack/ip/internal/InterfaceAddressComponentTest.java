package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.EventLoop;
import java.lang.annotation.Annotation;
import org.junit.jupiter.api.Test;

class InterfaceAddressComponentTest {

    static InterfaceAddressConfig config(String name, String address) {
        return new InterfaceAddressConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return InterfaceAddressConfig.class;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String address() {
                return address;
            }
        };
    }

    @Test
    void assignsTheAddressAndConnectedRouteNowOrWhenTheInterfaceAppears() {
        FakeLink link = new FakeLink();
        FakeLink.Iface eth0 = link.addInterface("eth0", 1500, 4);
        Ipv4Layer layer = new Ipv4Layer(link, EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());

        InterfaceAddressComponent now = new InterfaceAddressComponent(layer, config("eth0", "198.18.0.2/24"));
        assertEquals(Ipv4Address.parse("198.18.0.2"), eth0.ipv4Address());
        assertEquals(24, eth0.ipv4PrefixLength());
        assertEquals("198.18.0.0/24 dev eth0", layer.lookup(Ipv4Address.parse("198.18.0.9")).toString());

        new InterfaceAddressComponent(layer, config("eth1", "198.19.0.2/16"));
        assertNull(layer.lookup(Ipv4Address.parse("198.19.1.1")));
        FakeLink.Iface eth1 = link.addInterface("eth1", 1500, 4);
        layer.interfaceAdded(eth1);
        assertEquals(Ipv4Address.parse("198.19.0.2"), eth1.ipv4Address());
        assertEquals("198.19.0.0/16 dev eth1", layer.lookup(Ipv4Address.parse("198.19.1.1")).toString());

        now.close();
        assertEquals(0, eth0.ipv4Address());
        assertNull(layer.lookup(Ipv4Address.parse("198.18.0.9")));
        layer.close();
    }

    @Test
    void rejectsBadAddresses() {
        FakeLink link = new FakeLink();
        FakeLink.Iface eth0 = link.addInterface("eth0", 1500, 4);
        Ipv4Layer layer = new Ipv4Layer(link, EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());
        for (String bad : new String[] {"198.18.0.2/33", "198.18.0", "0.0.0.0/0", ""}) {
            assertNull(new InterfaceAddressComponent(layer, config("eth0", bad)).cidr(), bad);
        }
        assertEquals(0, eth0.ipv4Address());
        assertTrue(layer.routes().isEmpty());
        layer.close();
    }

    @Test
    void givesTheAddressToTheNetworkLayerOfEveryLaneAndTakesItFromAll() {
        FakeLink link0 = new FakeLink();
        FakeLink link1 = new FakeLink();
        FakeLink.Iface eth0Lane0 = link0.addInterface("eth0", 1500, 4);
        FakeLink.Iface eth0Lane1 = link1.addInterface("eth0", 1500, 4);
        Ipv4Layer lane0 = new Ipv4Layer(link0, EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());
        Ipv4Layer lane1 = new Ipv4Layer(link1, EventLoop.manual(1, new ManualClock()), TestConfigs.defaults());

        InterfaceAddressComponent component = new InterfaceAddressComponent(config("eth0", "198.18.0.2/24"));
        component.addNetwork(lane0);
        component.addNetwork(lane1);
        assertEquals(Ipv4Address.parse("198.18.0.2"), eth0Lane0.ipv4Address());
        assertEquals(Ipv4Address.parse("198.18.0.2"), eth0Lane1.ipv4Address());
        assertEquals("198.18.0.0/24 dev eth0", lane1.lookup(Ipv4Address.parse("198.18.0.9")).toString());

        component.close();
        assertNull(lane0.lookup(Ipv4Address.parse("198.18.0.9")));
        assertNull(lane1.lookup(Ipv4Address.parse("198.18.0.9")));
        lane0.close();
        lane1.close();
    }
}
