package dev.netstack.nic.virtio;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.pci.DmaMemory;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import dev.netstack.nic.pci.PciException.Reason;
import dev.netstack.nic.virtio.internal.ControlQueue;
import dev.netstack.nic.virtio.internal.Features;
import dev.netstack.nic.virtio.internal.LegacyTransport;
import dev.netstack.nic.virtio.internal.ModernTransport;
import dev.netstack.nic.virtio.internal.NetQueues;
import dev.netstack.nic.virtio.internal.RssConfig;
import dev.netstack.nic.virtio.internal.Transport;
import dev.netstack.nic.virtio.internal.Virtqueue;
import java.lang.foreign.MemorySegment;
import java.lang.System.Logger.Level;

/**
 * A {@link NetDevice} over a virtio-net PCI function driven from this process, as ixy drives its
 * devices: the kernel driver is unbound, the rings and buffers live in hugepage DMA memory, and
 * the shard polls the used rings (no interrupts). Read virtio 1.1 §3.1 (initialisation), §2.6
 * (split virtqueues) and §5.1 (network device) first.
 *
 * <p>Queue pairs (§5.1.2): receiveqN = 2(N-1), transmitqN = 2(N-1)+1. One pair unless the
 * settings ask for more and the device offers VIRTIO_NET_F_MQ with CTRL_VQ: then
 * min(queues, max_virtqueue_pairs) pairs, each with its own packet pool and counters, enabled by
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET on the control queue (queue 2 * max_virtqueue_pairs,
 * §5.1.6.5.5).
 *
 * <p>Flow steering: with several pairs and VIRTIO_NET_F_RSS offered (modern transport only; QEMU's
 * {@code rss=on}), the driver programs receive-side scaling with VIRTIO_NET_CTRL_MQ_RSS_CONFIG
 * instead of VQ_PAIRS_SET (virtio 1.2 §5.1.6.5.7.1, {@link RssConfig}): TCP/IPv4 hashed with the
 * symmetric Toeplitz key over a 128-entry table filled {@code i % pairs}, everything else (ARP,
 * ICMP, UDP, fragments) to queue 0, so {@link #rxQueueOf} knows the queue of every TCP flow.
 * Without RSS the device spreads flows by a rule of its own; {@link #rxQueueOf} then says -1 and
 * the open logs a warning. Transports: legacy (device 0x1000, I/O BAR 0, 10-byte header, 12 with MRG_RXBUF)
 * and modern (device 0x1041, capabilities, 12-byte header).
 * Features left out: see {@link Features}. The device's MAC is used unless the settings override
 * it (QEMU's device receives every frame until a driver sets filters, so an override works
 * there; real hardware may need VIRTIO_NET_CTRL_MAC, not implemented).
 *
 * <p>Checksums: a transmitted buffer with {@link dev.netstack.nic.PacketBuffer#FLAG_CHECKSUM_PARTIAL}
 * must hold the pseudo-header sum (not complemented) in its layer 4 checksum field, as Linux's
 * CHECKSUM_PARTIAL does; the device (CSUM negotiated) or the driver completes it. Received frames
 * carry {@link dev.netstack.nic.PacketBuffer#FLAG_CHECKSUM_VERIFIED} when the device validated
 * them (GUEST_CSUM); partially checksummed ones are completed by the driver first.
 *
 * <p>{@link #close()} resets the device before its DMA memory is freed (§2.4), turns bus
 * mastering off and binds the kernel driver again.
 */
public final class VirtioDevice implements NetDevice {

    public static final int VENDOR_VIRTIO = 0x1af4;
    /** Transitional (legacy) network device, §4.1.2.3. */
    public static final int DEVICE_LEGACY_NET = 0x1000;
    /** Modern network device: 0x1040 + device type 1, §4.1.2.1. */
    public static final int DEVICE_MODERN_NET = 0x1041;

    private static final System.Logger LOG = System.getLogger(VirtioDevice.class.getName());
    private static final long CONTROL_TIMEOUT_NS = 1_000_000_000L;
    private static final int MAX_QUEUE_SIZE = 256;
    private static final long RING_SPACING = 1L << 20;
    private static final long CLOSE_DRAIN_NS = 200_000_000L;

