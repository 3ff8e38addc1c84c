package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Publishes the link layer's {@link Counters} as a service ({@code counters.scope=ethernet}).
 * {@code Counters} is a final class, so a component cannot provide it itself; this one registers
 * the instance, one per lane with several shards ({@link Lane}). OSGi only: embedded mode reads
 * {@link EthernetLayer#counters()} directly.
 */
@Component(immediate = true, configurationPid = Lane.PID)
public final class CountersPublisher {

    private final ServiceRegistration<Counters> registration;

    @Activate
    public CountersPublisher(@Reference(name = "link", service = LinkLayer.class,
            target = "(component.name=dev.netstack.ethernet.internal.EthernetLayer)") LinkLayer layer,
            BundleContext context, Map<String, Object> component) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Counters.SCOPE_PROPERTY, "ethernet");
        Lane.copy(component, properties);
        this.registration = context.registerService(Counters.class, ((EthernetLayer) layer).counters(), properties);
    }

    @Deactivate
    void stop() {
        registration.unregister();
    }
}
