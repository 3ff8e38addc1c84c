package dev.netstack.nic.ixgbe.internal;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.FaultInjectingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.NetDevices;
import dev.netstack.nic.ixgbe.IxgbeDevice;
import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbePci;
import dev.netstack.nic.ixgbe.IxgbeSettings;
import dev.netstack.nic.pci.PciAddress;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
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
 * One 82599 port per {@value #PID} factory configuration: opens the PCI function through nic-pci,
 * checks that it is an 82599, takes it from the kernel's ixgbe driver, enables bus mastering, maps
 * BAR0 ({@link MappedRegisters}), allocates rings and pools in hugepages ({@link HugepageDma}),
 * brings the device up and registers it as a {@link NetDevice} with {@code nic.name} = the
 * configured name, decorated by {@link NetDevices#decorate} ({@code fault.*}, capture point).
 * Deactivation resets the device, frees its memory and gives it back to the kernel driver.
 *
 * <p>Every failure a user can meet is one sentence: no such PCI device, not an 82599, in use by
 * the machine's default route, no hugepages, no link.
 */
@Component(configurationPid = IxgbeComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = IxgbeConfiguration.class, factory = true)
public final class IxgbeComponent {

    public static final String PID = "nic.ixgbe";

    private static final System.Logger LOG = System.getLogger(IxgbeComponent.class.getName());

    private final PciDevice pci;
    private final HugepageDma dma;
    private final IxgbeDevice device;
    private CapturingDevice service;
    private ServiceRegistration<NetDevice> registration;

    /**
     * @throws IxgbeException or {@link PciException} with a one-sentence message when there is no
     *         such device, it is not an 82599, or it cannot be brought up; the kernel driver is
     *         bound again then
     */
    @Activate
    @Inject
    public IxgbeComponent(IxgbeConfiguration config) {
        this(config, PciDevice.SYSFS_DEVICES, Path.of("/proc/net/route"));
    }

    IxgbeComponent(IxgbeConfiguration config, Path sysfsDevices, Path routeTable) {
        IxgbeSettings settings = settings(config);
        this.pci = PciDevice.open(PciAddress.parse(settings.pciAddress()), sysfsDevices, routeTable);
        this.dma = new HugepageDma(config.hugepages().isBlank() ? null : Path.of(config.hugepages().trim()));
        IxgbeDevice opened = null;
        try {
            IxgbePci.checkIdentity(pci);
            pci.takeFromKernel();
            pci.enableBusMastering();
            opened = IxgbeDevice.open(new MappedRegisters(pci.mapBar(0)), dma, settings);
        } catch (RuntimeException e) {
            // IxgbeDevice.open resets the device on its own failures, so its DMA has stopped here.
            dma.close();
            try {
                pci.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        this.device = opened;
    }

    /** The settings a configuration stands for; throws an IxgbeException naming a bad setting. */
    public static IxgbeSettings settings(IxgbeConfiguration config) {
        if (config.pci().isBlank()) {
            throw new IxgbeException(IxgbeException.Reason.BAD_CONFIGURATION,
                    "Set pci in the nic.ixgbe configuration to the PCI address of an 82599 port (lspci -D lists them).");
        }
        IxgbeSettings s = IxgbeSettings.defaults(config.name(), config.pci().trim());
        if (!config.rss_key().isBlank()) {
            s = s.withRssKey(IxgbeSettings.parseKey(config.rss_key()));
        }
        return s.withQueues(config.queues()).withPromiscuous(config.promiscuous())
                .withRings(s.rxRingSize(), s.txRingSize(), config.pool_buffers());
    }

    @Activate
    void register(BundleContext context, Map<String, Object> configuration) {
        try {
            service = NetDevices.decorate(device, configuration, System::nanoTime);
        } catch (IllegalArgumentException badFaults) {
            close();
            throw new IxgbeException(IxgbeException.Reason.BAD_CONFIGURATION, badFaults.getMessage());
        }
        if (service.inner() instanceof FaultInjectingDevice faulted) {
            LOG.log(Level.WARNING, "{0}: injecting faults: {1}", device.description(), faulted.plan());
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(NetDevice.NAME_PROPERTY, device.name());
        properties.put("nic.backend", "ixgbe");
        properties.put("nic.pci", pci.address().toString());
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
        // Closing resets the device (through the decorations, if any): its DMA stops before the memory goes.
        if (service != null) {
            service.close();
        } else {
            device.close();
        }
        dma.close();
        pci.close();
        LOG.log(Level.INFO, "closed {0}", device.description());
    }
}
