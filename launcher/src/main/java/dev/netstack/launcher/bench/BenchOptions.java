package dev.netstack.launcher.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The options of {@code ./netstack bench}: seconds per cell, which workloads and environments, and
 * where to write the JSON report.
 */
public record BenchOptions(double durationSeconds, Set<Workload> workloads, Set<Env> envs, Path json, String idle) {

    public static final double DEFAULT_DURATION_S = 5;
    public static final double MAX_DURATION_S = 600;
    /**
     * The stack's shards poll without sleeping, yielding the CPU between empty turns: on a machine
     * with fewer free cores than busy threads (two stacks, or a stack and its kernel peer, plus other
     * work), pure spinning starves the peer the shard waits for; backoff parks up to 1 ms.
     */
    public static final String DEFAULT_IDLE = "yield";
    static final List<String> IDLE_STRATEGIES = List.of("spin", "yield", "backoff", "poll");

    /** The workloads, as {@code --only} names them; each runs one or more cells. */
    public enum Workload {
        RR("rr"), CRR("crr"), BULK("bulk"), UDP("udp"), PKTIO("pktio");

        public final String option;

        Workload(String option) {
            this.option = option;
        }
    }

    /**
     * Where a cell runs. {@code mem} and {@code tap} measure the stack; {@code loopback} and
     * {@code veth} the kernel, and each stack environment is compared with its kernel counterpart;
     * {@code dpdk} runs DPDK's testpmd on a TAP, the peer of the stack's pktgen over a TAP.
     */
    public enum Env {
        /** Two stacks in this process over an in-memory link: the stack's ceiling. */
        MEM("mem", false, false),
        /** The stack over a TAP against the kernel in a namespace. */
        TAP("tap", false, true),
        /** JDK sockets over the kernel's loopback, both ends in this process. */
        LOOPBACK("loopback", true, false),
        /** JDK sockets, kernel to kernel over a veth pair between two namespaces. */
        VETH("veth", true, true),
        /** {@code dpdk-testpmd --forward-mode=txonly} on a net_tap device in a namespace: pktgen-60 only. */
        DPDK("dpdk", false, true),
        /**
         * Two stacks over an in-memory link, both on one shard thread: the one-shard side of the
         * scaling measurement (the x4 cells), and rr/crr latency with both ends on one core.
         */
        SHARD1("shard1", false, false),
        /**
         * Two stacks of two lanes over a two-queue in-memory link, sharing two shard threads (lane i
         * of both on thread i): compared with {@code shard1}, how the stack scales from one shard to two.
         */
        SHARD2("shard2", false, false),
        /**
         * The stack with two lanes over a two-queue TAP (eBPF flow steering) against the kernel in a
         * namespace: compared with {@code tap}, how the stack scales from one shard to two over TAP.
         */
        TAP2("tap2", false, true);

        public final String option;
        public final boolean kernel;
        public final boolean needsRoot;

        Env(String option, boolean kernel, boolean needsRoot) {
            this.option = option;
            this.kernel = kernel;
            this.needsRoot = needsRoot;
        }

        /** What is measured: {@code netstack}, {@code kernel} or {@code dpdk}. */
        public String system() {
            return this == DPDK ? "dpdk" : kernel ? "kernel" : "netstack";
        }

        /** The non-kernel peer a stack environment's packet I/O is also compared with (tap: dpdk), or null. */
        public Env peer() {
            return this == TAP ? DPDK : null;
        }

        /** The kernel environment a stack environment is compared with (null for kernel ones). */
        public Env baseline() {
            return switch (this) {
                case MEM -> LOOPBACK;
                case TAP -> VETH;
                case SHARD2 -> SHARD1;
                case TAP2 -> TAP;
                default -> null;
            };
        }
    }

    public static BenchOptions defaults() {
        return new BenchOptions(DEFAULT_DURATION_S, EnumSet.allOf(Workload.class), EnumSet.allOf(Env.class), null, DEFAULT_IDLE);
    }