    private final VirtioSettings settings;
    private final PciDevice pci;
    private final Transport transport;
    private final DmaMemory ringMemory;
    private final DmaMemory poolMemory;
    private final PacketPool[] pools;
    private final NetQueues[] queues;
    private final DeviceCounters[] counters;
    private final DeviceCapabilities capabilities;
    private final long features;
    private final long offeredFeatures;
    private final long mac;
    /** The steering programmed on the device, null if it steers by its own rule (or has one pair). */
    private final RssConfig rss;
    private volatile boolean closed;
    /** Set by the shard while it is inside receive or transmit, so close never unmaps under it. */
    private volatile boolean inDataPath;

    private VirtioDevice(VirtioSettings settings, PciDevice pci, Transport transport, DmaMemory ringMemory,
            DmaMemory poolMemory) {
        this.settings = settings;
        this.pci = pci;
        this.transport = transport;
        this.ringMemory = ringMemory;
        this.poolMemory = poolMemory;
        // §3.1.1 device initialisation, steps 1-6
        transport.reset();
        transport.setStatus(Transport.STATUS_ACKNOWLEDGE);
        transport.setStatus(Transport.STATUS_ACKNOWLEDGE | Transport.STATUS_DRIVER);
        long offered = transport.deviceFeatures();
        if (transport.modern() && (offered & Features.VERSION_1) == 0) {
            throw new PciException(Reason.WRONG_DEVICE, "PCI device " + pci.address()
                    + " does not offer VIRTIO_F_VERSION_1 on its modern interface: it is not a virtio 1.x device.");
        }
        this.offeredFeatures = offered;
        long negotiated = Features.negotiate(offered, transport.modern(), settings.queues() > 1);
        int rssMaxKeySize = 0;
        int rssMaxTableLength = 0;
        if ((negotiated & Features.RSS) != 0) {
            // §3.1.1 step 4: the driver may read the device configuration before it accepts features
            rssMaxKeySize = transport.deviceConfig8(Features.CONFIG_RSS_MAX_KEY_SIZE);
            rssMaxTableLength = transport.deviceConfig16(Features.CONFIG_RSS_MAX_INDIRECTION_TABLE_LENGTH);
            String unusable = RssConfig.unusableReason(rssMaxKeySize, rssMaxTableLength,
                    transport.deviceConfig32(Features.CONFIG_SUPPORTED_HASH_TYPES));
            if (unusable != null) {
                LOG.log(Level.WARNING, "PCI device {0} offers RSS but {1}: not using it", pci.address(), unusable);
                negotiated &= ~Features.RSS;
            }
        }
        this.features = negotiated;
        transport.setDriverFeatures(features);
        int status = Transport.STATUS_ACKNOWLEDGE | Transport.STATUS_DRIVER;
        if (transport.modern()) { // §3.1.1 step 5-6; legacy devices have no FEATURES_OK (§3.1.2)
            status |= Transport.STATUS_FEATURES_OK;
            transport.setStatus(status);
            if ((transport.status() & Transport.STATUS_FEATURES_OK) == 0) {
                throw new PciException(Reason.WRONG_DEVICE, "PCI device " + pci.address() + " refused the features "
                        + Features.describe(features) + ": it cannot be driven by netstack.");
            }
        }
        // §3.1.1 step 7: virtqueues (§5.1.2)
        boolean multiqueue = (features & Features.MQ) != 0;
        int maxPairs = multiqueue ? transport.deviceConfig16(Features.CONFIG_MAX_VIRTQUEUE_PAIRS) : 1;
        int pairs = Math.max(1, Math.min(settings.queues(), maxPairs));
        int headerBytes = Features.headerBytes(features);
        boolean txChecksum = (features & Features.CSUM) != 0;
        boolean rxChecksum = (features & Features.GUEST_CSUM) != 0;
        boolean mergeable = (features & Features.MRG_RXBUF) != 0;
        long poolBytes = poolBytes(settings);
        this.pools = new PacketPool[pairs];
        this.queues = new NetQueues[pairs];
        this.counters = new DeviceCounters[pairs];
        for (int i = 0; i < pairs; i++) {
            pools[i] = PacketPool.create("virtio:" + pci.address() + (pairs > 1 ? "/" + i : ""),
                    slice(poolMemory, i * poolBytes, poolBytes), settings.poolBuffers(),
                    PacketPool.DEFAULT_BUFFER_SIZE, PacketPool.DEFAULT_HEADROOM);
            counters[i] = new DeviceCounters();
            Virtqueue rx = queue(2 * i, queueSize(2 * i), 2L * i * RING_SPACING);
            Virtqueue tx = queue(2 * i + 1, queueSize(2 * i + 1), (2L * i + 1) * RING_SPACING);
            queues[i] = new NetQueues(i, rx, tx, pools[i], headerBytes, counters[i], txChecksum, rxChecksum,
                    mergeable);
        }
        ControlQueue control = null;
        if (multiqueue) { // §5.1.2: controlq is 2N, N = max_virtqueue_pairs
            int index = 2 * maxPairs;
            int size = queueSize(index);
            control = new ControlQueue(index, size, ringMemory, 2L * pairs * RING_SPACING, transport.notifier(index));
            transport.setUpQueue(index, size, control.descriptorAddress(), control.availAddress(),
                    control.usedAddress());
        }
        this.mac = settings.macAddress() >= 0 ? settings.macAddress() : deviceMac();
        int offloads = (txChecksum ? DeviceCapabilities.OFFLOAD_TX_CHECKSUM : 0)
                | (rxChecksum ? DeviceCapabilities.OFFLOAD_RX_CHECKSUM : 0);
        this.capabilities = new DeviceCapabilities(pairs, offloads,
                PacketPool.DEFAULT_BUFFER_SIZE - PacketPool.DEFAULT_HEADROOM);
        for (NetQueues q : queues) {
            q.fill();
        }
        // §3.1.1 step 8
        transport.setStatus(status | Transport.STATUS_DRIVER_OK);
        for (NetQueues q : queues) {
            q.rx().kick();
        }
        RssConfig steering = null;
        if (control != null && (features & Features.RSS) != 0) { // virtio 1.2 §5.1.6.5.7.1
            RssConfig wanted = RssConfig.forDevice(pairs, rssMaxKeySize, rssMaxTableLength);
            int ack = control.setRss(wanted, CONTROL_TIMEOUT_NS);
            if (ack == ControlQueue.ACK_OK) {
                steering = wanted;
            } else {
                LOG.log(Level.WARNING, "PCI device {0} did not accept {1} ({2} to VIRTIO_NET_CTRL_MQ_RSS_CONFIG)",
                        pci.address(), wanted, ack == ControlQueue.PENDING ? "no answer" : "ack " + ack);
            }
        }
        if (control != null && steering == null) { // §5.1.6.5.5: only receiveq1/transmitq1 are used until this
            int ack = control.setQueuePairs(pairs, CONTROL_TIMEOUT_NS);
            if (ack != ControlQueue.ACK_OK) {
                throw new PciException(Reason.WRONG_DEVICE, "PCI device " + pci.address() + " did not accept "
                        + pairs + " queue pairs (" + (ack == ControlQueue.PENDING ? "no answer" : "ack " + ack)
                        + " to VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET): set queues to 1.");
            }
            if (pairs > 1) {
                LOG.log(Level.WARNING, "PCI device {0} has {1} queue pairs but no usable VIRTIO_NET_F_RSS: TCP flows"
                        + " land on the queue the device decides, which netstack cannot predict (QEMU: add rss=on to"
                        + " the virtio-net-pci device, modern transport)", pci.address(), pairs);
            }
        }
        this.rss = steering;
    }

