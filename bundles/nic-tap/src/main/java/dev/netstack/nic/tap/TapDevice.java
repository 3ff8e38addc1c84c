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
import java.lang.foreign.Arena;

/**
 * A {@link NetDevice} over a Linux TAP interface: one queue, one non-blocking file descriptor on
 * {@code /dev/net/tun}, one frame per read(2) or write(2). Read the kernel's
 * Documentation/networking/tuntap.rst first.
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
 * <p>Frames are read with {@code IFF_NO_PI}: no packet information header, no virtio-net header,
 * no offloads. Pool memory is GC-managed, so buffers still held by the stack stay valid after
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

    private final TapSettings settings;
    private final String tapName;
    private final int fd;
    private final PacketPool pool;
    private final int readBytes;
    private final int maxFrameBytes;
    private final DeviceCapabilities capabilities;
    private final DeviceCounters counters = new DeviceCounters();
    /** errno capture for the shard's data-path calls. */
    private final Linux dataPath = new Linux();
    private volatile boolean closed;

    private TapDevice(TapSettings settings, String tapName, int fd) {
        this.settings = settings;
        this.tapName = tapName;
        this.fd = fd;
        this.maxFrameBytes = settings.mtu() + ETHERNET_HEADER;
        int headroom = PacketPool.DEFAULT_HEADROOM;
        int bufferSize = Math.max(PacketPool.DEFAULT_BUFFER_SIZE,
                Integer.highestOneBit(headroom + maxFrameBytes + VLAN_TAG - 1) << 1);
        PacketMemory memory = PacketMemory.offHeap(Arena.ofAuto(), (long) bufferSize * settings.poolBuffers());
        this.pool = PacketPool.create("tap:" + tapName, memory, settings.poolBuffers(), bufferSize, headroom);
        this.readBytes = bufferSize - headroom;
        this.capabilities = new DeviceCapabilities(1, 0, maxFrameBytes);
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
            Ifreq ifr = new Ifreq().wrap(arena.allocate(Ifreq.BYTES, 8), 0).clear();
            ifr.name(settings.tapName()).flags((short) (Ifreq.IFF_TAP | Ifreq.IFF_NO_PI));
            int r = linux.ioctl(fd, Ifreq.TUNSETIFF, ifr.segment());
            if (r < 0) {
                throw TapException.createFailed(settings.tapName(), -r);
            }
            String name = ifr.name();
            if (settings.configuresHost()) {
                configureHost(linux, name, settings, arena);
            }
            TapDevice device = new TapDevice(settings, name, fd);
            fd = -1;
            return device;
        } finally {
            if (fd >= 0) {
                linux.close(fd);
            }
        }
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
     * Frames shorter than an Ethernet header or longer than the MTU allows are dropped and counted
     * as receive errors.
     */
    @Override
    public int receive(int queue, PacketBatch batch) {
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
            if (length < ETHERNET_HEADER || length > maxFrameBytes + VLAN_TAG) {
                counters.txDropped++;
                buffer.release();
                taken++;
                continue;
            }
            int n = dataPath.write(fd, buffer.segment().address() + buffer.offset(), length);
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
                counters.txBytes += n;
            }
            buffer.release();
            taken++;
        }
        return taken;
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
    }

    private static void checkQueue(int queue) {
        if (queue != 0) {
            throw new IndexOutOfBoundsException("a TAP device has one queue, not queue " + queue);
        }
    }

    @Override
    public String toString() {
        return "TapDevice[" + settings.name() + " over " + tapName + ", mac " + MacAddress.format(settings.macAddress())
                + ", mtu " + settings.mtu() + (closed ? ", closed" : "") + "]";
    }
}
