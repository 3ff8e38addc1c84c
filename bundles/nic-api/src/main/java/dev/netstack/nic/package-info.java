/**
 * The NIC driver SPI: what a network device backend (TAP, virtio-net, ixgbe, the in-memory test
 * devices) offers the stack, and the off-heap packet buffers that travel between them.
 *
 * <p>Read {@link dev.netstack.nic.NetDevice} first for the batch calls and their ownership rules,
 * then {@link dev.netstack.nic.PacketBuffer} for the buffer layout and
 * {@link dev.netstack.nic.PacketPool} for where buffers come from.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.nic;
