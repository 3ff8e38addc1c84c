package dev.netstack.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The command-line contract of {@code ./netstack}: turns arguments into an {@link Invocation}, or
 * a {@link UsageException} whose message is one sentence. Nothing here touches the file system.
 */
final class CommandLine {

    /** The run directory when {@code --run} is not given. */
    static final Path DEFAULT_RUN_DIR = Path.of("/tmp/netstack/default");

    /** NIC backends {@code run} and {@code demo} can configure. */
    static final List<String> BACKENDS = List.of("tap", "virtio", "ixgbe");

    /** NIC backends the packet tools ({@code pktgen}, {@code fwd}) open. */
    static final List<String> TOOL_BACKENDS = List.of("tap", "virtio", "ixgbe");

    static final String DEMO_TAP = "ns0";
    static final String DEMO_ADDRESS = "198.18.0.2/24";
    static final String DEMO_HOST_ADDRESS = "198.18.0.1/24";

    /** What the user asked for. */
    sealed interface Invocation permits Help, Start, ShellCall, Tools.Nc, Tools.Get, PacketTools.Pktgen, PacketTools.Fwd, BenchCommand {
    }

    /** Print help: {@code topic} is a command name, or null for the overview. {@code error}: exit 2. */
    record Help(String topic, boolean error) implements Invocation {
    }

    /** Start the stack ({@code run} or {@code demo}). */
    record Start(RunOptions options) implements Invocation {
    }

    /** Send one command line (or, if {@code words} is empty, every line of stdin) to a running stack. */
    record ShellCall(Path runDir, List<String> words) implements Invocation {
    }

    /** Whether to run Gogo's interactive shell on stdin. */
    enum Console { AUTO, ON, OFF }

    /**
     * Options of {@code run} and {@code demo}. Null means "not given": the configuration files
     * decide.
     */
    record RunOptions(Path configDir, Path runDir, String backend, String tap, String address, String gateway,
            String hostAddress, String mac, Integer mtu, Integer shards, String idle, Console console, boolean demo,
            String pci, String hugepages) {

        /** Options without the virtio ones ({@code pci}, {@code hugepages}). */
        RunOptions(Path configDir, Path runDir, String backend, String tap, String address, String gateway,
                String hostAddress, String mac, Integer mtu, Integer shards, String idle, Console console, boolean demo) {
            this(configDir, runDir, backend, tap, address, gateway, hostAddress, mac, mtu, shards, idle, console, demo,
                    null, null);
        }

        /** Whether any option configures the NIC, so a NIC configuration must be written. */
        boolean configuresNic() {
            return backend != null || tap != null || hostAddress != null || mac != null || mtu != null
                    || pci != null || hugepages != null;
        }

        /** Whether the NIC is the userspace virtio-net driver ({@code nic.virtio}) rather than a TAP. */
        boolean virtio() {
            return "virtio".equals(backend);
        }

        /** Whether the NIC is the userspace 82599 driver ({@code nic.ixgbe}). */
        boolean ixgbe() {
            return "ixgbe".equals(backend);
        }
    }

    private static final List<String> IDLE_STRATEGIES = List.of("backoff", "spin", "yield", "poll");

    private CommandLine() {
    }

    static Invocation parse(String... args) throws UsageException {
        if (args.length == 0) {
            return new Help(null, true);
        }
        String command = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        return switch (command) {
            case "help", "--help", "-h" -> help(rest);
            case "run" -> start(false, rest);
            case "demo" -> start(true, rest);
            case "shell" -> shell(rest);
            case "nc" -> tool("nc", rest);
            case "get" -> tool("get", rest);
            case "pktgen", "fwd" -> PacketTools.parse(command, rest);
            case "bench" -> BenchCommand.parse(rest);
            default -> throw new UsageException("unknown command '" + command + "': use demo, run, shell, nc, get, pktgen, fwd, bench or help.");
        };
    }

    private static Invocation help(List<String> rest) throws UsageException {
        if (rest.isEmpty()) {
            return new Help(null, false);
        }
        String topic = rest.get(0);
        if (!USAGE.containsKey(topic)) {
            throw new UsageException("no help for '" + topic + "': the commands are demo, run, shell, nc, get, pktgen, fwd, bench and help.");
        }
        return new Help(topic, false);
    }

