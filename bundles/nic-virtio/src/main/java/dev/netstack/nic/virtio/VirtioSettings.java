package dev.netstack.nic.virtio;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.pci.PciAddress;
import dev.netstack.nic.pci.PciException;
import java.nio.file.Path;

/**
 * What to open: the stack interface name, the PCI address, an optional MAC that overrides the
 * device's, the number of packet buffers (per queue pair), the hugetlbfs mount (null: find one in
 * /proc/mounts) and the queue pairs wanted (capped by what the device offers; more than one needs
 * VIRTIO_NET_F_MQ).
 *
 * @param macAddress 48-bit MAC, or -1 for the device's own
 */
public record VirtioSettings(String name, PciAddress pci, long macAddress, int poolBuffers, Path hugepages,
        int queues) {

    public static final int DEFAULT_POOL_BUFFERS = 4096;
    /** The most queue pairs a device may have (§5.1.4: max_virtqueue_pairs 1 to 0x8000). */
    public static final int MAX_QUEUES = 0x8000;

    /** One queue pair. */
    public VirtioSettings(String name, PciAddress pci, long macAddress, int poolBuffers, Path hugepages) {
        this(name, pci, macAddress, poolBuffers, hugepages, 1);
    }

    public VirtioSettings {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new PciException(PciException.Reason.BAD_CONFIGURATION, "queues " + queues
                    + " is out of range: give 1 to 32768 queue pairs.");
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a virtio device needs an interface name");
        }
        if (poolBuffers < 64 || poolBuffers > 1 << 20) {
            throw new PciException(PciException.Reason.BAD_CONFIGURATION, "pool.buffers " + poolBuffers
                    + " is out of range: give 64 to 1048576 buffers.");
        }
    }

    /**
     * Settings from configuration text: {@code pci} as {@code DDDD:BB:DD.F}, {@code mac} empty for
     * the device's own, {@code hugepages} empty to find the mount.
     *
     * @throws PciException with a one-sentence message naming the bad setting
     */
    public static VirtioSettings parse(String name, String pci, String mac, int poolBuffers, String hugepages) {
        return parse(name, pci, mac, poolBuffers, hugepages, 1);
    }

    /** As {@link #parse(String, String, String, int, String)}, with {@code queues} queue pairs wanted. */
    public static VirtioSettings parse(String name, String pci, String mac, int poolBuffers, String hugepages,
            int queues) {
        long macAddress = -1;
        if (mac != null && !mac.isBlank()) {
            try {
                macAddress = MacAddress.parse(mac.trim());
            } catch (IllegalArgumentException e) {
                throw new PciException(PciException.Reason.BAD_CONFIGURATION, "mac '" + mac
                        + "' is not a MAC address: write it as 02:00:00:00:00:01 or leave it empty.");
            }
        }
        return new VirtioSettings(name, PciAddress.parse(pci), macAddress, poolBuffers,
                hugepages == null || hugepages.isBlank() ? null : Path.of(hugepages.trim()), queues);
    }
}
