package dev.netstack.tcp.internal;

import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.tcp.TcpLayer;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Publishes the {@code tcp} {@link Counters} of the {@link TcpStack} as a service (OSGi only;
 * embedded users ask the stack for them), one per lane with several shards ({@link Lane}).
 */
@Component(service = {}, configurationPid = Lane.PID)
public final class TcpCountersPublisher {

    private final ServiceRegistration<Counters> registration;

    @Activate
    public TcpCountersPublisher(BundleContext context, @Reference TcpLayer tcp, Map<String, Object> component) {
        if (tcp instanceof TcpStack stack) {
            Hashtable<String, Object> properties = new Hashtable<>();
            properties.put(Counters.SCOPE_PROPERTY, "tcp");
            Lane.copy(component, properties);
            registration = context.registerService(Counters.class, stack.counters(), properties);
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
