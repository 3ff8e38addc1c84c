package dev.netstack.nic.tap;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.tap.TapException.Reason;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * What a {@link TapDevice} is opened with, validated on construction.
 *
 * @param name the stack interface the device serves ({@code eth0})
 * @param tapName the kernel's TAP interface ({@code ns0}), at most {@value #MAX_TAP_NAME} bytes
 * @param macAddress the stack's MAC (not the kernel TAP's own), 48 bits
 * @param mtu largest layer 3 packet, {@value #MIN_MTU}..{@value #MAX_MTU}
 * @param hostAddress the kernel side's IPv4 address, big-endian; meaningful when {@code hostPrefixLength > 0}
 * @param hostPrefixLength the kernel side's prefix length, 1..32; 0 = leave the kernel side alone
 * @param poolBuffers buffers in the device's pool
 * @param offload whether to open the TAP with {@code IFF_VNET_HDR} and ask for checksum and TCP
 *        segmentation offloads ({@code TUNSETOFFLOAD}); see {@link TapDevice}
 * @param queues queue pairs, 1..{@value #MAX_QUEUES}: more than one opens the TAP with
 *        {@code IFF_MULTI_QUEUE}, one descriptor and one pool of {@code poolBuffers} per queue, and
 *        steers flows by an eBPF program; see {@link TapDevice}
 */
public record TapSettings(String name, String tapName, long macAddress, int mtu, int hostAddress,
        int hostPrefixLength, int poolBuffers, boolean offload, int queues) {

    /** IFNAMSIZ - 1: interface names are at most 15 bytes plus the NUL. */
    public static final int MAX_TAP_NAME = 15;
    /** RFC 791: every host handles 68-byte datagrams. */
    public static final int MIN_MTU = 68;
    /** Jumbo frames; a pool buffer holds a whole frame. */
    public static final int MAX_MTU = 9000;
    /** Most queues a TAP is opened with: one per lane, and lanes are cores (the kernel allows 256). */
    public static final int MAX_QUEUES = 16;

    public TapSettings {
        if (name == null || name.isBlank()) {
            throw bad("The interface name (name) must not be empty.");
        }
        String tapProblem = tapNameProblem(tapName);
        if (tapProblem != null) {
            throw bad(tapProblem);
        }
        if ((macAddress & ~0xFFFF_FFFF_FFFFL) != 0 || MacAddress.isMulticast(macAddress) || macAddress == 0) {
            throw bad("The MAC address (mac) " + MacAddress.format(macAddress & 0xFFFF_FFFF_FFFFL)
                    + " is not a unicast address: use one whose first octet is even, like 02:00:00:00:00:01.");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU) {
            throw bad("The MTU (mtu) " + mtu + " is out of range: use " + MIN_MTU + " to " + MAX_MTU + ".");
        }
        if (hostPrefixLength < 0 || hostPrefixLength > 32) {
            throw bad("The host prefix length " + hostPrefixLength + " is out of range: use 1 to 32.");
        }
        if (poolBuffers < 16 || poolBuffers > 1 << 20) {
            throw bad("The pool size (pool.buffers) " + poolBuffers + " is out of range: use 16 to 1048576.");
        }
        if (queues < 1 || queues > MAX_QUEUES) {
            throw bad("The queue count (queues) " + queues + " is out of range: use 1 to " + MAX_QUEUES + ".");
        }
    }

    /** Settings of a single-queue TAP, offloads on or off. */
    public TapSettings(String name, String tapName, long macAddress, int mtu, int hostAddress, int hostPrefixLength,
            int poolBuffers, boolean offload) {
        this(name, tapName, macAddress, mtu, hostAddress, hostPrefixLength, poolBuffers, offload, 1);
    }

    /** Settings without offloads: one plain Ethernet frame per read and write. */
    public TapSettings(String name, String tapName, long macAddress, int mtu, int hostAddress, int hostPrefixLength,
            int poolBuffers) {
        this(name, tapName, macAddress, mtu, hostAddress, hostPrefixLength, poolBuffers, false, 1);
    }

    /** The same settings with offloads on or off. */
    public TapSettings withOffload(boolean on) {
        return new TapSettings(name, tapName, macAddress, mtu, hostAddress, hostPrefixLength, poolBuffers, on, queues);
    }

    /** The same settings with {@code count} queues; throws a TapException if out of range. */
    public TapSettings withQueues(int count) {
        return new TapSettings(name, tapName, macAddress, mtu, hostAddress, hostPrefixLength, poolBuffers, offload,
                count);
    }

    /**
     * Buffers of the device's second pool, for frames larger than the MTU (with offloads): one in
     * sixteen of {@link #poolBuffers()}, 16 to 1024.
     */
    public int largeBuffers() {
        return Math.clamp(poolBuffers / 16, 16, 1024);
    }

    /** Defaults for {@code name} over TAP {@code tapName}: derived MAC, MTU 1500, kernel side untouched. */
    public static TapSettings defaults(String name, String tapName) {
        return new TapSettings(name, tapName, defaultMac(tapName), 1500, 0, 0, 4096);
    }

    /**
     * Parses settings as configuration gives them: {@code mac} empty = derived from the TAP name,
     * {@code hostCidr} empty = leave the kernel side alone.
     *
     * @throws TapException ({@link Reason#BAD_CONFIGURATION}) with a message naming the setting
     */
    public static TapSettings parse(String name, String tapName, String mac, int mtu, String hostCidr,
            int poolBuffers) {
        return parse(name, tapName, mac, mtu, hostCidr, poolBuffers, false);
    }

    /** {@link #parse(String, String, String, int, String, int)} with offloads on or off. */
    public static TapSettings parse(String name, String tapName, String mac, int mtu, String hostCidr,
            int poolBuffers, boolean offload) {
        return parse(name, tapName, mac, mtu, hostCidr, poolBuffers, offload, 1);
    }

    /** {@link #parse(String, String, String, int, String, int, boolean)} with {@code queues} queues. */
    public static TapSettings parse(String name, String tapName, String mac, int mtu, String hostCidr,
            int poolBuffers, boolean offload, int queues) {
        long macAddress;
        if (mac == null || mac.isBlank()) {
            macAddress = defaultMac(tapName == null ? "" : tapName);
        } else {
            try {
                macAddress = MacAddress.parse(mac);
            } catch (IllegalArgumentException e) {
                throw bad("The MAC address (mac) '" + mac.trim()
                        + "' is not six hex octets: write it like 02:00:00:00:00:01.");
            }
        }
        int address = 0;
        int prefix = 0;
        if (hostCidr != null && !hostCidr.isBlank()) {
            long parsed = parseCidr(hostCidr.trim());
            address = (int) (parsed >>> 8);
            prefix = (int) (parsed & 0xFF);
        }
        return new TapSettings(name, tapName, macAddress, mtu, address, prefix, poolBuffers, offload, queues);
    }

    /** Whether the kernel side gets an address, netmask, MTU and IFF_UP. */
    public boolean configuresHost() {
        return hostPrefixLength > 0;
    }

    /** The kernel side's netmask, big-endian. */
    public int hostNetmask() {
        return hostPrefixLength == 0 ? 0 : (int) (0xFFFF_FFFFL << (32 - hostPrefixLength));
    }

    /** A locally administered unicast MAC derived from the TAP name, stable across runs. */
    public static long defaultMac(String tapName) {
        CRC32 crc = new CRC32();
        crc.update(tapName.getBytes(StandardCharsets.UTF_8));
        return MacAddress.locallyAdministered(0x0200_0000_0000L | crc.getValue());
    }

    /** {@code a.b.c.d/n} as {@code address << 8 | n}; throws a configuration TapException otherwise. */
    static long parseCidr(String cidr) {
        String problem = "The host address (host.address) '" + cidr
                + "' is not an IPv4 address with prefix length: write it like 198.18.0.1/24.";
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw bad(problem);
        }
        String[] octets = cidr.substring(0, slash).split("\\.", -1);
        if (octets.length != 4) {
            throw bad(problem);
        }
        long address = 0;
        int prefix;
        try {
            for (String octet : octets) {
                if (octet.isEmpty() || octet.length() > 3 || !octet.chars().allMatch(Character::isDigit)) {
                    throw bad(problem);
                }
                int value = Integer.parseInt(octet);
                if (value > 255) {
                    throw bad(problem);
                }
                address = (address << 8) | value;
            }
            String prefixText = cidr.substring(slash + 1);
            if (prefixText.isEmpty() || prefixText.length() > 2 || !prefixText.chars().allMatch(Character::isDigit)) {
                throw bad(problem);
            }
            prefix = Integer.parseInt(prefixText);
        } catch (NumberFormatException e) {
            throw bad(problem);
        }
        if (prefix < 1 || prefix > 32) {
            throw bad("The host address (host.address) '" + cidr + "' has prefix length " + prefix
                    + ": use 1 to 32.");
        }
        return (address << 8) | prefix;
    }

    /** Why {@code tapName} cannot name an interface (the kernel's dev_valid_name), or null if it can. */
    static String tapNameProblem(String tapName) {
        if (tapName == null || tapName.isEmpty()) {
            return "The TAP name (tap) must not be empty.";
        }
        int bytes = tapName.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_TAP_NAME) {
            return "The TAP name (tap) '" + tapName + "' is too long: use at most " + MAX_TAP_NAME + " characters.";
        }
        if (tapName.equals(".") || tapName.equals("..")) {
            return "The TAP name (tap) '" + tapName + "' is not a valid interface name.";
        }
        for (int i = 0; i < tapName.length(); i++) {
            char c = tapName.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20 || c > 0x7E) {
                return "The TAP name (tap) '" + tapName
                        + "' is not a valid interface name: use letters, digits, '-', '_' or '.'.";
            }
        }
        return null;
    }

    private static TapException bad(String message) {
        return new TapException(Reason.BAD_CONFIGURATION, message);
    }
}