    /**
     * Parses {@code --duration S}, {@code --only W[,W..]}, {@code --env E[,E..]}, {@code --json FILE}
     * (also as {@code --option=value}).
     *
     * @throws IllegalArgumentException with one sentence saying what is wrong
     */
    public static BenchOptions parse(List<String> args) {
        double duration = DEFAULT_DURATION_S;
        Set<Workload> workloads = EnumSet.allOf(Workload.class);
        Set<Env> envs = EnumSet.allOf(Env.class);
        Path json = null;
        String idle = DEFAULT_IDLE;
        for (int i = 0; i < args.size(); i++) {
            String option = args.get(i);
            String value = null;
            int equals = option.indexOf('=');
            if (option.startsWith("--") && equals > 0) {
                value = option.substring(equals + 1);
                option = option.substring(0, equals);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            }
            if (!List.of("--duration", "--only", "--env", "--json", "--idle").contains(option)) {
                throw new IllegalArgumentException("unknown option '" + option + "' for bench: see ./netstack bench --help.");
            }
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(option + " needs a value: see ./netstack bench --help.");
            }
            switch (option) {
                case "--duration" -> duration = parseDuration(value);
                case "--only" -> workloads = parseList(value, Workload.class, "workload", "--only");
                case "--env" -> envs = parseList(value, Env.class, "environment", "--env");
                case "--idle" -> {
                    if (!IDLE_STRATEGIES.contains(value)) {
                        throw new IllegalArgumentException("--idle needs one of " + String.join(", ", IDLE_STRATEGIES) + ", not '" + value + "'.");
                    }
                    idle = value;
                }
                default -> json = Path.of(value);
            }
        }
        return new BenchOptions(duration, workloads, envs, json, idle);
    }

    private static double parseDuration(String value) {
        String text = value.endsWith("s") ? value.substring(0, value.length() - 1) : value;
        double seconds;
        try {
            seconds = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (!(seconds >= 0.05 && seconds <= MAX_DURATION_S)) {
            throw new IllegalArgumentException("--duration needs seconds from 0.05 to " + (int) MAX_DURATION_S + ", like 5 or 0.2, not '" + value + "'.");
        }
        return seconds;
    }

    private static <E extends Enum<E>> Set<E> parseList(String value, Class<E> type, String what, String option) {
        Set<E> set = EnumSet.noneOf(type);
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(optionName(e));
        }
        for (String word : value.split(",")) {
            String name = word.strip().toLowerCase(Locale.ROOT);
            if (name.equals("all")) {
                set.addAll(EnumSet.allOf(type));
                continue;
            }
            E found = null;
            for (E e : type.getEnumConstants()) {
                if (optionName(e).equals(name)) {
                    found = e;
                }
            }
            if (found == null) {
                throw new IllegalArgumentException("unknown " + what + " '" + word.strip() + "' for " + option + ": the "
                        + what + "s are " + String.join(", ", names) + ".");
            }
            set.add(found);
        }
        return set;
    }

    private static String optionName(Enum<?> e) {
        return e instanceof Workload w ? w.option : ((Env) e).option;
    }

    public static final String USAGE = """
            Usage: ./netstack bench [OPTIONS]
            Runs end-to-end benchmarks on the stack and on the Linux kernel in the same run and prints
            one table (figure per system, ratio stack/kernel, latency percentiles, bytes allocated,
            GC and CPU time per operation); --json writes the same as JSON.

            Workloads (--only):
              rr       TCP request/response, 64 bytes, one connection: transactions/s, latency;
                       and 4 connections at once (tcp-rr-64-x4: the kernel with 4 threads)
              crr      connect, 64-byte request, response, close: connections/s; and 4 clients
                       at once (tcp-crr-64-x4)
              bulk     TCP bulk, Gbit/s each direction, 1 and 4 connections
              udp      UDP datagrams/s at 64 bytes, Gbit/s at 1400 bytes
              pktio    packet I/O without a stack: pktgen (60-byte frames) and fwd, Mpps
            Environments (--env):
              mem      two stacks in this process over an in-memory link (the stack's ceiling)
              tap      the stack over a TAP against the kernel in a namespace (root)
              loopback JDK sockets over the kernel's loopback (baseline of mem)
              veth     JDK sockets, kernel to kernel over a veth pair, two namespaces (root;
                       baseline of tap; fwd through a kernel bridge)
              dpdk     dpdk-testpmd --forward-mode=txonly, 60-byte frames on a net_tap device in
                       a namespace (root; pktgen-60 only; peer of tap's pktgen-60)
              shard1   two stacks over an in-memory link on ONE shard thread (rr and crr cells:
                       latency with both ends on one core, and the x4 cells)
              shard2   two stacks of two lanes each over a two-queue in-memory link on TWO shard
                       threads, lane i of both on thread i (x4 cells only; its ratio column is
                       shard2/shard1: how the stack scales from one shard to two)
              tap2     the stack with two lanes over a two-queue TAP against the kernel (root; x4
                       cells only; ratio column tap2/tap)

            Options:
              --duration S     seconds measured per cell, after a short warm-up (default 5)
              --only W[,W..]   workloads to run (default all)
              --env E[,E..]    environments to run (default all; without root, tap and veth are skipped)
              --json FILE      also write the results as JSON
              --idle NAME      idle strategy of the stack's shards: yield (default), spin, backoff, poll
              -h, --help       show this help
            Namespaces are named bn-PID-N and removed on exit (leftovers of killed runs at start).
            """;
}
