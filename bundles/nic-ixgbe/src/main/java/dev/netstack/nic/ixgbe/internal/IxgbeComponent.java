package dev.netstack.nic.ixgbe.internal;

import dev.netstack.nic.NetDevice;
import dev.netstack.nic.ixgbe.DmaAllocator;
import dev.netstack.nic.ixgbe.IxgbeDevice;
import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbeSettings;
import dev.netstack.nic.ixgbe.Registers;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Set;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One 82599 port per {@value #PID} factory configuration: checks the PCI device in sysfs, maps it,
 * brings it up and registers it as a {@link NetDevice} with {@code nic.name} = the configured name.
 *
 * <p><b>Seam:</b> BAR0 mapping and hugepage DMA memory come from the nic-pci bundle, which had not
 * landed when this was written. Until it does, a present 82599 is refused with a sentence saying
 * so; the place to connect it is {@link #mapHardware}, which must return nic-pci's BAR0 mapping as
 * {@link Registers} and its DMA memory as a {@link DmaAllocator}.
 */
@Component(configurationPid = IxgbeComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = IxgbeConfiguration.class, factory = true)
public final class IxgbeComponent {

    public static final String PID = "nic.ixgbe";

    private static final int INTEL = 0x8086;
    /** PCI device IDs of 82599 physical functions (as listed by the ixgbe drivers): KX4, KR, CX4, SFP+, XAUI, T3, ... */
    private static final Set<Integer> DEVICE_IDS = Set.of(0x10F7, 0x1514, 0x1517, 0x10F8, 0x10F9, 0x10FB, 0x152A,
            0x1529, 0x1507, 0x154D, 0x154A, 0x1558, 0x1557, 0x10FC, 0x151C, 0x154F);

    private final IxgbeDevice device;
    private final DmaAllocator dma;
    private ServiceRegistration<NetDevice> registration;

    /**
     * @throws IxgbeException with a one-sentence message when there is no such device or it cannot
     *         be brought up
     */
    @Activate
    @Inject
    public IxgbeComponent(IxgbeConfiguration config) {
        this(config, Path.of("/sys/bus/pci/devices"));
    }

    IxgbeComponent(IxgbeConfiguration config, Path sysfsDevices) {
        IxgbeSettings settings = settings(config);
        probe(sysfsDevices, settings.pciAddress());
        Hardware hw = mapHardware(settings.pciAddress());
        this.dma = hw.dma();
        try {
            this.device = IxgbeDevice.open(hw.registers(), dma, settings);
        } catch (RuntimeException e) {
            dma.close();
            throw e;
        }
    }

    record Hardware(Registers registers, DmaAllocator dma) {
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

    /** Checks that {@code pci} is an Intel 82599 in sysfs. */
    static void probe(Path sysfsDevices, String pci) {
        Path dir = sysfsDevices.resolve(pci);
        if (!Files.isDirectory(dir)) {
            throw new IxgbeException(IxgbeException.Reason.NO_DEVICE, "There is no PCI device " + pci
                    + " on this machine: set pci in the nic.ixgbe configuration to an 82599 port's address"
                    + " (lspci -D -d 8086: lists Intel devices).");
        }
        int vendor = readHex(dir.resolve("vendor"));
        int deviceId = readHex(dir.resolve("device"));
        if (vendor != INTEL || !DEVICE_IDS.contains(deviceId)) {
            throw new IxgbeException(IxgbeException.Reason.NO_DEVICE, String.format(
                    "PCI device %s is %04x:%04x, not an Intel 82599: set pci in the nic.ixgbe configuration to an"
                            + " 82599 port's address.", pci, vendor, deviceId));
        }
    }

    private static int readHex(Path file) {
        try {
            return Integer.decode(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The seam to nic-pci (see the class comment). */
    private static Hardware mapHardware(String pci) {
        throw new IxgbeException(IxgbeException.Reason.SYSTEM, "PCI device " + pci
                + " is an 82599, but this build has no PCI register and DMA access yet: install the nic-pci bundle"
                + " version that provides it.");
    }

    @Activate
    void register(BundleContext context) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(NetDevice.NAME_PROPERTY, device.name());
        properties.put("nic.backend", "ixgbe");
        registration = context.registerService(NetDevice.class, device, properties);
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
        device.close();
        dma.close();
    }
}
