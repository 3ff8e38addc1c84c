package dev.netstack.launcher;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The command lines of the packet tools {@code pktgen} and {@code fwd}, in the spirit of ixy's
 * ixy-pktgen and ixy-fwd: they open NIC devices directly (no stack, no OSGi) and run one tight
 * batched loop on one thread ({@link PacketLoops}). Nothing here touches a device.
 */
final class PacketTools {

    static final String DEFAULT_TAP = "ns0";
    static final String DEFAULT_TAP2 = "ns1";
    static final int DEFAULT_SECONDS = 10;
    static final int DEFAULT_SIZE = 60;
    static final int DEFAULT_BATCH = 32;
    static final int MAX_BATCH = 256;

    private PacketTools() {
    }

    /**
     * One device to open: a TAP ({@code tap}, optionally giving its kernel side {@code hostAddress},
     * which also sets it up), a virtio-net PCI function or an 82599 port ({@code pci}, DMA memory
     * from {@code hugepages} or the first hugetlbfs mount).
     */
    record DeviceOptions(String backend, String tap, String hostAddress, String mac, String pci, String hugepages) {

        boolean virtio() {
            return "virtio".equals(backend);
        }

        boolean ixgbe() {
            return "ixgbe".equals(backend);
        }

        /** Whether the device is a PCI function the tool drives itself (virtio or ixgbe), not a TAP. */
        boolean pciDevice() {
            return virtio() || ixgbe();
        }

        String describe() {
            return pciDevice() ? backend + " " + pci : "tap " + tap;
        }
    }

    /** {@code pktgen}: transmit {@code size}-byte frames for {@code seconds} (0: until interrupted). */
    record Pktgen(DeviceOptions device, int seconds, int size, int batch) implements CommandLine.Invocation {
    }

    /** {@code fwd}: forward frames both ways between {@code first} and {@code second}. */
    record Fwd(DeviceOptions first, DeviceOptions second, int seconds, int batch) implements CommandLine.Invocation {
    }

