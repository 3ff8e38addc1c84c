package dev.netstack.nic.tap;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.FlowHash;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.tap.internal.Bpf;
import dev.netstack.nic.tap.internal.Ifreq;
import dev.netstack.nic.tap.internal.SteeringProgram;
import dev.netstack.nic.tap.internal.TapQueue;
import dev.netstack.nic.tap.internal.VnetHeader;
import dev.netstack.runtime.os.Linux;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A {@link NetDevice} over a Linux TAP interface: one non-blocking file descriptor on
 * {@code /dev/net/tun} per queue, one frame per read(2) or write(2). Read the kernel's
 * Documentation/networking/tuntap.rst first (§3.3 for multi-queue), then virtio 1.2 §5.1.6 for
 * the offload header.
 *
 * <pre>
 *   stack ── transmit: write(fd) ──▶ TAP ──▶ kernel receives (the TAP's rx counters)
 *   stack ◀── receive: read(fd) ◀── TAP ◀── kernel sends (ARP, IP to the stack's subnet)
 * </pre>
 *
 * <p>The TAP is created in the network namespace of the thread that calls {@link #open}, which
 * also makes the kernel-side configuration ioctls there. It is not persistent: {@link #close()}
 * removes it. The MAC of the stack ({@link #macAddress()}) is the one from the settings, not the
 * kernel TAP's own, which belongs to the host side of the link.
 *
 * <p><b>Without offloads</b> ({@link TapSettings#offload()} false) frames are read with
 * {@code IFF_NO_PI}: no packet information header, no virtio-net header.
 *
 * <p><b>With offloads</b> the TAP is opened with {@code IFF_VNET_HDR}: a {@link VnetHeader} of
 * {@value VnetHeader#LENGTH} bytes precedes every frame both ways ({@code TUNSETVNETHDRSZ}), and
 * {@code TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4)} tells the kernel the stack handles partial
 * checksums and large TCP/IPv4 segments, so it stops segmenting and checksumming for the TAP:
 * <ul>
 * <li>receive: a frame may be a coalesced TCP segment of up to 64 KiB (gso_type TCPV4), read into
 *     a buffer of a second, large pool ({@link TapSettings#largeBuffers()}); a frame that fits a
 *     normal buffer is copied into one so the large buffer is read into again. NEEDS_CSUM (the
 *     kernel's own send, checksum left partial) and DATA_VALID mark the buffer
 *     {@link PacketBuffer#FLAG_CHECKSUM_VERIFIED}, so ip and tcp skip their checksums.
 * <li>transmit: a buffer with {@link PacketBuffer#FLAG_SEGMENTED} goes out as one write with
 *     gso_type TCPV4 and gso_size {@link PacketBuffer#segmentBytes()}; the kernel cuts it (or
 *     takes it whole, if it delivers locally). {@link PacketBuffer#FLAG_CHECKSUM_PARTIAL} becomes
 *     NEEDS_CSUM. The header is written into the buffer's headroom, just in front of the frame.
 * </ul>
 * If the kernel refuses the offloads the device runs without them and says so in the log.
 *
 * <p><b>Several queues</b> ({@link TapSettings#queues()} &gt; 1): the TAP is opened with
 * {@code IFF_MULTI_QUEUE} and one descriptor per queue, each attached by TUNSETIFF with the same
 * name, in queue order (the kernel numbers queues in attach order). Each queue has its own pools
 * (of {@link TapSettings#poolBuffers()} each), counters, readiness descriptor and offload scratch
 * state; the vnet header size and the offloads belong to the device and are set once. The kernel
 * would spread flows by a hash of its own and remember queues a flow was sent on (automq), which a
 * stack cannot predict; instead a {@link SteeringProgram} (eBPF, TUNSETSTEERINGEBPF) makes its
 * choice {@link FlowHash#queueOfFrame}: each TCP flow on {@link FlowHash#queueOf} of its
 * endpoints, everything else (ARP, ICMP, UDP, fragments) on queue 0, and {@link #rxQueueOf} says
 * so. If the program cannot be loaded or attached, {@link #open} fails rather than fall back.
 * Unlike a single-queue TAP (EBUSY), a multi-queue TAP that another process holds takes further
 * queues without complaint, and then the queue numbers are not this device's: give each device a
 * TAP name of its own.
 *
 * <p>Pool memory is GC-managed, so buffers still held by the stack stay valid after
 * {@link #close()} until released.
 *
 * <p>Threads: {@link #receive} and {@link #transmit} for queue {@code q} on the shard that owns
 * queue {@code q} only; remove the device from its shards before closing it (a closed descriptor
 * number may be reused).
 */
public final class TapDevice implements NetDevice {

    public static final String CLONE_DEVICE = "/dev/net/tun";
    /** Offloads asked of the kernel: partial checksums and TCP/IPv4 segmentation (TSO needs CSUM). */
    private static final int TUN_OFFLOADS = Ifreq.TUN_F_CSUM | Ifreq.TUN_F_TSO4;

    private static final System.Logger LOG = System.getLogger(TapDevice.class.getName());

    private final TapSettings settings;
    private final String tapName;
    private final TapQueue[] queues;
    /** Whether every frame carries a virtio_net_hdr (IFF_VNET_HDR) and the offloads are on. */
    private final boolean offload;
    /** The steering program's descriptor (several queues), -1 with one queue. */
    private final int steeringFd;
    private final DeviceCapabilities capabilities;
    private volatile boolean closed;

    private TapDevice(TapSettings settings, String tapName, int[] fds, boolean offload, int steeringFd) {
        this.settings = settings;
        this.tapName = tapName;
        this.offload = offload;
        this.steeringFd = steeringFd;
        this.queues = new TapQueue[fds.length];
        for (int q = 0; q < fds.length; q++) {
            queues[q] = new TapQueue(q == 0 ? tapName : tapName + "#" + q, fds[q], settings.mtu(),
                    settings.poolBuffers(), settings.largeBuffers(), offload);
        }
        int maxFrameBytes = settings.mtu() + TapQueue.ETHERNET_HEADER;
        int offloads = (offload ? DeviceCapabilities.OFFLOAD_RX_CHECKSUM | DeviceCapabilities.OFFLOAD_TX_CHECKSUM
                | DeviceCapabilities.OFFLOAD_TSO : 0) | (fds.length > 1 ? DeviceCapabilities.OFFLOAD_RSS : 0);
        this.capabilities = new DeviceCapabilities(fds.length, offloads, maxFrameBytes);
    }

    /**
     * Creates the TAP (in the calling thread's network namespace) with its queues and, for more
     * than one, its steering program, and configures its kernel side when the settings carry a
     * host address.
     *
     * @throws TapException with a one-sentence message on any failure; nothing is left open
     */
    public static TapDevice open(TapSettings settings) {
        Linux linux = new Linux();
        int count = settings.queues();
        int[] fds = new int[count];
        Arrays.fill(fds, -1);
        int steeringFd = -1;
        boolean opened = false;
        try (Arena arena = Arena.ofConfined()) {
            fds[0] = linux.open(CLONE_DEVICE, Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
            if (fds[0] < 0) {
                int errno = -fds[0];
                fds[0] = -1;
                throw TapException.openFailed(CLONE_DEVICE, errno);
            }
            int features = features(linux, fds[0], arena);
            boolean offload = settings.offload() && (features & Ifreq.IFF_VNET_HDR) != 0;
            if (settings.offload() && !offload) {
                LOG.log(Level.WARNING, "the TUN driver does not offer IFF_VNET_HDR: running without offloads");
            }
            if (count > 1 && (features & Ifreq.IFF_MULTI_QUEUE) == 0) {
                throw new TapException(TapException.Reason.NO_DEVICE, "The kernel's TUN driver offers no multi-queue"
                        + " TAPs (IFF_MULTI_QUEUE): set queues to 1.");
            }
            short flags = (short) (Ifreq.IFF_TAP | Ifreq.IFF_NO_PI | (offload ? Ifreq.IFF_VNET_HDR : 0)
                    | (count > 1 ? Ifreq.IFF_MULTI_QUEUE : 0));
            Ifreq ifr = new Ifreq().wrap(arena.allocate(Ifreq.BYTES, 8), 0).clear();
            ifr.name(settings.tapName()).flags(flags);
            int r = linux.ioctl(fds[0], Ifreq.TUNSETIFF, ifr.segment());
            if (r < 0) {
                throw TapException.createFailed(settings.tapName(), -r);
            }
            String name = ifr.name();
            // queue q is the q-th descriptor attached (tun_attach numbers them so): attach in order
            for (int q = 1; q < count; q++) {
                fds[q] = linux.open(CLONE_DEVICE, Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
                if (fds[q] < 0) {
                    int errno = -fds[q];
                    fds[q] = -1;
                    throw TapException.openFailed(CLONE_DEVICE, errno);
                }
                r = linux.ioctl(fds[q], Ifreq.TUNSETIFF, ifr.clear().name(name).flags(flags).segment());
                if (r < 0) {
                    throw TapException.queueFailed(name, q, count, -r);
                }
            }
            if (offload) {
                offload = enableOffloads(linux, fds[0], name, arena); // per device, not per queue
            }
            if (count > 1) {
                steeringFd = attachSteering(linux, fds[0], name, count, arena);
            }
            if (settings.configuresHost()) {
                configureHost(linux, name, settings, arena);
            }
            TapDevice device = new TapDevice(settings, name, fds, offload, steeringFd);
            opened = true;
            return device;
        } finally {
            if (!opened) {
                for (int fd : fds) {
                    if (fd >= 0) {
                        linux.close(fd);
                    }
                }
                if (steeringFd >= 0) {
                    linux.close(steeringFd);
                }
            }
        }
    }

    /** TUNGETFEATURES: the IFF_* flags this kernel's TUN driver knows; 0 if it cannot say. */
    private static int features(Linux linux, int fd, Arena arena) {
        MemorySegment features = arena.allocate(ValueLayout.JAVA_INT);
        int r = linux.ioctl(fd, Ifreq.TUNGETFEATURES, features);
        return r < 0 ? 0 : features.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * TUNSETVNETHDRSZ to the 10-byte header, then TUNSETOFFLOAD. If the kernel refuses the offloads
     * the header stays (the flag is set) and is written as all zeroes: no offload either way.
     */
    private static boolean enableOffloads(Linux linux, int fd, String name, Arena arena) {
        MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
        size.set(ValueLayout.JAVA_INT, 0, VnetHeader.LENGTH);
        int r = linux.ioctl(fd, Ifreq.TUNSETVNETHDRSZ, size);
        if (r < 0) {
            throw TapException.configureFailed("set the virtio-net header size of", name, -r);
        }
        r = linux.ioctl(fd, Ifreq.TUNSETOFFLOAD, TUN_OFFLOADS);
        if (r < 0) {
            LOG.log(Level.WARNING, "{0}: the kernel refused TAP offloads ({1}): running without them", name,
                    Linux.errnoName(-r));
            linux.ioctl(fd, Ifreq.TUNSETOFFLOAD, 0L);
            return false;
        }
        return true;
    }

    /**
     * Loads the {@link SteeringProgram} for {@code count} queues and attaches it to the TAP
     * (TUNSETSTEERINGEBPF, per device). Returns the program's descriptor, which the device keeps
     * until it closes.
     */
    private static int attachSteering(Linux linux, int fd, String name, int count, Arena arena) {
        Bpf.Loaded program = SteeringProgram.load(count);
        if (!program.ok()) {
            throw TapException.steeringFailed(name, count, program.errno(), program.log());
        }
        MemorySegment programFd = arena.allocate(ValueLayout.JAVA_INT);
        programFd.set(ValueLayout.JAVA_INT, 0, program.fd());
        int r = linux.ioctl(fd, Ifreq.TUNSETSTEERINGEBPF, programFd);
        if (r < 0) {
            linux.close(program.fd());
            throw TapException.steeringAttachFailed(name, count, -r);
        }
        return program.fd();
    }

    /** Address, netmask, MTU and IFF_UP on the kernel side, through an AF_INET socket (netdevice(7)). */
    private static void configureHost(Linux linux, String name, TapSettings settings, Arena arena) {
        int socket = linux.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        if (socket < 0) {
            throw TapException.configureFailed("open a socket to configure", name, -socket);
        }
        try {
            Ifreq ifr = new Ifreq().wrap(arena.allocate(Ifreq.BYTES, 8), 0);
            check(linux.ioctl(socket, Ifreq.SIOCSIFADDR, ifr.clear().name(name).ipv4(settings.hostAddress()).segment()),
                    "set the address of", name);
            check(linux.ioctl(socket, Ifreq.SIOCSIFNETMASK,
                    ifr.clear().name(name).ipv4(settings.hostNetmask()).segment()), "set the netmask of", name);
            check(linux.ioctl(socket, Ifreq.SIOCSIFMTU, ifr.clear().name(name).mtu(settings.mtu()).segment()),
                    "set the MTU of", name);
            check(linux.ioctl(socket, Ifreq.SIOCGIFFLAGS, ifr.clear().name(name).segment()), "read the flags of", name);
            ifr.flags((short) (ifr.flags() | Ifreq.IFF_UP));
            check(linux.ioctl(socket, Ifreq.SIOCSIFFLAGS, ifr.segment()), "bring up", name);
        } finally {
            linux.close(socket);
        }
    }

    private static void check(int result, String step, String name) {
        if (result < 0) {
            throw TapException.configureFailed(step, name, -result);
        }
    }

    public TapSettings settings() {
        return settings;
    }

    /** The kernel's name for the TAP, as TUNSETIFF returned it. */
    public String tapName() {
        return tapName;
    }

    /** The descriptor of queue 0 on /dev/net/tun, -1 once closed. */
    public int fd() {
        return closed ? -1 : queues[0].fd();
    }

    @Override
    public String name() {
        return settings.name();
    }

    @Override
    public String description() {
        return "tap:" + tapName;
    }

    @Override
    public long macAddress() {
        return settings.macAddress();
    }

    @Override
    public int mtu() {
        return settings.mtu();
    }

    @Override
    public boolean isLinkUp() {
        return !closed;
    }

    @Override
    public DeviceCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public PacketPool pool(int queue) {
        return queue(queue).pool();
    }

    /**
     * Reads frames until the batch is full, the queue has none waiting (EAGAIN) or its pool is empty.
     * Frames shorter than an Ethernet header or longer than the MTU allows (with offloads: unless the
     * kernel coalesced them, gso_type set) are dropped and counted as receive errors.
     */
    @Override
    public int receive(int queue, PacketBatch batch) {
        return queue(queue).receive(queue, batch);
    }

    /**
     * Writes frames from the front of the batch, one write(2) each, until one would block (EAGAIN:
     * the caller keeps it and the rest). A frame the kernel refuses for another reason is dropped,
     * counted and taken all the same, so one bad frame cannot stall the queue.
     */
    @Override
    public int transmit(int queue, PacketBatch batch) {
        return queue(queue).transmit(batch);
    }

    /** Whether the TAP runs with IFF_VNET_HDR and the checksum and segmentation offloads. */
    public boolean offloading() {
        return offload;
    }

    @Override
    public int readinessFd(int queue) {
        return closed ? -1 : queue(queue).fd();
    }

    /**
     * {@link FlowHash#queueOf} over the device's queues: the queue the steering program picks for
     * the flow's TCP segments (0 with one queue).
     */
    @Override
    public int rxQueueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return FlowHash.queueOf(srcAddr, dstAddr, srcPort, dstPort, queues.length);
    }

    @Override
    public DeviceCounters counters(int queue) {
        return queue(queue).counters();
    }

    /**
     * Closes every queue's descriptor, which removes the (non-persistent) TAP, then the steering
     * program's. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TapQueue queue : queues) {
            queue.close();
        }
        if (steeringFd >= 0) {
            new Linux().close(steeringFd);
        }
    }

    private TapQueue queue(int queue) {
        if (queue < 0 || queue >= queues.length) {
            throw new IndexOutOfBoundsException("TAP device " + tapName + " has queues 0 to " + (queues.length - 1)
                    + ", not queue " + queue);
        }
        return queues[queue];
    }

    @Override
    public String toString() {
        return "TapDevice[" + settings.name() + " over " + tapName + ", mac " + MacAddress.format(settings.macAddress())
                + ", mtu " + settings.mtu() + (queues.length > 1 ? ", " + queues.length + " queues" : "")
                + (offload ? ", offloads" : "") + (closed ? ", closed" : "") + "]";
    }
}
