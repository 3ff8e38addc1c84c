package dev.netstack.nic.tap.internal;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.NetDevices;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapException;
import dev.netstack.nic.tap.TapSettings;
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
 * One TAP device per {@value #PID} factory configuration: opens it on activation, registers it as a
 * {@link NetDevice} service with {@value NetDevice#NAME_PROPERTY} set to the configured interface
 * name, and closes it (removing the TAP) on deactivation.
 *
 * <p>The service is registered by hand rather than declared, because its {@code nic.name} property
 * comes from the configuration's {@code name}. Guice builds the component with its constructor and
 * takes the device from {@link #device()}.
 *
 * <p>The registered service is the device decorated by {@link NetDevices#decorate}: fault
 * injection when {@code fault.*} properties are set, and a capture point for the shell's
 * {@code capture}.
 */
@Component(configurationPid = TapComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = TapConfiguration.class, factory = true)
public final class TapComponent {

    public static final String PID = "nic.tap";

    private static final System.Logger LOG = System.getLogger(TapComponent.class.getName());

    private final TapDevice device;
    private CapturingDevice service;
    private ServiceRegistration<NetDevice> registration;

    /**
     * Opens the TAP in the calling thread's network namespace.
     *
     * @throws dev.netstack.nic.tap.TapException with a one-sentence message if the settings are
     *         invalid or the TAP cannot be created
     */
    @Activate
    @Inject
    public TapComponent(TapConfiguration config) {
        this.device = TapDevice.open(settings(config));
        LOG.log(Level.INFO, "opened {0}", device);
    }

    /** The settings a configuration stands for; throws a TapException naming the bad setting. */
    public static TapSettings settings(TapConfiguration config) {
        return TapSettings.parse(config.name(), config.tap(), config.mac(), config.mtu(), config.host_address(),
                config.pool_buffers(), config.offload(), config.queues());
    }

    @Activate
    void register(BundleContext context, Map<String, Object> properties) {
        try {
            service = NetDevices.decorate(device, properties, NanoClock.SYSTEM::nanoTime);
        } catch (IllegalArgumentException badFaults) {
            device.close();
            throw new TapException(TapException.Reason.BAD_CONFIGURATION, badFaults.getMessage());
        }
        if (service.inner() instanceof FaultInjectingDevice faulted) {
            LOG.log(Level.WARNING, "{0}: injecting faults: {1}", device.description(), faulted.plan());
        }
        Hashtable<String, Object> serviceProperties = new Hashtable<>();
        serviceProperties.put(NetDevice.NAME_PROPERTY, device.name());
        serviceProperties.put("nic.backend", "tap");
        serviceProperties.put("nic.tap", device.tapName());
        registration = context.registerService(NetDevice.class, service, serviceProperties);
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