    private static Invocation start(boolean demo, List<String> args) throws UsageException {
        String name = demo ? "demo" : "run";
        Path configDir = null;
        Path runDir = DEFAULT_RUN_DIR;
        String backend = null;
        String tap = null;
        String address = null;
        String gateway = null;
        String hostAddress = null;
        String mac = null;
        Integer mtu = null;
        Integer shards = null;
        String idle = null;
        Console console = Console.AUTO;
        String pci = null;
        String hugepages = null;
        Options options = new Options(name, args);
        while (options.hasNext()) {
            String option = options.next();
            switch (option) {
                case "--help", "-h" -> {
                    return new Help(name, false);
                }
                case "--config" -> configDir = Path.of(options.value());
                case "--run" -> runDir = Path.of(options.value());
                case "--backend" -> {
                    backend = options.value();
                    if (!BACKENDS.contains(backend)) {
                        throw new UsageException("unknown backend '" + backend + "': the backends are " + String.join(", ", BACKENDS) + ".");
                    }
                }
                case "--tap" -> tap = checkInterfaceName(option, options.value());
                case "--address" -> address = Addresses.checkCidr(option, options.value());
                case "--gateway" -> gateway = Addresses.checkIpv4(option, options.value());
                case "--host-address" -> hostAddress = Addresses.checkCidr(option, options.value());
                case "--mac" -> mac = Addresses.checkMac(option, options.value());
                case "--mtu" -> mtu = Addresses.checkInt(option, options.value(), 68, 65535);
                case "--shards" -> shards = Addresses.checkInt(option, options.value(), 1, 1024);
                case "--idle" -> {
                    idle = options.value();
                    if (!IDLE_STRATEGIES.contains(idle)) {
                        throw new UsageException("unknown idle strategy '" + idle + "': use " + String.join(", ", IDLE_STRATEGIES) + ".");
                    }
                }
                case "--pci" -> pci = checkPci(option, options.value());
                case "--hugepages" -> hugepages = options.value();
                case "--console" -> console = Console.ON;
                case "--no-console" -> console = Console.OFF;
                default -> throw options.unknown(option);
            }
        }
        if (backend == null && pci != null) {
            backend = "virtio";
        }
        if ("virtio".equals(backend)) {
            checkVirtio(name, pci, tap, hostAddress, mtu);
        } else if ("ixgbe".equals(backend)) {
            checkIxgbe(name, pci, tap, hostAddress, mtu, mac);
        } else if (pci != null || hugepages != null) {
            throw new UsageException((pci != null ? "--pci" : "--hugepages") + " applies to --backend virtio or ixgbe only, not to "
                    + backend + ".");
        }
        if (demo && ("virtio".equals(backend) || "ixgbe".equals(backend))) {
            address = address == null ? DEMO_ADDRESS : address;
        } else if (demo) {
            backend = backend == null ? "tap" : backend;
            tap = tap == null ? DEMO_TAP : tap;
            address = address == null ? DEMO_ADDRESS : address;
            if (hostAddress == null) {
                hostAddress = DEMO_HOST_ADDRESS;
                // replies to the tools' stacks (198.18.1.0/24 by default) go back through the kernel
                gateway = gateway == null ? DEMO_HOST_ADDRESS.substring(0, DEMO_HOST_ADDRESS.indexOf('/')) : gateway;
            }
        }
        return new Start(new RunOptions(configDir, runDir, backend, tap, address, gateway, hostAddress, mac, mtu,
                shards, idle, console, demo, pci, hugepages));
    }

    /** {@code DDDD:BB:DD.F} (domain, bus, device 00-1f, function 0-7) as lspci -D prints it. */
    static String checkPci(String option, String text) throws UsageException {
        String full = text.matches("[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]") ? "0000:" + text : text;
        if (!full.matches("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[01][0-9a-fA-F]\\.[0-7]")) {
            throw new UsageException(option + " needs a PCI address like 0000:00:04.0 (domain:bus:device.function, as lspci -D shows it), not '"
                    + text + "'.");
        }
        return full.toLowerCase(java.util.Locale.ROOT);
    }

    /** The virtio backend needs a PCI address and takes none of the TAP-only options. */
    static void checkVirtio(String command, String pci, String tap, String hostAddress, Integer mtu) throws UsageException {
        if (pci == null) {
            throw new UsageException("--backend virtio needs --pci ADDR, the device's PCI address like 0000:00:04.0: see ./netstack "
                    + command + " --help.");
        }
        String tapOnly = tap != null ? "--tap" : hostAddress != null ? "--host-address" : mtu != null ? "--mtu" : null;
        if (tapOnly != null) {
            throw new UsageException(tapOnly + " applies to --backend tap only: a virtio device has no kernel side.");
        }
    }

