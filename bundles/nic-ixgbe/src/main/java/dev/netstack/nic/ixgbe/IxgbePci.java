package dev.netstack.nic.ixgbe;

import dev.netstack.nic.pci.PciAddress;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Which PCI functions are 82599 ports, and a check a launcher can make before it starts anything:
 * {@link #checkPort} reads the function's sysfs attributes only (vendor, device), so it takes
 * nothing from the kernel and writes nothing.
 */
public final class IxgbePci {

    static final int INTEL = 0x8086;
    /** PCI device IDs of 82599 physical functions (as listed by the ixgbe drivers): KX4, KR, CX4, SFP+, XAUI, T3, ... */
    private static final Set<Integer> DEVICE_IDS = Set.of(0x10F7, 0x1514, 0x1517, 0x10F8, 0x10F9, 0x10FB, 0x152A,
            0x1529, 0x1507, 0x154D, 0x154A, 0x1558, 0x1557, 0x10FC, 0x151C, 0x154F);

    private IxgbePci() {
    }

    /** Whether vendor and device ID name an Intel 82599 physical function. */
    public static boolean is82599(int vendorId, int deviceId) {
        return vendorId == INTEL && DEVICE_IDS.contains(deviceId);
    }

    /** Refuses anything but an Intel 82599, before anything is written. */
    public static void checkIdentity(PciDevice pci) {
        if (!is82599(pci.vendorId(), pci.deviceId())) {
            throw new IxgbeException(IxgbeException.Reason.NO_DEVICE, String.format(
                    "PCI device %s is %04x:%04x, not an Intel 82599: set pci in the nic.ixgbe configuration to an"
                            + " 82599 port's address.", pci.address(), pci.vendorId(), pci.deviceId()));
        }
    }

    /**
     * Checks that {@code address} names an 82599 port, reading sysfs under {@code devicesDir} only.
     *
     * @throws PciException with one sentence naming the address if there is no such device (or the
     *         address is malformed)
     * @throws IxgbeException with one sentence naming the address if it is not an 82599
     */
    public static void checkPort(String address, Path devicesDir) {
        try (PciDevice pci = PciDevice.open(PciAddress.parse(address), devicesDir, Path.of("/proc/net/route"))) {
            checkIdentity(pci);
        }
    }

    /** {@link #checkPort(String, Path)} on this machine's {@link PciDevice#SYSFS_DEVICES}. */
    public static void checkPort(String address) {
        checkPort(address, PciDevice.SYSFS_DEVICES);
    }
}
