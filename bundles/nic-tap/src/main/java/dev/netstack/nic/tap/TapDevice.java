package dev.netstack.nic.tap;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.nic.tap.TapException.Reason;
import dev.netstack.nic.tap.internal.Ifreq;
import dev.netstack.runtime.os.Linux;
import dev.netstack.nic.tap.internal.VnetHeader;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@link NetDevice} over a Linux TAP interface: one queue, one non-blocking file descriptor on
 * {@code /dev/net/tun}, one frame per read(2) or write(2). Read the kernel's
 * Documentation/networking/tuntap.rst first, then virtio 1.2 §5.1.6 for the offload header.
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
 * <p>Pool memory is GC-managed, so buffers still held by the stack stay valid after
 * {@link #close()} until released.
 *
 * <p>Threads: {@link #receive} and {@link #transmit} on the shard that owns queue 0 only; remove
 * the device from the shard before closing it (a closed descriptor number may be reused).
 */
public final class TapDevice implements NetDevice {

    public static final String CLONE_DEVICE = "/dev/net/tun";
    /** Ethernet II header: destination, source, EtherType. */
    private static final int ETHERNET_HEADER = 14;
    /** Room for one 802.1Q tag beyond the MTU. */
    private static final int VLAN_TAG = 4;
    /** Offloads asked of the kernel: partial checksums and TCP/IPv4 segmentation (TSO needs CSUM). */
    private static final int TUN_OFFLOADS = Ifreq.TUN_F_CSUM | Ifreq.TUN_F_TSO4;
    /** TCP's checksum field, from the start of its header (RFC 9293 §3.1). */
    private static final int TCP_CHECKSUM_FIELD = 16;
    /** Smallest TCP header, IPv4 header; a segmented frame has at least both after Ethernet. */
    private static final int MIN_TCP_IPV4_HEADERS = 40;

    private static final System.Logger LOG = System.getLogger(TapDevice.class.getName());

    private final TapSettings settings;
    private final String tapName;
    private final int fd;
    private final PacketPool pool;
    private final int readBytes;
    private final int maxFrameBytes;
    /** Whether every frame carries a virtio_net_hdr (IFF_VNET_HDR) and the offloads are on. */
    private final boolean offload;
    /** Frames larger than the MTU (with offloads): coalesced receives; null without offloads. */
    private final PacketPool largePool;
    private final int largeReadBytes;
    /** The large buffer the next read goes into (with offloads); kept while frames fit small buffers. */
    private PacketBuffer staging;
    /** Header and frame of a transmit whose buffer has no headroom for the header (with offloads). */
    private final MemorySegment txScratch;
    private final VnetHeader vnet = new VnetHeader();
    private final DeviceCapabilities capabilities;
    private final DeviceCounters counters = new DeviceCounters();
    /** errno capture for the shard's data-path calls. */
    private final Linux dataPath = new Linux();
    private volatile boolean closed;

    private TapDevice(TapSettings settings, String tapName, int fd, boolean offload) {
        this.settings = settings;
        this.tapName = tapName;
        this.fd = fd;
        this.offload = offload;
        this.maxFrameBytes = settings.mtu() + ETHERNET_HEADER;
        int headroom = PacketPool.DEFAULT_HEADROOM;
        int bufferSize = Math.max(PacketPool.DEFAULT_BUFFER_SIZE,
                Integer.highestOneBit(headroom + maxFrameBytes + VLAN_TAG - 1) << 1);
        PacketMemory memory = PacketMemory.offHeap(Arena.ofAuto(), (long) bufferSize * settings.poolBuffers());
        this.pool = PacketPool.create("tap:" + tapName, memory, settings.poolBuffers(), bufferSize, headroom);
        this.readBytes = bufferSize - headroom;
        if (offload) {
            // 64-byte multiple holding the headroom, the largest IPv4 datagram with Ethernet and a VLAN tag
            int largeSize = (headroom + DeviceCapabilities.MAX_SEGMENTED_FRAME_BYTES + VLAN_TAG + 63) & ~63;
            int count = settings.largeBuffers();
            this.largePool = PacketPool.create("tap-large:" + tapName,
                    PacketMemory.offHeap(Arena.ofAuto(), (long) largeSize * count), count, largeSize, headroom);
            this.largeReadBytes = largeSize - headroom;
            this.txScratch = Arena.ofAuto().allocate(largeSize, 64);
            this.capabilities = new DeviceCapabilities(1, DeviceCapabilities.OFFLOAD_RX_CHECKSUM
                    | DeviceCapabilities.OFFLOAD_TX_CHECKSUM | DeviceCapabilities.OFFLOAD_TSO, maxFrameBytes);
        } else {
            this.largePool = null;
            this.largeReadBytes = 0;
            this.txScratch = null;
            this.capabilities = new DeviceCapabilities(1, 0, maxFrameBytes);
        }
    }

    /**
     * Creates the TAP (in the calling thread's network namespace), and configures its kernel side
     * when the settings carry a host address.
     *
     * @throws TapException with a one-sentence message on any failure; nothing is left open
     */
    public static TapDevice open(TapSettings settings) {
        Linux linux = new Linux();
        int fd = linux.open(CLONE_DEVICE, Linux.O_RDWR | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw TapException.openFailed(CLONE_DEVICE, -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            boolean offload = settings.offload() && supportsVnetHeader(linux, fd, arena);
            Ifreq ifr = new Ifreq().wrap(arena.allocate(Ifreq.BYTES, 8), 0).clear();
            ifr.name(settings.tapName())
                    .flags((short) (Ifreq.IFF_TAP | Ifreq.IFF_NO_PI | (offload ? Ifreq.IFF_VNET_HDR : 0)));
            int r = linux.ioctl(fd, Ifreq.TUNSETIFF, ifr.segment());
            if (r < 0) {
                throw TapException.createFailed(settings.tapName(), -r);
            }
            String name = ifr.name();
            if (offload) {
                offload = enableOffloads(linux, fd, name, arena);
            }
            if (settings.configuresHost()) {
                configureHost(linux, name, settings, arena);
            }
            TapDevice device = new TapDevice(settings, name, fd, offload);
            fd = -1;
            return device;
        } finally {
            if (fd >= 0) {
                linux.close(fd);
            }
        }
    }

    /** TUNGETFEATURES: whether this kernel's TUN driver knows IFF_VNET_HDR. */
    private static boolean supportsVnetHeader(Linux linux, int fd, Arena arena) {
        MemorySegment features = arena.allocate(ValueLayout.JAVA_INT);
        int r = linux.ioctl(fd, Ifreq.TUNGETFEATURES, features);
        boolean supported = r >= 0 && (features.get(ValueLayout.JAVA_INT, 0) & Ifreq.IFF_VNET_HDR) != 0;
        if (!supported) {
            LOG.log(Level.WARNING, "the TUN driver does not offer IFF_VNET_HDR: running without offloads");
        }
        return supported;
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

    /** The descriptor on /dev/net/tun, -1 once closed. */
    public int fd() {
        return closed ? -1 : fd;
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
        checkQueue(queue);
        return pool;
    }

    /**
     * Reads frames until the batch is full, the TAP has none waiting (EAGAIN) or the pool is empty.
     * Frames shorter than an Ethernet header or longer than the MTU allows (with offloads: unless the
     * kernel coalesced them, gso_type set) are dropped and counted as receive errors.
     */
    @Override
    public int receive(int queue, PacketBatch batch) {
        if (offload) {
            return receiveWithHeader(queue, batch);
        }
        int received = 0;
        int headroom = pool.headroom();
        while (batch.remaining() > 0 && !closed) {
            PacketBuffer buffer = pool.allocate();
            if (buffer == null) {
                break; // frames wait in the kernel's queue until the stack releases buffers
            }
            int n = dataPath.read(fd, buffer.segment().address() + headroom, readBytes);
            if (n < 0) {
                buffer.release();
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n != -Linux.EAGAIN) {
                    counters.rxErrors++;
                }
                break;
            }
            if (n < ETHERNET_HEADER || n > maxFrameBytes + VLAN_TAG) {
                buffer.release();
                counters.rxErrors++;
                continue;
            }
            buffer.setData(headroom, n).setQueue(queue).setLinkOffset(headroom);
            batch.add(buffer);
            counters.rxPackets++;
            counters.rxBytes += n;
            received++;
        }
        return received;
    }

    /**
     * With IFF_VNET_HDR: reads header and frame into a large buffer ({@link #staging}); a frame that
     * fits a normal buffer is copied into one (a copy of at most an MTU costs less than the read),
     * a larger one (a coalesced TCP segment) is handed up in the large buffer itself.
     */
    private int receiveWithHeader(int queue, PacketBatch batch) {
        int received = 0;
        int headroom = largePool.headroom();
        while (batch.remaining() > 0 && !closed) {
            PacketBuffer large = staging;
            if (large == null) {
                large = largePool.allocate();
                if (large == null) {
                    break; // frames wait in the kernel's queue until the stack releases buffers
                }
                staging = large;
            }
            long at = large.segment().address() + headroom - VnetHeader.LENGTH;
            int n = dataPath.read(fd, at, largeReadBytes + VnetHeader.LENGTH);
            if (n < 0) {
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n != -Linux.EAGAIN) {
                    counters.rxErrors++;
                }
                break;
            }
            n -= VnetHeader.LENGTH;
            if (n < ETHERNET_HEADER) {
                counters.rxErrors++;
                continue;
            }
            vnet.wrap(large.segment(), headroom - VnetHeader.LENGTH);
            int flags = 0;
            int vnetFlags = vnet.flags();
            if ((vnetFlags & VnetHeader.F_NEEDS_CSUM) != 0) {
                // §5.1.6.4: the kernel's own send with the layer 4 sum left partial. The data never
                // crossed a wire, so it is trusted as Linux trusts CHECKSUM_PARTIAL on receive.
                int start = vnet.csumStart();
                if (start < ETHERNET_HEADER || start + vnet.csumOffset() + 2 > n) {
                    counters.rxErrors++; // a checksum range outside the frame: malformed
                    continue;
                }
                flags = PacketBuffer.FLAG_CHECKSUM_VERIFIED;
            } else if ((vnetFlags & VnetHeader.F_DATA_VALID) != 0) {
                flags = PacketBuffer.FLAG_CHECKSUM_VERIFIED;
            }
            boolean coalesced = (vnet.gsoType() & ~VnetHeader.GSO_ECN) != VnetHeader.GSO_NONE;
            if (!coalesced && n > maxFrameBytes + VLAN_TAG) {
                counters.rxErrors++;
                continue;
            }
            PacketBuffer buffer;
            if (n <= readBytes && (buffer = pool.allocate()) != null) {
                MemorySegment.copy(large.segment(), headroom, buffer.segment(), pool.headroom(), n);
                buffer.setData(pool.headroom(), n).setLinkOffset(pool.headroom());
            } else {
                buffer = large;
                staging = null;
                buffer.setData(headroom, n).setLinkOffset(headroom);
            }
            buffer.setFlags(flags).setQueue(queue);
            if (flags != 0) {
                counters.rxChecksumOffloaded++;
            }
            if (coalesced) {
                counters.rxSegmented++;
            }
            batch.add(buffer);
            counters.rxPackets++;
            counters.rxBytes += n;
            received++;
            if (staging == null && batch.remaining() > 0) {
                staging = largePool.allocate();
                if (staging == null) {
                    break;
                }
            }
        }
        return received;
    }

    /**
     * Writes frames from the front of the batch, one write(2) each, until one would block (EAGAIN:
     * the caller keeps it and the rest). A frame the kernel refuses for another reason is dropped,
     * counted and taken all the same, so one bad frame cannot stall the queue.
     */
    @Override
    public int transmit(int queue, PacketBatch batch) {
        int taken = 0;
        int size = batch.size();
        while (taken < size && !closed) {
            PacketBuffer buffer = batch.get(taken);
            int length = buffer.length();
            boolean segmented = offload && buffer.hasFlag(PacketBuffer.FLAG_SEGMENTED);
            int limit = segmented ? DeviceCapabilities.MAX_SEGMENTED_FRAME_BYTES + VLAN_TAG : maxFrameBytes + VLAN_TAG;
            if (length < ETHERNET_HEADER || length > limit) {
                counters.txDropped++;
                buffer.release();
                taken++;
                continue;
            }
            int header = 0;
            long from = buffer.segment().address() + buffer.offset();
            if (offload) {
                MemorySegment bytes = buffer.segment();
                long at = buffer.offset() - VnetHeader.LENGTH;
                if (at < 0) {
                    // no headroom for the header (rare: a buffer from elsewhere): write from a copy
                    MemorySegment.copy(bytes, buffer.offset(), txScratch, VnetHeader.LENGTH, length);
                    bytes = txScratch;
                    at = 0;
                    from = txScratch.address() + VnetHeader.LENGTH;
                }
                if (!writeHeader(buffer, bytes, at, segmented)) {
                    counters.txDropped++; // an offload request outside the frame: never hand it to the kernel
                    buffer.release();
                    taken++;
                    continue;
                }
                header = VnetHeader.LENGTH;
            }
            int n = dataPath.write(fd, from - header, length + header);
            if (n < 0) {
                if (n == -Linux.EINTR) {
                    continue;
                }
                if (n == -Linux.EAGAIN) {
                    break;
                }
                counters.txErrors++;
            } else {
                counters.txPackets++;
                counters.txBytes += n - header;
            }
            buffer.release();
            taken++;
        }
        return taken;
    }

    /**
     * The virtio_net_hdr in the {@value VnetHeader#LENGTH} bytes in front of the frame. A segmented
     * frame: gso_type TCPV4, gso_size, hdr_len up to the end of the TCP header, and NEEDS_CSUM over
     * the TCP header at {@link PacketBuffer#transportOffset()} (§5.1.6.2). Returns false if the
     * request does not fit the frame.
     */
    private boolean writeHeader(PacketBuffer buffer, MemorySegment bytes, long at, boolean segmented) {
        vnet.wrap(bytes, at).clear();
        int length = buffer.length();
        if (segmented) {
            int start = buffer.transportOffset() - buffer.offset();
            if (buffer.transportOffset() < 0 || start < ETHERNET_HEADER + 20 || start + 20 > length) {
                return false;
            }
            int dataOffsetByte = buffer.segment().get(ValueLayout.JAVA_BYTE, buffer.transportOffset() + 12L) & 0xFF;
            int headers = start + (dataOffsetByte >>> 4) * 4;
            int mss = buffer.segmentBytes();
            if (headers > length || mss <= 0 || mss > 0xFFFF || headers < ETHERNET_HEADER + MIN_TCP_IPV4_HEADERS) {
                return false;
            }
            vnet.flags(VnetHeader.F_NEEDS_CSUM).gsoType(VnetHeader.GSO_TCPV4).hdrLen(headers).gsoSize(mss)
                    .csumStart(start).csumOffset(TCP_CHECKSUM_FIELD);
            counters.txChecksumOffloaded++;
            if (length > maxFrameBytes) {
                counters.txSegmented++;
            }
        } else if (buffer.hasFlag(PacketBuffer.FLAG_CHECKSUM_PARTIAL)) {
            int start = buffer.checksumStart();
            if (start < ETHERNET_HEADER || start + buffer.checksumOffset() + 2 > length) {
                return false;
            }
            vnet.flags(VnetHeader.F_NEEDS_CSUM).csumStart(start).csumOffset(buffer.checksumOffset());
            counters.txChecksumOffloaded++;
        }
        return true;
    }

    /** Whether the TAP runs with IFF_VNET_HDR and the checksum and segmentation offloads. */
    public boolean offloading() {
        return offload;
    }

    @Override
    public int readinessFd(int queue) {
        checkQueue(queue);
        return closed ? -1 : fd;
    }

    @Override
    public DeviceCounters counters(int queue) {
        checkQueue(queue);
        return counters;
    }

    /** Closes the descriptor, which removes the (non-persistent) TAP. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        new Linux().close(fd);
        // the staging buffer stays unreleased: it is shard-confined, and the pool's memory is GC-managed
    }

    private static void checkQueue(int queue) {
        if (queue != 0) {
            throw new IndexOutOfBoundsException("a TAP device has one queue, not queue " + queue);
        }
    }

    @Override
    public String toString() {
        return "TapDevice[" + settings.name() + " over " + tapName + ", mac " + MacAddress.format(settings.macAddress())
                + ", mtu " + settings.mtu() + (offload ? ", offloads" : "") + (closed ? ", closed" : "") + "]";
    }
}
