package dev.netstack.udp.internal;

import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.udp.UdpLayer;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/** Publishes the {@code udp} {@link Counters} of the {@link UdpProtocol} as a service (OSGi only), one per lane with several shards. */
@Component(service = {}, configurationPid = Lane.PID)
public final class UdpCountersPublisher {

    private final ServiceRegistration<Counters> registration;

    @Activate
    public UdpCountersPublisher(BundleContext context, @Reference(name = "udp") UdpLayer layer,
            Map<String, Object> component) {
        if (layer instanceof UdpProtocol udp) {
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Counters.SCOPE_PROPERTY, "udp");
            Lane.copy(component, properties);
            registration = context.registerService(Counters.class, udp.counters(), properties);
        } else {
            registration = null;
        }
    }

    @Deactivate
    public void close() {
        if (registration != null) {
            registration.unregister();
        }
    }
}
