package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.Shard;
import org.junit.jupiter.api.Test;

/** Embedded mode: the DS component classes are built by Guice through their @Inject constructors. */
class Ipv4LayerGuiceTest {

    @Test
    void guiceBuildsTheLayerAndItsConfigurationComponents() {
        FakeLink link = new FakeLink();
        FakeLink.Iface eth0 = link.addInterface("eth0", 1500, 4);
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                bind(LinkLayer.class).toInstance(link);
                bind(Shard.class).toInstance(EventLoop.manual(0, new ManualClock()));
                bind(IpConfig.class).toInstance(TestConfigs.defaults());
                bind(InterfaceAddressConfig.class).toInstance(InterfaceAddressComponentTest.config("eth0", "198.18.0.2/24"));
                bind(RouteConfig.class).toInstance(RouteComponentTest.config("default", "198.18.0.1", "eth0"));
                bind(Ipv4Layer.class).asEagerSingleton();
                bind(NetworkLayer.class).to(Ipv4Layer.class);
                bind(dev.netstack.ip.RoutingTable.class).to(Ipv4Layer.class);
            }
        });
        injector.getInstance(InterfaceAddressComponent.class);
        injector.getInstance(RouteComponent.class);
        Ipv4Layer layer = injector.getInstance(Ipv4Layer.class);
        assertSame(layer, injector.getInstance(NetworkLayer.class));
        assertEquals(Ipv4Address.parse("198.18.0.2"), eth0.ipv4Address());
        assertEquals(Ipv4Address.parse("198.18.0.1"), layer.route(Ipv4Address.parse("203.0.113.1")).gateway());
        layer.close();
    }
}
