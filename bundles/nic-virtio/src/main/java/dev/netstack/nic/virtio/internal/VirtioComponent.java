package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.NetDevices;
import dev.netstack.nic.pci.PciException;
import dev.netstack.nic.virtio.VirtioDevice;
import dev.netstack.nic.virtio.VirtioSettings;
import dev.netstack.runtime.NanoClock;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One virtio-net device per {@value #PID} factory configuration: opens it on activation (taking
 * it from the kernel), registers it as a {@link NetDevice} with {@value NetDevice#NAME_PROPERTY}
 * from the configuration's {@code name}, and closes it on deactivation (resetting it and giving it
 * back to the kernel driver). The service is registered by hand because its {@code nic.name}
 * comes from the configuration; Guice takes the device from {@link #device()}. The registered
 * service is the device decorated by {@link NetDevices#decorate}: fault injection from
 * {@code fault.*} settings and a capture point for the shell.
 */
@Component(configurationPid = VirtioComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = VirtioConfiguration.class, factory = true)
public final class VirtioComponent {

    public static final String PID = "nic.virtio";

    private static final System.Logger LOG = System.getLogger(VirtioComponent.class.getName());

    private final VirtioDevice device;
    private CapturingDevice service;
    private ServiceRegistration<NetDevice> registration;

    /**
     * @throws dev.netstack.nic.pci.PciException with a one-sentence message if the configuration
     *         is wrong or the device cannot be opened
     */
    @Activate
    @Inject
    public VirtioComponent(VirtioConfiguration config) {
        this.device = VirtioDevice.open(settings(config));
    }

    public static VirtioSettings settings(VirtioConfiguration config) {
        return VirtioSettings.parse(config.name(), config.pci(), config.mac(), config.pool_buffers(),
                config.hugepages(), config.queues());
    }

    /** Registers the device decorated by {@link NetDevices#decorate} (fault.* settings, capture point). */
    @Activate
    void register(BundleContext context, Map<String, Object> configuration) {
        try {
            service = NetDevices.decorate(device, configuration, NanoClock.SYSTEM::nanoTime);
        } catch (IllegalArgumentException badFaults) {
            device.close();
            throw new PciException(PciException.Reason.BAD_CONFIGURATION, badFaults.getMessage());
        }
        if (service.inner() instanceof FaultInjectingDevice faulted) {
            LOG.log(Level.WARNING, "{0}: injecting faults: {1}", device.description(), faulted.plan());
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(NetDevice.NAME_PROPERTY, device.name());
        properties.put("nic.backend", "virtio");
        properties.put("nic.pci", device.settings().pci().toString());
        registration = context.registerService(NetDevice.class, service, properties);
    }

    public NetDevice device() {
        return device;
    }

    @Deactivate
    public void close() {
        ServiceRegistration<NetDevice> r = registration;
        registration = null;
        if (r != null) {
            try {
                r.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it while stopping the bundle
            }
        }
        if (service != null) {
            service.close();
        } else {
            device.close();
        }
        LOG.log(Level.INFO, "closed {0}", device.description());
    }
}
