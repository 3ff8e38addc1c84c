package dev.netstack.ip.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.netstack.runtime.Counters;
import dev.netstack.runtime.EventLoop;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

class IpCountersPublisherTest {

    @Test
    @SuppressWarnings("unchecked")
    void publishesIpAndIcmpCountersWithTheirScopes() {
        Ipv4Layer layer = new Ipv4Layer(new FakeLink(), EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());
        BundleContext context = mock(BundleContext.class);
        ServiceRegistration<Counters> registration = mock(ServiceRegistration.class);
        List<Object> scopes = new ArrayList<>();
        when(context.registerService(eq(Counters.class), any(Counters.class), any(Dictionary.class))).thenAnswer(call -> {
            scopes.add(((Dictionary<String, Object>) call.getArgument(2)).get(Counters.SCOPE_PROPERTY));
            return registration;
        });
        IpCountersPublisher publisher = new IpCountersPublisher(context, layer, Map.of());
        assertEquals(List.of("ip", "icmp"), scopes);
        publisher.close();
        verify(registration, times(2)).unregister();
        layer.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void countersOfALaneCarryTheLaneAndTheLaneCount() {
        Ipv4Layer layer = new Ipv4Layer(new FakeLink(), EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());
        BundleContext context = mock(BundleContext.class);
        List<Dictionary<String, Object>> published = new ArrayList<>();
        when(context.registerService(eq(Counters.class), any(Counters.class), any(Dictionary.class))).thenAnswer(call -> {
            published.add(call.getArgument(2));
            return mock(ServiceRegistration.class);
        });
        new IpCountersPublisher(context, layer, Map.of("lane", 1, "lanes", 2, "shard.target", "(shard.id=1)"));
        assertEquals(2, published.size());
        for (Dictionary<String, Object> properties : published) {
            assertEquals(1, properties.get("lane"));
            assertEquals(2, properties.get("lanes"));
            assertNull(properties.get("shard.target"), "only the lane properties are copied");
        }
        layer.close();
    }

    @Test
    void namesCountersAfterRfc4293() {
        Ipv4Layer layer = new Ipv4Layer(new FakeLink(), EventLoop.manual(0, new ManualClock()), TestConfigs.defaults());
        for (String name : List.of("in-receives", "in-hdr-errors", "hdr-bad-checksum", "in-addr-errors",
                "in-unknown-protos", "in-delivers", "out-requests", "out-no-routes", "frag-oks", "frag-creates",
                "reasm-reqds", "reasm-oks", "reasm-fails", "reasm-timeouts", "reasm-overlaps")) {
            assertTrue(layer.counters().snapshot().containsKey(name), name);
        }
        for (String name : List.of("in-echos", "out-echo-reps", "out-dest-unreachs", "out-time-excds", "rate-limited")) {
            assertTrue(layer.icmpCounters().snapshot().containsKey(name), name);
        }
        assertEquals("ip", layer.counters().scope());
        assertEquals("icmp", layer.icmpCounters().scope());
        layer.close();
    }
}
