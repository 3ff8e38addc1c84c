/**
 * A userspace driver for the Intel 82599 10 GbE controller (ixgbe), in the style of ixy: the device
 * is reset and brought up by the driver itself, following the 82599 datasheet (Intel document
 * 331520) section by section, and driven by polling its descriptor rings.
 *
 * <p>{@link dev.netstack.nic.ixgbe.IxgbeDevice} is the {@link dev.netstack.nic.NetDevice}. It
 * reaches the hardware only through two small interfaces: {@link dev.netstack.nic.ixgbe.Registers}
 * (the memory-mapped registers of BAR0) and {@link dev.netstack.nic.ixgbe.DmaAllocator} (memory
 * the device reads and writes, with its I/O addresses). Production implementations come from the
 * nic-pci bundle; tests substitute a register-level model of the 82599.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package dev.netstack.nic.ixgbe;