    static CommandLine.Invocation parse(String command, List<String> args) throws UsageException {
        boolean fwd = command.equals("fwd");
        String backend = null;
        String[] tap = new String[2];
        String[] pci = new String[2];
        String[] hostAddress = new String[2];
        String[] mac = new String[2];
        String hugepages = null;
        int seconds = DEFAULT_SECONDS;
        int size = DEFAULT_SIZE;
        int batch = DEFAULT_BATCH;
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            String inline = null;
            int equals = option.indexOf('=');
            if (option.startsWith("--") && equals > 0) {
                inline = option.substring(equals + 1);
                option = option.substring(0, equals);
            }
            if (option.equals("--help") || option.equals("-h")) {
                return new CommandLine.Help(command, false);
            }
            if (!option.startsWith("-")) {
                throw new UsageException("unexpected argument '" + option + "' for " + command + ": see ./netstack " + command + " --help.");
            }
            String value;
            if (inline != null) {
                value = inline;
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                throw new UsageException(option + " needs a value: see ./netstack " + command + " --help.");
            }
            if (value.isEmpty()) {
                throw new UsageException(option + " needs a value: see ./netstack " + command + " --help.");
            }
            int second = fwd && option.endsWith("2") ? 1 : 0;
            String base = second == 1 ? option.substring(0, option.length() - 1) : option;
            switch (base) {
                case "--backend" -> {
                    if (second == 1 || !CommandLine.TOOL_BACKENDS.contains(value)) {
                        throw new UsageException(second == 1 ? "unknown option '" + option + "' for " + command + ": see ./netstack " + command + " --help."
                                : "unknown backend '" + value + "': the backends are " + String.join(", ", CommandLine.TOOL_BACKENDS) + ".");
                    }
                    backend = value;
                }
                case "--tap" -> tap[second] = checkInterfaceName(option, value);
                case "--pci" -> pci[second] = CommandLine.checkPci(option, value);
                case "--host-address" -> hostAddress[second] = Addresses.checkCidr(option, value);
                case "--mac" -> mac[second] = Addresses.checkMac(option, value);
                case "--hugepages" -> hugepages = value;
                case "--seconds" -> seconds = Addresses.checkInt(option, value, 0, 86_400);
                case "--batch" -> batch = Addresses.checkInt(option, value, 1, MAX_BATCH);
                case "--size" -> {
                    if (fwd) {
                        throw new UsageException("unknown option '--size' for fwd: fwd forwards the frames it receives as they are.");
                    }
                    size = Addresses.checkInt(option, value, 60, 1514);
                }
                default -> throw new UsageException("unknown option '" + option + "' for " + command + ": see ./netstack " + command + " --help.");
            }
        }
        if (backend == null) {
            backend = pci[0] != null ? "virtio" : "tap";
        }
        DeviceOptions first = device(command, backend, tap[0], pci[0], hostAddress[0], mac[0], hugepages, DEFAULT_TAP, "");
        if (!fwd) {
            return new Pktgen(first, seconds, size, batch);
        }
        DeviceOptions second = device(command, backend, tap[1], pci[1], hostAddress[1], mac[1], hugepages, DEFAULT_TAP2, "2");
        if (first.pciDevice() ? first.pci().equals(second.pci()) : first.tap().equals(second.tap())) {
            throw new UsageException("fwd needs two different devices: give " + (first.pciDevice() ? "--pci A --pci2 B" : "--tap A --tap2 B") + ".");
        }
        return new Fwd(first, second, seconds, batch);
    }

    private static DeviceOptions device(String command, String backend, String tap, String pci, String hostAddress,
            String mac, String hugepages, String defaultTap, String suffix) throws UsageException {
        if (backend.equals("virtio")) {
            if (pci == null) {
                throw new UsageException("--backend virtio needs --pci" + suffix + " ADDR, the device's PCI address like 0000:00:04.0: see ./netstack "
                        + command + " --help.");
            }
            if (tap != null || hostAddress != null) {
                throw new UsageException((tap != null ? "--tap" : "--host-address") + suffix
                        + " applies to --backend tap only: a virtio device has no kernel side.");
            }
            return new DeviceOptions(backend, null, null, mac, pci, hugepages);
        }
        if (backend.equals("ixgbe")) {
            if (pci == null) {
                throw new UsageException("--backend ixgbe needs --pci" + suffix + " ADDR, the 82599 port's PCI address like 0000:03:00.0: see ./netstack "
                        + command + " --help.");
            }
            if (tap != null || hostAddress != null) {
                throw new UsageException((tap != null ? "--tap" : "--host-address") + suffix
                        + " applies to --backend tap only: an ixgbe device has no kernel side.");
            }
            if (mac != null) {
                throw new UsageException("--mac" + suffix + " does not apply to --backend ixgbe: the 82599 uses the MAC address in its EEPROM.");
            }
            return new DeviceOptions(backend, null, null, null, pci, hugepages);
        }
        if (pci != null || hugepages != null) {
            throw new UsageException((pci != null ? "--pci" + suffix : "--hugepages") + " applies to --backend virtio or ixgbe only, not to tap.");
        }
        return new DeviceOptions(backend, tap == null ? defaultTap : tap, hostAddress, mac, null, null);
    }

    private static String checkInterfaceName(String option, String name) throws UsageException {
        if (name.length() > 15 || !name.chars().allMatch(c -> c > ' ' && c != '/' && c != ':' && c < 127)) {
            throw new UsageException(option + " needs a Linux interface name of 1 to 15 characters without '/', ':' or spaces, not '" + name + "'.");
        }
        return name;
    }

    /** {@code usage} with the help texts of pktgen and fwd added. */
    static Map<String, String> withUsage(Map<String, String> usage) {
        Map<String, String> all = new HashMap<>(usage);
        all.put("pktgen", PKTGEN_USAGE);
        all.put("fwd", FWD_USAGE);
        return Map.copyOf(all);
    }

    static final String PKTGEN_USAGE = """
            Usage: ./netstack pktgen [OPTIONS]
            Transmits frames (Ethernet/IPv4/UDP from 198.18.0.2:9 to 198.18.0.1:9, destination MAC
            02:00:00:00:00:ff) on one device as fast as it takes them, in batches, on one thread; prints
            the frames per second (Mpps) each second and a total at the end. Opens the device itself (no
            stack): a TAP needs root or CAP_NET_ADMIN, a virtio device or an 82599 port root and hugepages.

            Options:
              --backend NAME       tap (default), virtio or ixgbe (Intel 82599)
              --tap NAME           TAP device to create or attach to (default ns0)
              --host-address CIDR  address for the kernel side of the TAP, which also sets it up
              --pci ADDR           virtio, ixgbe: PCI address, e.g. 0000:00:04.0 (alone implies
                                   --backend virtio)
              --hugepages DIR      virtio, ixgbe: hugetlbfs mount (default: the first in /proc/mounts)
              --mac MAC            source MAC (default: the device's; not with ixgbe, which keeps
                                   the MAC in its EEPROM)
              --seconds N          stop after N seconds; 0 runs until interrupted (default 10)
              --size BYTES         frame size without FCS, 60 to 1514 (default 60)
              --batch N            frames per transmit call, 1 to 256 (default 32)
              -h, --help           show this help
            """;

    static final String FWD_USAGE = """
            Usage: ./netstack fwd [OPTIONS]
            Forwards every frame received on one device to the other, both ways, in batches, on one
            thread; prints the frames forwarded per second (Mpps) each second and a total at the end.
            Frames the other device does not take at once are dropped and counted. Two TAPs:
            --tap A --tap2 B; two virtio devices or two 82599 ports: --pci A --pci2 B.

            Options:
              --backend NAME       tap (default), virtio or ixgbe (Intel 82599), for both devices
              --tap NAME, --tap2 NAME
                                   the TAPs (default ns0 and ns1)
              --host-address CIDR, --host-address2 CIDR
                                   addresses for the kernel sides of the TAPs, which also sets them up
              --pci ADDR, --pci2 ADDR
                                   virtio, ixgbe: the PCI addresses (--pci alone implies
                                   --backend virtio)
              --hugepages DIR      virtio, ixgbe: hugetlbfs mount (default: the first in /proc/mounts)
              --mac MAC, --mac2 MAC
                                   MACs of the devices (a virtio device keeps its own by default;
                                   not with ixgbe)
              --seconds N          stop after N seconds; 0 runs until interrupted (default 10)
              --batch N            frames per receive call, 1 to 256 (default 32)
              -h, --help           show this help
            """;
}
