package dev.netstack.ethernet.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.runtime.Counters;
import java.util.Hashtable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Publishes the link layer's {@link Counters} as a service ({@code counters.scope=ethernet}).
 * {@code Counters} is a final class, so a component cannot provide it itself; this one registers
 * the instance. OSGi only: embedded mode reads {@link EthernetLayer#counters()} directly.
 */
@Component(immediate = true)
public final class CountersPublisher {

    private final ServiceRegistration<Counters> registration;

    @Activate
    public CountersPublisher(@Reference(service = LinkLayer.class, target = "(component.name=dev.netstack.ethernet.internal.EthernetLayer)")
            LinkLayer layer, BundleContext context) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(Counters.SCOPE_PROPERTY, "ethernet");
        this.registration = context.registerService(Counters.class, ((EthernetLayer) layer).counters(), properties);
    }

    @Deactivate
    void stop() {
        registration.unregister();
    }
}
