package dev.netstack.nic.virtio.internal;

/**
 * Tells the device that a virtqueue has new available buffers (virtio 1.1 §2.6.13.4, "Notifying
 * The Device"): an I/O port write on the legacy transport, an MMIO write on the modern one, a
 * counter in tests.
 */
@FunctionalInterface
public interface Notifier {

    void notifyDevice(int queueIndex);
}
