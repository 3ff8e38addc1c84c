package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The modern virtio PCI transport (virtio 1.1 §4.1.4): vendor-specific PCI capabilities point to
 * the common configuration, notification, ISR and device configuration structures inside memory
 * BARs, which are mapped and accessed with single, exactly sized volatile loads and stores (MMIO
 * must not be merged or split by the compiler).
 */
public final class ModernTransport implements Transport {

    // virtio_pci_cap cfg_type, §4.1.4
    static final int CAP_COMMON = 1;
    static final int CAP_NOTIFY = 2;
    static final int CAP_ISR = 3;
    static final int CAP_DEVICE = 4;

    // struct virtio_pci_common_cfg, §4.1.4.3
    static final int DEVICE_FEATURE_SELECT = 0x00;
    static final int DEVICE_FEATURE = 0x04;
    static final int DRIVER_FEATURE_SELECT = 0x08;
    static final int DRIVER_FEATURE = 0x0c;
    static final int NUM_QUEUES = 0x12;
    static final int DEVICE_STATUS = 0x14;
    static final int QUEUE_SELECT = 0x16;
    static final int QUEUE_SIZE = 0x18;
    static final int QUEUE_MSIX_VECTOR = 0x1a;
    static final int QUEUE_ENABLE = 0x1c;
    static final int QUEUE_NOTIFY_OFF = 0x1e;
    static final int QUEUE_DESC = 0x20;
    static final int QUEUE_DRIVER = 0x28;
    static final int QUEUE_DEVICE = 0x30;
    static final int NO_VECTOR = 0xffff;

    private static final VarHandle U8 = ValueLayout.JAVA_BYTE.varHandle();
    private static final VarHandle U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment common;
    private final MemorySegment notify;
    private final MemorySegment device;
    private final int notifyMultiplier;

    /** Finds the capabilities of {@code pci} and maps the BARs they point into. */
    public ModernTransport(PciDevice pci) {
        Map<Integer, MemorySegment> bars = new HashMap<>();
        MemorySegment commonCfg = null;
        MemorySegment notifyCfg = null;
        MemorySegment deviceCfg = null;
        int multiplier = 0;
        for (int at : pci.capabilities(PciDevice.CAPABILITY_VENDOR)) {
            int type = pci.readConfig8(at + 3);
            int bar = pci.readConfig8(at + 4);
            long offset = pci.readConfig32(at + 8) & 0xffff_ffffL;
            long length = pci.readConfig32(at + 12) & 0xffff_ffffL;
            if (bar > 5 || (type != CAP_COMMON && type != CAP_NOTIFY && type != CAP_DEVICE)) {
                continue; // ISR is not needed while polling; the PCI access window (type 5) is not used
            }
            // §4.1.4.1: the driver uses the first capability of each type it understands
            if ((type == CAP_COMMON && commonCfg != null) || (type == CAP_NOTIFY && notifyCfg != null)
                    || (type == CAP_DEVICE && deviceCfg != null)) {
                continue;
            }
            MemorySegment mapped = bars.computeIfAbsent(bar, pci::mapBar);
            MemorySegment region = mapped.asSlice(offset, length);
            switch (type) {
                case CAP_COMMON -> commonCfg = region;
                case CAP_NOTIFY -> {
                    notifyCfg = region;
                    multiplier = pci.readConfig32(at + 16);
                }
                default -> deviceCfg = region;
            }
        }
        if (commonCfg == null || notifyCfg == null || deviceCfg == null) {
            throw new PciException(PciException.Reason.WRONG_DEVICE, "PCI device " + pci.address()
                    + " lacks the virtio common, notify or device configuration capability: it is not a modern"
                    + " virtio device.");
        }
        this.common = commonCfg;
        this.notify = notifyCfg;
        this.device = deviceCfg;
        this.notifyMultiplier = multiplier;
    }

    @Override
    public boolean modern() {
        return true;
    }

    @Override
    public void reset() {
        write8(common, DEVICE_STATUS, 0);
        // §4.1.4.3.2: after writing 0 the driver waits for the status to read back 0
        for (int i = 0; i < 1_000_000 && read8(common, DEVICE_STATUS) != 0; i++) {
            Thread.onSpinWait();
        }
    }

    @Override
    public int status() {
        return read8(common, DEVICE_STATUS);
    }

    @Override
    public void setStatus(int status) {
        write8(common, DEVICE_STATUS, status);
    }

    @Override
    public long deviceFeatures() {
        write32(common, DEVICE_FEATURE_SELECT, 0);
        long low = read32(common, DEVICE_FEATURE) & 0xffff_ffffL;
        write32(common, DEVICE_FEATURE_SELECT, 1);
        long high = read32(common, DEVICE_FEATURE) & 0xffff_ffffL;
        return high << 32 | low;
    }

    @Override
    public void setDriverFeatures(long features) {
        write32(common, DRIVER_FEATURE_SELECT, 0);
        write32(common, DRIVER_FEATURE, (int) features);
        write32(common, DRIVER_FEATURE_SELECT, 1);
        write32(common, DRIVER_FEATURE, (int) (features >>> 32));
    }

    /** Queues the device has (§4.1.4.3). */
    public int queueCount() {
        return read16(common, NUM_QUEUES);
    }

    @Override
    public int queueSize(int queue) {
        if (queue >= queueCount()) {
            return 0;
        }
        write16(common, QUEUE_SELECT, queue);
        return read16(common, QUEUE_SIZE);
    }

    @Override
    public void setUpQueue(int queue, int size, long descriptors, long avail, long used) {
        write16(common, QUEUE_SELECT, queue);
        write16(common, QUEUE_SIZE, size);
        write16(common, QUEUE_MSIX_VECTOR, NO_VECTOR); // polled: no interrupts
        write64(QUEUE_DESC, descriptors);
        write64(QUEUE_DRIVER, avail);
        write64(QUEUE_DEVICE, used);
        write16(common, QUEUE_ENABLE, 1);
    }

    @Override
    public Notifier notifier(int queue) {
        write16(common, QUEUE_SELECT, queue);
        long offset = (long) read16(common, QUEUE_NOTIFY_OFF) * notifyMultiplier; // §4.1.4.4
        return q -> write16(notify, offset, q);
    }

    @Override
    public int deviceConfig8(int offset) {
        return read8(device, offset);
    }

    @Override
    public int deviceConfig16(int offset) {
        return read16(device, offset);
    }

    /** One 32-bit read, as §4.1.3.1 asks of 32-bit fields. */
    @Override
    public int deviceConfig32(int offset) {
        return read32(device, offset);
    }

    /** 64-bit fields as two 32-bit writes, low half first (§4.1.3.1). */
    private void write64(int offset, long value) {
        write32(common, offset, (int) value);
        write32(common, offset + 4, (int) (value >>> 32));
    }

    private static int read8(MemorySegment s, long offset) {
        return (byte) U8.getVolatile(s, offset) & 0xff;
    }

    private static void write8(MemorySegment s, long offset, int value) {
        U8.setVolatile(s, offset, (byte) value);
    }

    private static int read16(MemorySegment s, long offset) {
        return (short) U16.getVolatile(s, offset) & 0xffff;
    }

    private static void write16(MemorySegment s, long offset, int value) {
        U16.setVolatile(s, offset, (short) value);
    }

    private static int read32(MemorySegment s, long offset) {
        return (int) U32.getVolatile(s, offset);
    }

    private static void write32(MemorySegment s, long offset, int value) {
        U32.setVolatile(s, offset, value);
    }
}