    /**
     * The ixgbe backend needs a PCI address and takes none of the TAP-only options, nor a MAC: the
     * 82599 receives for the address its EEPROM holds.
     */
    static void checkIxgbe(String command, String pci, String tap, String hostAddress, Integer mtu, String mac)
            throws UsageException {
        if (pci == null) {
            throw new UsageException("--backend ixgbe needs --pci ADDR, the 82599 port's PCI address like 0000:03:00.0: see ./netstack "
                    + command + " --help.");
        }
        String tapOnly = tap != null ? "--tap" : hostAddress != null ? "--host-address" : mtu != null ? "--mtu" : null;
        if (tapOnly != null) {
            throw new UsageException(tapOnly + " applies to --backend tap only: an ixgbe device has no kernel side.");
        }
        if (mac != null) {
            throw new UsageException("--mac does not apply to --backend ixgbe: the 82599 uses the MAC address in its EEPROM.");
        }
    }

    static final String TOOL_TAP = "ns1";
    static final String TOOL_ADDRESS = "198.18.1.2/24";
    static final String TOOL_HOST_ADDRESS = "198.18.1.1/24";
    static final long TOOL_TIMEOUT_MS = 10_000;

    /** {@code nc [OPTIONS] HOST PORT}, {@code nc [OPTIONS] -l PORT}, {@code get [OPTIONS] URL [-o FILE]}. */
    private static Invocation tool(String name, List<String> args) throws UsageException {
        String tap = TOOL_TAP;
        String address = TOOL_ADDRESS;
        String hostAddress = null;
        boolean hostAddressGiven = false;
        String gateway = null;
        String mac = null;
        Integer mtu = null;
        long timeoutMs = TOOL_TIMEOUT_MS;
        Integer listenPort = null;
        Path output = null;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("-") || arg.equals("-")) {
                positional.add(arg);
                continue;
            }
            String option = arg;
            String inline = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                option = arg.substring(0, equals);
                inline = arg.substring(equals + 1);
            }
            if (option.equals("--help") || option.equals("-h")) {
                return new Help(name, false);
            }
            String value;
            if (inline != null) {
                value = nonEmpty(option, inline);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new UsageException(option + " needs a value: see ./netstack " + name + " --help.");
            }
            switch (option) {
                case "--tap" -> tap = checkInterfaceName(option, value);
                case "--address" -> address = Addresses.checkCidr(option, value);
                case "--host-address" -> {
                    hostAddress = Addresses.checkCidr(option, value);
                    hostAddressGiven = true;
                }
                case "--gateway" -> gateway = Addresses.checkIpv4(option, value);
                case "--mac" -> mac = Addresses.checkMac(option, value);
                case "--mtu" -> mtu = Addresses.checkInt(option, value, 68, 65535);
                case "--timeout" -> timeoutMs = Addresses.checkInt(option, value, 1, 86_400) * 1000L;
                case "-l" -> {
                    if (!name.equals("nc")) {
                        throw new UsageException("unknown option '-l' for " + name + ": see ./netstack " + name + " --help.");
                    }
                    listenPort = Addresses.checkInt(option, value, 1, 65535);
                }
                case "-o" -> {
                    if (!name.equals("get")) {
                        throw new UsageException("unknown option '-o' for " + name + ": see ./netstack " + name + " --help.");
                    }
                    output = Path.of(value);
                }
                default -> throw new UsageException("unknown option '" + option + "' for " + name + ": see ./netstack " + name + " --help.");
            }
        }
        if (!hostAddressGiven && tap.equals(TOOL_TAP)) {
            hostAddress = TOOL_HOST_ADDRESS;
        }
        if (gateway == null && hostAddress != null) {
            gateway = hostAddress.substring(0, hostAddress.indexOf('/'));
        }
        Tools.ToolOptions options = new Tools.ToolOptions(tap, address, hostAddress, gateway, mac, mtu, timeoutMs);
        if (name.equals("get")) {
            if (positional.size() != 1) {
                throw new UsageException("get needs one URL, like http://198.18.0.2/bytes/1000: see ./netstack get --help.");
            }
            return new Tools.Get(options, positional.getFirst(), output);
        }
        if (listenPort != null) {
            if (!positional.isEmpty()) {
                throw new UsageException("nc -l PORT takes no HOST or PORT after it: see ./netstack nc --help.");
            }
            return new Tools.Nc(options, null, listenPort, true);
        }
        if (positional.size() != 2) {
            throw new UsageException("nc needs HOST and PORT, like 198.18.0.2 7: see ./netstack nc --help.");
        }
        int port = Addresses.checkInt("PORT", positional.get(1), 1, 65535);
        return new Tools.Nc(options, positional.get(0), port, false);
    }

    private static Invocation shell(List<String> args) throws UsageException {
        Path runDir = DEFAULT_RUN_DIR;
        int i = 0;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String arg = args.get(i++);
            if (arg.equals("--")) {
                break;
            } else if (arg.equals("--help") || arg.equals("-h")) {
                return new Help("shell", false);
            } else if (arg.equals("--run") || arg.startsWith("--run=")) {
                if (arg.startsWith("--run=")) {
                    runDir = Path.of(nonEmpty("--run", arg.substring("--run=".length())));
                } else if (i < args.size()) {
                    runDir = Path.of(nonEmpty("--run", args.get(i++)));
                } else {
                    throw new UsageException("--run needs a value: see ./netstack shell --help.");
                }
            } else {
                throw new UsageException("unknown option '" + arg + "' for shell: see ./netstack shell --help.");
            }
        }
        return new ShellCall(runDir, List.copyOf(args.subList(i, args.size())));
    }

    private static String checkInterfaceName(String option, String name) throws UsageException {
        // Linux IFNAMSIZ is 16 including the terminating NUL.
        if (name.length() > 15 || !name.chars().allMatch(c -> c > ' ' && c != '/' && c != ':' && c < 127)) {
            throw new UsageException(option + " needs a Linux interface name of 1 to 15 characters without '/', ':' or spaces, not '" + name + "'.");
        }
        return name;
    }

    private static String nonEmpty(String option, String value) throws UsageException {
        if (value.isEmpty()) {
            throw new UsageException(option + " needs a value: see ./netstack help.");
        }
        return value;
    }

    /** Walks {@code --name value} and {@code --name=value} options. */
    private static final class Options {
        private final String command;
        private final List<String> args;
        private int index;
        private String inlineValue;

        Options(String command, List<String> args) {
            this.command = command;
            this.args = new ArrayList<>(args);
        }

        boolean hasNext() {
            return index < args.size();
        }

        String next() throws UsageException {
            String arg = args.get(index++);
            inlineValue = null;
            if (!arg.startsWith("-")) {
                throw new UsageException("unexpected argument '" + arg + "' for " + command + ": see ./netstack " + command + " --help.");
            }
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                inlineValue = arg.substring(equals + 1);
                return arg.substring(0, equals);
            }
            return arg;
        }

        String value() throws UsageException {
            String option = args.get(index - 1);
            String value;
            if (inlineValue != null) {
                value = inlineValue;
                inlineValue = null;
            } else if (index < args.size() && !args.get(index).startsWith("--")) {
                value = args.get(index++);
            } else {
                throw new UsageException(option + " needs a value: see ./netstack " + command + " --help.");
            }
            return nonEmpty(option.contains("=") ? option.substring(0, option.indexOf('=')) : option, value);
        }

        UsageException unknown(String option) {
            return new UsageException("unknown option '" + option + "' for " + command + ": see ./netstack " + command + " --help.");
        }
    }

    private static final String RUN_OPTIONS = """
              --config DIR         read *.cfg files from DIR (default: the distribution's etc/)
              --run DIR            run directory: felix-cache/, etc/, control.sock
                                   (default: /tmp/netstack/default)
              --backend NAME       NIC backend: tap (default), virtio (userspace virtio-net driver)
                                   or ixgbe (userspace Intel 82599 driver)
              --pci ADDR           virtio, ixgbe: PCI address of the device, e.g. 0000:00:04.0
                                   (nic.virtio or nic.ixgbe: pci); without --backend implies virtio
              --hugepages DIR      virtio, ixgbe: hugetlbfs mount for DMA memory (hugepages;
                                   default: the first hugetlbfs in /proc/mounts)
              --tap NAME           TAP device to create or attach to (nic.tap: tap)
              --address CIDR       stack address of eth0, e.g. 198.18.0.2/24 (netstack.ip.interface: address)
              --gateway IP         default route via IP on eth0 (netstack.ip.route: gateway)
              --host-address CIDR  address given to the kernel side of the TAP (nic.tap: host.address)
              --mac MAC            MAC of eth0, e.g. 02:00:00:00:00:01 (nic.tap: mac)
              --mtu N              MTU of eth0, 68 to 65535 (nic.tap: mtu)
              --shards N           event-loop threads, one lane of the stack each; also the
                                   NIC's queues (netstack.runtime: shards; nic.*: queues)
              --idle NAME          idle strategy: backoff, spin, yield or poll (netstack.runtime: idle)
              --console            run the interactive Gogo shell on stdin
              --no-console         do not, even when stdin is a terminal
              -h, --help           show this help
            """;

    private static final String TOOL_OPTIONS = """
              --tap NAME           TAP device the tool's stack creates (default ns1)
              --address CIDR       the tool stack's address (default 198.18.1.2/24)
              --host-address CIDR  kernel side of the TAP (default 198.18.1.1/24 on ns1, else none)
              --gateway IP         default route (default: the host address)
              --mac MAC            MAC of the tool stack
              --mtu N              MTU, 68 to 65535
              --timeout SECONDS    give up connecting after this long (default 10)
              -h, --help           show this help
            """;

    static final Map<String, String> USAGE = BenchCommand.withUsage(PacketTools.withUsage(Map.of(
            "help", """
            Usage: ./netstack help [COMMAND]
            Shows the overview, or the help of COMMAND (also: ./netstack COMMAND --help).
            """,
            "demo", """
            Usage: ./netstack demo [OPTIONS]
            Runs the stack on TAP ns0 until interrupted (Ctrl-C or SIGTERM): eth0 has 198.18.0.2/24 and
            the kernel side of the TAP 198.18.0.1/24, so `ping 198.18.0.2` works from the host; the demo
            services listen: echo on 7, discard on 9, HTTP on 80 (curl http://198.18.0.2/).
            Needs permission to open /dev/net/tun (root or CAP_NET_ADMIN). Takes the options of run,
            which override these defaults.

            Options:
            """ + RUN_OPTIONS,
            "run", """
            Usage: ./netstack run [OPTIONS]
            Runs the stack until interrupted (Ctrl-C or SIGTERM). The configuration files of --config are
            copied into RUN/etc, then the options below are written over them as .cfg files
            (nic.tap-eth0.cfg, netstack.ip.interface-eth0.cfg, netstack.ip.route-default.cfg,
            netstack.runtime.cfg). Felix FileInstall watches RUN/etc: editing a .cfg there reconfigures
            the running stack within a second. With no NIC configuration the stack runs without a device.

            Options:
            """ + RUN_OPTIONS,
            "nc", """
            Usage: ./netstack nc [OPTIONS] HOST PORT
                   ./netstack nc [OPTIONS] -l PORT
            Like netcat, over a stack of its own on a TAP: connects to HOST:PORT (or, with -l, waits for
            one connection on PORT), copies stdin to the connection and the connection to stdout, and
            exits when both directions are done (stdin at its end and the peer's FIN received).
            HOST is an IPv4 address (no DNS). Needs root or CAP_NET_ADMIN for the TAP.

            Options:
            """ + TOOL_OPTIONS,
            "get", """
            Usage: ./netstack get [OPTIONS] URL [-o FILE]
            HTTP/1.1 GET over a stack of its own on a TAP: writes the body (Content-Length, chunked, or
            until close) to stdout or FILE and nothing else to stdout; exit 0 on a 2xx answer, else 1
            with one sentence on stderr. URL is http://A.B.C.D[:PORT][/PATH] (no DNS, no https).

            Options:
              -o FILE              write the body to FILE
            """ + TOOL_OPTIONS,
            "shell", """
            Usage: ./netstack shell [--run DIR] [COMMAND [ARGS...]]
            Runs a Gogo shell command in the stack running in DIR (default: /tmp/netstack/default) over
            its control socket DIR/control.sock, prints the output and exits with its status: 0 done,
            1 the command failed, 3 no stack is running there. Without COMMAND, runs each line of stdin.
            Commands: ifconfig, arp, stats [-a], lb, and every other Gogo command (help lists them).

            Options:
              --run DIR            run directory of the stack to talk to
              -h, --help           show this help
            """)));

    static final String OVERVIEW = """
            Usage: ./netstack COMMAND [OPTIONS]
            A userspace TCP/IP stack for the JVM, run as OSGi bundles in Apache Felix.

            Commands:
              demo      run the stack on TAP ns0 with 198.18.0.2/24 (kernel side 198.18.0.1/24)
              run       run the stack as configured by files and options
              shell     run a shell command (ifconfig, arp, stats, netstat, lb, ...) in a running stack
              nc        netcat over a stack of its own on a TAP: nc HOST PORT, nc -l PORT
              get       HTTP GET over a stack of its own on a TAP: get URL [-o FILE]
              pktgen    send 60-byte frames as fast as a device takes them, print Mpps
              fwd       forward frames between two devices, print Mpps
              bench     end-to-end benchmarks, stack beside kernel: one table (and --json)
              help      show this overview, or help COMMAND

            ./netstack COMMAND --help shows the options of COMMAND.
            Exit status: 0 done, 1 failed, 2 bad command line, 3 no running stack (shell).
            """;
}
