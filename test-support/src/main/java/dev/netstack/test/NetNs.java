package dev.netstack.test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A Linux network namespace that a test creates and always deletes, so test traffic never
 * reaches this machine's own interfaces:
 *
 * <pre>{@code
 *   NetNs.cleanup("nsa-");                       // leftovers of an earlier, killed run
 *   try (NetNs ns = NetNs.create("nsa-")) {
 *       ns.ip("link", "set", "lo", "up");
 *       ns.exec("ping", "-c", "1", "127.0.0.1").check();
 *   }                                            // deleted, also when the test fails
 * }</pre>
 *
 * <p>Names are the prefix, this process's id and a counter, so parallel test runs and helpers
 * with different prefixes never collide. Needs root and the {@code ip} program (iproute2): check
 * {@link #available()} and skip otherwise. Control path only; thread-safe as far as {@code ip} is.
 */
public final class NetNs implements AutoCloseable {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final String name;
    private boolean closed;

    private NetNs(String name) {
        this.name = name;
    }

    /** Whether namespaces can be made here: running as root with {@code ip} on the usual paths. */
    public static boolean available() {
        return isRoot() && ipProgram() != null;
    }

    private static boolean isRoot() {
        try {
            return Exec.run(Duration.ofSeconds(5), "id", "-u").stdout().strip().equals("0");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String ipProgram() {
        for (String candidate : new String[] {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    private static String ip() {
        String ip = ipProgram();
        if (ip == null) {
            throw new IllegalStateException("the ip program (iproute2) is not installed: apt-get install iproute2");
        }
        return ip;
    }

    /**
     * Creates a namespace named {@code prefix + pid + "-" + n} with its loopback up.
     *
     * @param prefix at least three characters, the caller's own (e.g. {@code nsa-})
     */
    public static NetNs create(String prefix) {
        checkPrefix(prefix);
        String name = prefix + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        Exec.run(TIMEOUT, ip(), "netns", "add", name).check();
        NetNs ns = new NetNs(name);
        try {
            ns.ip("link", "set", "lo", "up");
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private static void checkPrefix(String prefix) {
        if (prefix == null || prefix.length() < 3 || !prefix.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("a namespace prefix needs three or more of [A-Za-z0-9_.-], got '"
                    + prefix + "'");
        }
    }

    /** The namespace's name, for {@code ip netns exec} and {@code ip -n}. */
    public String name() {
        return name;
    }

    /** Runs {@code ip -n NAME args...} and fails with its output if it fails. */
    public Exec.Result ip(String... args) {
        List<String> command = new ArrayList<>(List.of(ip(), "-n", name));
        command.addAll(List.of(args));
        return Exec.run(TIMEOUT, command).check();
    }

    /** Runs {@code command} inside the namespace ({@code ip netns exec}); the caller checks the result. */
    public Exec.Result exec(String... command) {
        return exec(TIMEOUT, command);
    }

    public Exec.Result exec(Duration timeout, String... command) {
        return Exec.run(timeout, prefixCommand(command));
    }

    /** {@code ip netns exec NAME command...}, for a caller that starts a long-running process itself. */
    public List<String> prefixCommand(String... command) {
        List<String> full = new ArrayList<>(List.of(ip(), "netns", "exec", name));
        full.addAll(List.of(command));
        return full;
    }

    /** Creates a veth pair with both ends in this namespace, both up. */
    public void veth(String end, String peerEnd) {
        ip("link", "add", end, "type", "veth", "peer", "name", peerEnd);
        ip("link", "set", end, "up");
        ip("link", "set", peerEnd, "up");
    }

    /** Creates a veth pair from {@code end} here to {@code peerEnd} in {@code peer}, both up. */
    public void veth(String end, NetNs peer, String peerEnd) {
        ip("link", "add", end, "type", "veth", "peer", "name", peerEnd, "netns", peer.name());
        ip("link", "set", end, "up");
        peer.ip("link", "set", peerEnd, "up");
    }

    /** Adds {@code cidr} (e.g. {@code 198.18.0.1/24}) to {@code device}. */
    public void address(String device, String cidr) {
        ip("addr", "add", cidr, "dev", device);
    }

    /** Whether {@code device} exists in this namespace now. */
    public boolean hasLink(String device) {
        return Exec.run(TIMEOUT, ip(), "-n", name, "link", "show", "dev", device).ok();
    }

    /**
     * Polls {@code condition} every 10 ms until it holds or {@code timeout} passes.
     *
     * @return whether it held in time
     */
    public static boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Whether a namespace with this name exists now. */
    public boolean exists() {
        return namespaces().contains(name);
    }

    /**
     * Kills the processes still running inside (all started by the test there), then deletes the
     * namespace. Idempotent; never throws, so it is safe in {@code finally}.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (!namespaces().contains(name)) {
                return; // deleted already, by cleanup() say
            }
        } catch (RuntimeException e) {
            // cannot list: try to delete anyway
        }
        delete(name);
    }

    /** Ids of the processes running inside now. */
    public List<Long> pids() {
        return pids(name);
    }

    private static List<Long> pids(String name) {
        List<Long> pids = new ArrayList<>();
        for (String pid : Exec.run(TIMEOUT, ip(), "netns", "pids", name).stdout().split("\\s+")) {
            if (!pid.isBlank()) {
                pids.add(Long.parseLong(pid));
            }
        }
        return pids;
    }

    private static void delete(String name) {
        try {
            for (long pid : pids(name)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Exec.Result result = Exec.run(TIMEOUT, ip(), "netns", "delete", name);
            if (!result.ok()) {
                System.err.println("could not delete network namespace " + name + ": " + result);
            }
        } catch (RuntimeException e) {
            System.err.println("could not delete network namespace " + name + ": " + e.getMessage());
        }
    }

    /** Names of the namespaces that exist now. */
    public static List<String> namespaces() {
        Exec.Result list = Exec.run(TIMEOUT, ip(), "netns", "list");
        List<String> names = new ArrayList<>();
        for (String line : list.stdout().split("\n")) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty()) {
                names.add(trimmed.split("\\s+")[0]); // "name (id: 3)"
            }
        }
        return names;
    }

    /**
     * Deletes every namespace whose name starts with {@code prefix}: leftovers of runs that were
     * killed before their {@code close()}. Call it at the start of a test class with your own prefix.
     *
     * @return how many were deleted
     */
    public static int cleanup(String prefix) {
        checkPrefix(prefix);
        int deleted = 0;
        for (String ns : namespaces()) {
            if (ns.startsWith(prefix)) {
                delete(ns);
                deleted++;
            }
        }
        return deleted;
    }

    @Override
    public String toString() {
        return "NetNs[" + name + "]";
    }
}
