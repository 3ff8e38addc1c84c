/**
 * PCI devices for the userspace drivers, through Linux sysfs ({@code /sys/bus/pci/devices/BDF/}):
 * {@link dev.netstack.nic.pci.PciDevice} identifies a device, reads and writes its configuration
 * space, takes it from its kernel driver and gives it back, maps memory BARs and reaches I/O BARs
 * ({@link dev.netstack.nic.pci.IoBar}). {@link dev.netstack.nic.pci.DmaMemory} is packet memory in
 * locked 2 MiB hugepages with physical addresses from {@code /proc/self/pagemap}.
 *
 * <p>Errors a user can meet are {@link dev.netstack.nic.pci.PciException}s whose message is one
 * sentence saying what to do. VFIO (IOMMU-mapped DMA) is not implemented: the drivers need root
 * and no IOMMU between the device and memory (true in a QEMU guest without a vIOMMU).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.nic.pci;
