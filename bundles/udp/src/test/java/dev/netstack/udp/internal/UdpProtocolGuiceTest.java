package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.mockito.Mockito.mock;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.EventLoop;
import dev.netstack.runtime.Shard;
import dev.netstack.test.VirtualClock;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.UdpSocket;
import org.junit.jupiter.api.Test;

/** Embedded mode: Guice builds the component through its @Inject constructor. */
class UdpProtocolGuiceTest {

    @Test
    void guiceBuildsTheLayerWithItsConfiguration() {
        NetworkLayer network = mock(NetworkLayer.class); // the service edge below
        Injector injector = Guice.createInjector(new AbstractModule() {
            @Override
            protected void configure() {
                bind(Shard.class).toInstance(EventLoop.manual(0, new VirtualClock(0)));
                bind(NetworkLayer.class).toInstance(network);
                bind(UdpConfig.class).toInstance(TestConfigs.udp().ephemeral(40_000, 40_000));
                bind(UdpProtocol.class).asEagerSingleton();
                bind(UdpLayer.class).to(UdpProtocol.class);
            }
        });
        UdpProtocol udp = injector.getInstance(UdpProtocol.class);
        assertSame(udp, injector.getInstance(UdpLayer.class));
        assertEquals(40_000, udp.ephemeralLow());
        UdpSocket socket = udp.open(null);
        assertNull(socket.bind(0, 0));
        assertEquals(40_000, socket.localPort());
        udp.close();
    }
}
