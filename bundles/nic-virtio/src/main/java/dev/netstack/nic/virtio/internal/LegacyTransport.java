package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.pci.IoBar;

/**
 * The legacy virtio PCI transport: registers in I/O BAR 0 (virtio 1.1 §4.1.4.8, "Legacy
 * Interfaces: A Note on PCI Device Layout"), 32 feature bits, queue addresses as a 4096-byte page
 * number, the device-specific configuration after the common header at 20 bytes, or 24 when
 * MSI-X is enabled.
 */
public final class LegacyTransport implements Transport {

    static final int DEVICE_FEATURES = 0x00;
    static final int DRIVER_FEATURES = 0x04;
    static final int QUEUE_ADDRESS = 0x08;
    static final int QUEUE_SIZE = 0x0c;
    static final int QUEUE_SELECT = 0x0e;
    static final int QUEUE_NOTIFY = 0x10;
    static final int DEVICE_STATUS = 0x12;
    static final int ISR_STATUS = 0x13;
    static final int CONFIG = 0x14;
    static final int CONFIG_MSIX = 0x18;

    private final IoBar io;
    private final IoBar notifyIo;
    private final int config;

    /**
     * @param io the BAR for control accesses (any one thread at a time)
     * @param notifyIo the same BAR opened again for queue notifications from the shard, so the data
     *        path never shares an {@link IoBar}'s scratch buffer with a control thread
     */
    public LegacyTransport(IoBar io, IoBar notifyIo, boolean msixEnabled) {
        this.io = io;
        this.notifyIo = notifyIo;
        this.config = msixEnabled ? CONFIG_MSIX : CONFIG;
    }

    @Override
    public boolean modern() {
        return false;
    }

    @Override
    public synchronized void reset() {
        io.write8(DEVICE_STATUS, 0);
        io.read8(DEVICE_STATUS); // flushes the write; the legacy device resets at once
    }

    @Override
    public synchronized int status() {
        return io.read8(DEVICE_STATUS);
    }

    @Override
    public synchronized void setStatus(int status) {
        io.write8(DEVICE_STATUS, status);
    }

    @Override
    public long deviceFeatures() {
        return io.read32(DEVICE_FEATURES) & 0xffff_ffffL;
    }

    @Override
    public void setDriverFeatures(long features) {
        io.write32(DRIVER_FEATURES, (int) features);
    }

    @Override
    public int queueSize(int queue) {
        io.write16(QUEUE_SELECT, queue);
        return io.read16(QUEUE_SIZE);
    }

    @Override
    public void setUpQueue(int queue, int size, long descriptors, long avail, long used) {
        io.write16(QUEUE_SELECT, queue);
        int deviceSize = io.read16(QUEUE_SIZE);
        if (size != deviceSize) {
            throw new IllegalArgumentException("legacy queue " + queue + " has " + deviceSize + " entries, not " + size);
        }
        if (descriptors % Virtqueue.ALIGN != 0 || descriptors >>> 12 > 0xffff_ffffL) {
            throw new IllegalArgumentException("legacy queue address 0x" + Long.toHexString(descriptors)
                    + " must be page-aligned below 16 TiB");
        }
        io.write32(QUEUE_ADDRESS, (int) (descriptors >>> 12));
    }

    @Override
    public Notifier notifier(int queue) {
        return q -> notifyIo.write16(QUEUE_NOTIFY, q);
    }

    @Override
    public synchronized int deviceConfig8(int offset) {
        return io.read8(config + offset);
    }

    /** Synchronized: link status is read from control threads and the shard alike. */
    @Override
    public synchronized int deviceConfig16(int offset) {
        return io.read16(config + offset);
    }

    /** Reading the ISR clears it (§4.1.4.5); unused while polling, kept for diagnostics. */
    public int isr() {
        return io.read8(ISR_STATUS);
    }
}