    private static long poolBytes(VirtioSettings settings) {
        return (long) settings.poolBuffers() * PacketPool.DEFAULT_BUFFER_SIZE;
    }

    /** The part of {@code memory} from {@code offset}, {@code bytes} long: one queue pair's pool. */
    private static PacketMemory slice(PacketMemory memory, long offset, long bytes) {
        MemorySegment segment = memory.segment().asSlice(offset, bytes);
        return new PacketMemory() {
            @Override
            public MemorySegment segment() {
                return segment;
            }

            @Override
            public long ioAddress(long at) {
                return memory.ioAddress(offset + at);
            }

            @Override
            public long contiguousChunkBytes() {
                return memory.contiguousChunkBytes();
            }
        };
    }

    /**
     * Opens the virtio-net device {@code settings.pci()}, taking it from its kernel driver.
     *
     * @throws PciException with a one-sentence message if the device is missing, not virtio-net,
     *         not ours to take, or no hugepages are free; the kernel driver is bound again then
     */
    public static VirtioDevice open(VirtioSettings settings) {
        PciDevice pci = PciDevice.open(settings.pci().toString());
        DmaMemory rings = null;
        DmaMemory buffers = null;
        Transport transport = null;
        try {
            checkIdentity(pci);
            // one ring slot per queue wanted, and one for the control queue if more than one pair
            int ringSlots = settings.queues() > 1 ? 2 * settings.queues() + 1 : 2;
            rings = DmaMemory.allocate(ringSlots * RING_SPACING, settings.hugepages());
            buffers = DmaMemory.allocate(settings.queues() * poolBytes(settings), settings.hugepages());
            pci.takeFromKernel();
            pci.enableBusMastering();
            transport = pci.deviceId() == DEVICE_LEGACY_NET
                    ? new LegacyTransport(pci.ioBar(0), pci.ioBar(0), pci.isMsixEnabled())
                    : new ModernTransport(pci);
            VirtioDevice device = new VirtioDevice(settings, pci, transport, rings, buffers);
            LOG.log(Level.INFO, "opened {0}: offered features 0x{1}, negotiated {2}, {3} queue pairs, steering {4}",
                    device, Long.toHexString(device.offeredFeatures), Features.describe(device.features),
                    device.queueCount(), device.rssDescription());
            return device;
        } catch (RuntimeException e) {
            if (transport != null) {
                transport.setStatus(Transport.STATUS_FAILED);
                transport.reset();
            }
            try {
                pci.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (rings != null) {
                rings.close();
            }
            if (buffers != null) {
                buffers.close();
            }
            throw e;
        }
    }

    /** Refuses anything but a virtio-net function, before anything is written. */
    static void checkIdentity(PciDevice pci) {
        if (pci.vendorId() != VENDOR_VIRTIO
                || (pci.deviceId() != DEVICE_LEGACY_NET && pci.deviceId() != DEVICE_MODERN_NET)) {
            throw new PciException(Reason.WRONG_DEVICE, String.format("PCI device %s (%04x:%04x, class %06x) is not"
                    + " a virtio-net device (1af4:1000 or 1af4:1041): check the address with lspci -Dn.",
                    pci.address(), pci.vendorId(), pci.deviceId(), pci.classCode()));
        }
    }

    private int queueSize(int queue) {
        int size = transport.queueSize(queue);
        if (size == 0) {
            throw new PciException(Reason.WRONG_DEVICE, "PCI device " + pci.address() + " has no virtqueue " + queue
                    + ": it is not a working virtio-net device.");
        }
        if (transport.modern()) {
            size = Math.min(size, MAX_QUEUE_SIZE); // §4.1.4.3.2: the driver may choose a smaller size
        }
        if (Virtqueue.ringBytes(size) > RING_SPACING) {
            throw new PciException(Reason.WRONG_DEVICE, "PCI device " + pci.address() + " has a legacy queue of "
                    + size + " entries, more than this driver supports.");
        }
        return size;
    }

    private Virtqueue queue(int index, int size, long offset) {
        // queue_notify_off is readable once the queue is selected (§4.1.4.4), before it is enabled
        Virtqueue q = new Virtqueue(index, size, ringMemory, offset, transport.notifier(index));
        transport.setUpQueue(index, size, q.descriptorAddress(), q.availAddress(), q.usedAddress());
        return q;
    }

    private long deviceMac() {
        if ((features & Features.MAC) == 0) {
            return MacAddress.locallyAdministered(pci.address().hashCode());
        }
        long m = 0;
        for (int i = 0; i < 6; i++) {
            m = m << 8 | transport.deviceConfig8(Features.CONFIG_MAC + i);
        }
        return m;
    }

    public VirtioSettings settings() {
        return settings;
    }

    /** Whether the modern (VERSION_1) transport drives the device. */
    public boolean isModern() {
        return transport.modern();
    }

    /** Negotiated feature bits. */
    public long features() {
        return features;
    }

    /** Feature bits the device offered. */
    public long offeredFeatures() {
        return offeredFeatures;
    }

    /** Whether the device steers flows by the RSS configuration this driver set (see {@link #rxQueueOf}). */
    public boolean isRssEnabled() {
        return rss != null;
    }

    /** The RSS configuration in force, for logs and diagnostics: {@code none} without RSS. */
    public String rssDescription() {
        return rss == null ? "none" : rss.toString();
    }

    /** Bytes of the virtio-net header before each frame: 12 (modern, or legacy with MRG_RXBUF), else 10. */
    public int headerBytes() {
        return queues[0].headerBytes();
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String description() {
        return "virtio:" + pci.address() + (transport.modern() ? " (modern)" : " (legacy)");
    }

    @Override
    public long macAddress() {
        return mac;
    }

    @Override
    public int mtu() {
        return 1500;
    }

    /**
     * §5.1.4: VIRTIO_NET_S_LINK_UP in the status field when STATUS is negotiated; else always up.
     * Synchronized with {@link #close()} (an uncontended monitor, not a per-packet cost), so the
     * registers are never read after they are unmapped.
     */
    @Override
    public synchronized boolean isLinkUp() {
        if (closed) {
            return false;
        }
        if ((features & Features.STATUS) == 0) {
            return true;
        }
        return (transport.deviceConfig16(Features.CONFIG_STATUS) & Features.STATUS_LINK_UP) != 0;
    }

    @Override
    public DeviceCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public PacketPool pool(int queue) {
        checkQueue(queue);
        return pools[queue];
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        inDataPath = true; // a volatile write before the read of closed: close() sees one or the other
        try {
            return closed ? 0 : queues[queue].receive(batch);
        } finally {
            inDataPath = false;
        }
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        inDataPath = true;
        try {
            return closed ? 0 : queues[queue].transmit(batch);
        } finally {
            inDataPath = false;
        }
    }

    /**
     * The queue of a TCP/IPv4 flow: with RSS, the indirection table entry of the flow's Toeplitz
     * hash, as the device computes it (virtio 1.2 §5.1.6.4.3); 0 with one pair; -1 with several
     * pairs and no RSS (the device decides). Symmetric; allocates nothing.
     */
    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        if (queues.length == 1) {
            return 0;
        }
        return rss == null ? -1 : rss.queueOf(srcAddr, dstAddr, srcPort, dstPort);
    }

    @Override
    public DeviceCounters counters(int queue) {
        checkQueue(queue);
        return counters[queue];
    }

    /** Notifications sent to the device, and those the device suppressed, for diagnostics. */
    public String notificationStats() {
        NetQueues queues = this.queues[0];
        return "rx kicks " + queues.rx().notifications() + " (suppressed " + queues.rx().suppressedNotifications()
                + "), tx kicks " + queues.tx().notifications() + " (suppressed "
                + queues.tx().suppressedNotifications() + ")";
    }

    /**
     * Waits up to 200 ms for queued frames to be sent, resets the device (it stops all DMA, §2.4), releases the ring buffers, unmaps the BARs, binds
     * the kernel driver again and frees the DMA memory. Idempotent. From another thread it is safe
     * while a shard polls: calls after it return 0, and a call in progress is waited for (up to
     * 200 ms) before the rings are unmapped.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // A shard still inside receive or transmit finishes its call before the rings go away.
        long busyDeadlineNs = System.nanoTime() + CLOSE_DRAIN_NS;
        while (inDataPath && System.nanoTime() - busyDeadlineNs < 0) {
            Thread.onSpinWait();
        }
        try {
            // Let frames already queued go out (bounded): a reset drops what the device has not sent.
            long deadlineNs = System.nanoTime() + CLOSE_DRAIN_NS;
            for (NetQueues q : queues) {
                while (q.tx().inFlight() > 0 && System.nanoTime() - deadlineNs < 0) {
                    q.reclaim();
                    Thread.onSpinWait();
                }
            }
            transport.reset();
            for (NetQueues q : queues) {
                q.releaseAll();
            }
            pci.close();
        } finally {
            ringMemory.close();
            poolMemory.close();
        }
        LOG.log(Level.INFO, "closed {0}; kernel driver {1}", description(), pci.driverName());
    }

    private void checkQueue(int queue) {
        if (queue < 0 || queue >= queues.length) {
            throw new IndexOutOfBoundsException("this virtio device has " + queues.length + " queue pairs, not queue "
                    + queue);
        }
    }

    @Override
    public String toString() {
        return "VirtioDevice[" + settings.name() + " " + description() + ", mac " + MacAddress.format(mac)
                + (closed ? ", closed" : "") + "]";
    }
}
