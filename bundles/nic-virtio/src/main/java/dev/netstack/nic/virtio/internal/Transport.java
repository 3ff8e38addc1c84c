package dev.netstack.nic.virtio.internal;

/**
 * How the driver reaches a virtio PCI device's registers: the legacy I/O BAR (virtio 1.1 §4.1.4.8)
 * or the modern capabilities in memory BARs (§4.1.4). Control path, except {@link Notifier}s.
 */
public interface Transport {

    // Device status bits, §2.1
    int STATUS_ACKNOWLEDGE = 1;
    int STATUS_DRIVER = 2;
    int STATUS_DRIVER_OK = 4;
    int STATUS_FEATURES_OK = 8;
    int STATUS_NEEDS_RESET = 64;
    int STATUS_FAILED = 128;

    /** Whether this is the modern (VERSION_1) transport. */
    boolean modern();

    /** Writes 0 to the status and, on the modern transport, waits until it reads back 0 (§2.4, §4.1.4.3.2). */
    void reset();

    int status();

    void setStatus(int status);

    /** The device's feature bits (64 on the modern transport, 32 on the legacy one). */
    long deviceFeatures();

    void setDriverFeatures(long features);

    /** Number of entries of queue {@code queue}, 0 if the queue does not exist. */
    int queueSize(int queue);

    /**
     * Tells the device where queue {@code queue} lies and enables it. The legacy transport cannot
     * change the size and takes the page number of the descriptor table (§4.1.4.8); the modern one
     * takes the three addresses (§4.1.4.3).
     */
    void setUpQueue(int queue, int size, long descriptors, long avail, long used);

    /** The notifier of queue {@code queue}, valid after {@link #setUpQueue}. */
    Notifier notifier(int queue);

    /** A byte of the device-specific configuration (§5.1.4 for a network device). */
    int deviceConfig8(int offset);

    /** A little-endian 16-bit field of the device-specific configuration. */
    int deviceConfig16(int offset);

    /** A little-endian 32-bit field of the device-specific configuration; here as two 16-bit reads. */
    default int deviceConfig32(int offset) {
        return deviceConfig16(offset) | deviceConfig16(offset + 2) << 16;
    }
}
