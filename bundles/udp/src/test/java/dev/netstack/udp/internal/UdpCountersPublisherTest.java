package dev.netstack.udp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.EventLoop;
import dev.netstack.test.VirtualClock;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class UdpCountersPublisherTest {

    @Test
    @SuppressWarnings("unchecked")
    void publishesTheUdpCountersWithTheirScope() {
        UdpProtocol udp = new UdpProtocol(TestConfigs.udp(), EventLoop.manual(0, new VirtualClock(0)),
                mock(NetworkLayer.class));
        BundleContext context = mock(BundleContext.class);
        ServiceRegistration<Counters> registration = mock(ServiceRegistration.class);
        List<Object> scopes = new ArrayList<>();
        List<Object> published = new ArrayList<>();
        when(context.registerService(eq(Counters.class), any(Counters.class), any(Dictionary.class))).thenAnswer(call -> {
            scopes.add(((Dictionary<String, Object>) call.getArgument(2)).get(Counters.SCOPE_PROPERTY));
            published.add(call.getArgument(1));
            return registration;
        });
        UdpCountersPublisher publisher = new UdpCountersPublisher(context, udp, java.util.Map.of());
        assertEquals(List.of("udp"), scopes);
        assertSame(udp.counters(), published.get(0));
        publisher.close();
        verify(registration).unregister();
        udp.close();
    }

    @Test
    void namesCountersAfterRfc4113() {
        UdpProtocol udp = new UdpProtocol(TestConfigs.udp(), EventLoop.manual(0, new VirtualClock(0)),
                mock(NetworkLayer.class));
        for (String name : List.of("in-datagrams", "no-ports", "in-errors", "out-datagrams", "rcvbuf-errors",
                "sndbuf-errors", "in-csum-errors")) {
            assertTrue(udp.counters().snapshot().containsKey(name), name);
        }
        assertEquals("udp", udp.counters().scope());
        udp.close();
    }
}
