/**
 * The userspace virtio-net driver: {@link dev.netstack.nic.virtio.VirtioDevice} is a
 * {@link dev.netstack.nic.NetDevice} over a virtio-net PCI function (legacy 0x1af4:0x1000 or
 * modern 0x1af4:0x1041), opened from {@link dev.netstack.nic.virtio.VirtioSettings}; failures a
 * user can meet are {@link dev.netstack.nic.pci.PciException}s with a one-sentence message.
 *
 * <p>In OSGi the DS factory component for configuration PID {@code nic.virtio} opens one device
 * per configuration.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.nic.virtio;
