package dev.netstack.nic.tap.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A flyweight over {@code struct ifreq} (linux/if.h), as TUNSETIFF and the SIOC*IF* ioctls take it.
 * Read netdevice(7) first.
 *
 * <pre>
 *  0                16                 18         20              24 ......... 40
 *  | ifr_name[16]    | ifr_flags (short) |                                        |
 *  |                 | ifr_mtu (int)                         |                   |
 *  |                 | sin_family (short)| sin_port | sin_addr |  zero           |
 * </pre>
 *
 * <p>Flags, MTU and family are in host byte order (little-endian here); the port and address of
 * the {@code sockaddr_in} are in network byte order.
 */
public final class Ifreq {

    /** sizeof(struct ifreq) on 64-bit Linux: 16 bytes of name and a 24-byte union. */
    public static final int BYTES = 40;
    /** IFNAMSIZ: the name with its terminating NUL. */
    public static final int NAME_BYTES = 16;
    public static final int FLAGS = 16;
    public static final int MTU = 16;
    public static final int ADDR_FAMILY = 16;
    public static final int ADDR_PORT = 18;
    public static final int ADDR_IPV4 = 20;

    // TUN/TAP (linux/if_tun.h)
    public static final long TUNSETIFF = 0x4004_54caL;
    public static final short IFF_TAP = 0x0002;
    public static final short IFF_NO_PI = 0x1000;
    /** Every frame read or written starts with a struct virtio_net_hdr. */
    public static final short IFF_VNET_HDR = 0x4000;
    /** One TAP, several descriptors: each TUNSETIFF with the same name attaches one more queue. */
    public static final short IFF_MULTI_QUEUE = 0x0100;
    /**
     * _IOR('T', 224, int): attach the eBPF socket filter whose descriptor the int holds as the
     * device's queue selector (-1 detaches); per device, Linux 4.16 and later.
     */
    public static final long TUNSETSTEERINGEBPF = 0x8004_54e0L;
    /** _IOR('T', 207, unsigned int): the IFF_* flags this kernel's TUN driver supports. */
    public static final long TUNGETFEATURES = 0x8004_54cfL;
    /** _IOW('T', 208, unsigned int): the offloads the reader handles; the argument is the value, not a pointer. */
    public static final long TUNSETOFFLOAD = 0x4004_54d0L;
    /** _IOW('T', 216, int): size of the virtio-net header in front of each frame (pointer to an int). */
    public static final long TUNSETVNETHDRSZ = 0x4004_54d8L;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;

    // sockios.h
    public static final long SIOCGIFFLAGS = 0x8913;
    public static final long SIOCSIFFLAGS = 0x8914;
    public static final long SIOCSIFADDR = 0x8916;
    public static final long SIOCSIFNETMASK = 0x891c;
    public static final long SIOCSIFMTU = 0x8922;
    public static final short IFF_UP = 0x1;

    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_HOST = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt INT_HOST = ValueLayout.JAVA_INT_UNALIGNED;

    private MemorySegment segment;
    private long offset;

    public Ifreq wrap(MemorySegment segment, long offset) {
        checkLength(segment, offset);
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** The wrapped segment, to pass to ioctl(2) (it must start the struct: offset 0). */
    public MemorySegment segment() {
        return segment;
    }

    public static void checkLength(MemorySegment segment, long offset) {
        if (offset < 0 || segment.byteSize() - offset < BYTES) {
            throw new IndexOutOfBoundsException("struct ifreq needs " + BYTES + " bytes at " + offset + " of "
                    + segment.byteSize());
        }
    }

    /** Zeroes the whole struct (the kernel reads the union for some requests). */
    public Ifreq clear() {
        segment.asSlice(offset, BYTES).fill((byte) 0);
        return this;
    }

    /** The name, NUL-padded; the caller has checked it fits (at most 15 bytes). */
    public Ifreq name(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= NAME_BYTES) {
            throw new IllegalArgumentException("interface name longer than " + (NAME_BYTES - 1) + " bytes: " + name);
        }
        for (int i = 0; i < NAME_BYTES; i++) {
            segment.set(ValueLayout.JAVA_BYTE, offset + i, i < bytes.length ? bytes[i] : 0);
        }
        return this;
    }

    public String name() {
        int length = 0;
        while (length < NAME_BYTES && segment.get(ValueLayout.JAVA_BYTE, offset + length) != 0) {
            length++;
        }
        byte[] bytes = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public short flags() {
        return segment.get(SHORT_HOST, offset + FLAGS);
    }

    public Ifreq flags(short flags) {
        segment.set(SHORT_HOST, offset + FLAGS, flags);
        return this;
    }

    public int mtu() {
        return segment.get(INT_HOST, offset + MTU);
    }

    public Ifreq mtu(int mtu) {
        segment.set(INT_HOST, offset + MTU, mtu);
        return this;
    }

    /** A {@code sockaddr_in} with {@code address} (big-endian int) and port 0. */
    public Ifreq ipv4(int address) {
        segment.set(SHORT_HOST, offset + ADDR_FAMILY, (short) 2); // AF_INET
        segment.set(INT_BE, offset + ADDR_IPV4, address);
        segment.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + ADDR_PORT, (short) 0);
        return this;
    }

    public short family() {
        return segment.get(SHORT_HOST, offset + ADDR_FAMILY);
    }

    public int ipv4() {
        return segment.get(INT_BE, offset + ADDR_IPV4);
    }

    @Override
    public String toString() {
        int a = ipv4();
        return "ifreq[" + name() + " flags=0x" + Integer.toHexString(flags() & 0xFFFF) + " family=" + family()
                + " addr=" + (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF) + "]";
    }
}
