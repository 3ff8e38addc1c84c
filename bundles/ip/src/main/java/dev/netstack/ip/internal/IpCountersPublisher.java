package dev.netstack.ip.internal;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Publishes the {@code ip} and {@code icmp} {@link Counters} of the {@link Ipv4Layer} as services
 * (OSGi only; embedded users ask the layer for them), one pair per lane with several shards
 * ({@link Lane}).
 */
@Component(service = {}, configurationPid = Lane.PID)
public final class IpCountersPublisher {

    private final ServiceRegistration<Counters> ip;
    private final ServiceRegistration<Counters> icmp;

    @Activate
    public IpCountersPublisher(BundleContext context, @Reference NetworkLayer network, Map<String, Object> component) {
        if (network instanceof Ipv4Layer layer) {
            ip = context.registerService(Counters.class, layer.counters(), scope("ip", component));
            icmp = context.registerService(Counters.class, layer.icmpCounters(), scope("icmp", component));
        } else {
            ip = null;
            icmp = null;
        }
    }

    private static Dictionary<String, Object> scope(String scope, Map<String, Object> component) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Counters.SCOPE_PROPERTY, scope);
        Lane.copy(component, properties);
        return properties;
    }

    @Deactivate
    public void close() {
        if (ip != null) {
            ip.unregister();
        }
        if (icmp != null) {
            icmp.unregister();
        }
    }
}
