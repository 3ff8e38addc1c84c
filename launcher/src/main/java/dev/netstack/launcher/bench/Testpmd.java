package dev.netstack.launcher.bench;

import dev.netstack.test.NetNs;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * DPDK's generator as the peer of pktgen over a TAP: {@code dpdk-testpmd --forward-mode=txonly} on
 * a {@code net_tap} device it creates in the rig's namespace, without hugepages or PCI
 * ({@code --no-huge --no-pci}), frames of the cell's size (txonly builds Ethernet/IPv4/UDP to a
 * MAC no host has, as pktgen does), and {@code --stats-period 1} so that it runs without a
 * terminal. Two lcores: the main one and one forwarding core.
 *
 * <p>The figure is not testpmd's own: it is what the kernel side of the TAP received
 * ({@link Workloads#rxPackets}), the same counter as the stack's pktgen over a TAP (testpmd's
 * own statistics come once a second, too coarse for a window of a few seconds). Its CPU time is
 * its own process's ({@link #cpuNs()}), not this JVM's.
 *
 * <p>testpmd stops on every path: when the cell's control says stop (SIGTERM, then SIGKILL after
 * {@value #STOP_WAIT_MS} ms), on {@link #close()} (SIGKILL), with the namespace (whose deletion
 * kills what runs inside), and if this JVM dies without running its hooks: it runs under
 * {@code setpriv --pdeathsig KILL}. Its runtime directory ({@code /var/run/dpdk/PREFIX}, named
 * after the namespace) is deleted on close, or at the next start ({@link #cleanup}).
 */
final class Testpmd extends Side.BaseClient {

    static final String PROGRAM = "dpdk-testpmd";
    static final String MISSING = PROGRAM + " is not installed: install Debian's dpdk-dev, librte-net-tap23 and"
            + " librte-mempool-ring23 to compare pktgen with DPDK's txonly on a TAP.";
    private static final long STOP_WAIT_MS = 3_000;
    private static final long START_TIMEOUT_MS = 10_000;
    private static final int KEPT_LINES = 8;
    private static final Pattern ANSI = Pattern.compile("\\u001B\\[[0-9;]*[A-Za-z]");

    private final Process process;
    private final NetNs namespace;
    private final String iface;
    private final Path runtimeDir;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private volatile boolean closing;

    private Testpmd(Process process, NetNs namespace, String iface) {
        super(1);
        this.process = process;
        this.namespace = namespace;
        this.iface = iface;
        this.runtimeDir = Path.of("/var/run/dpdk", namespace.name());
    }

    /** The program on the PATH, or null. */
    static Path find() {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/usr/local/bin" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, PROGRAM);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** The command line, inside {@code namespace} (through {@code ip netns exec}). */
    static List<String> command(Path program, NetNs namespace, String iface, int frameBytes) {
        List<String> cmd = new ArrayList<>(namespace.prefixCommand("setpriv", "--pdeathsig", "KILL", program.toString(),
                "-l", "0,1", "--no-huge", "--no-pci", "-m", "256", "--no-shconf", "--no-telemetry",
                "--file-prefix=" + namespace.name(), "--vdev=net_tap0,iface=" + iface,
                "--", "--forward-mode=txonly", "--txpkts=" + frameBytes, "--stats-period=1", "--total-num-mbufs=8192"));
        return cmd;
    }

    /**
     * Starts testpmd and waits (at most {@value #START_TIMEOUT_MS} ms) until its TAP {@code iface}
     * exists in {@code namespace} and the kernel has received a first frame on it.
     *
     * @throws UnsupportedOperationException with {@link #MISSING} when testpmd is not installed
     * @throws IllegalStateException with testpmd's last words when it exits or sends nothing in time
     */
    static Testpmd start(NetNs namespace, String iface, int frameBytes, Side.Control control) throws IOException, InterruptedException {
        Path program = find();
        if (program == null) {
            throw new UnsupportedOperationException(MISSING);
        }
        Process process = new ProcessBuilder(command(program, namespace, iface, frameBytes)).redirectErrorStream(true).start();
        Testpmd t = new Testpmd(process, namespace, iface);
        try {
            Thread.ofPlatform().daemon().name("bench-testpmd-output").start(t::readOutput);
            Thread.ofPlatform().daemon().name("bench-testpmd-stop").start(() -> t.stopWhen(control));
            long deadlineNs = System.nanoTime() + START_TIMEOUT_MS * 1_000_000;
            // Its TAP appears first; the port is configured, its link checked and forwarding started after.
            while (!namespace.hasLink(iface) || t.ops() == 0) {
                if (!process.isAlive()) {
                    process.waitFor(1, TimeUnit.SECONDS);
                    throw new IllegalStateException(t.exitSentence());
                }
                if (System.nanoTime() - deadlineNs > 0) {
                    throw new IllegalStateException(PROGRAM + " sent nothing on its TAP " + iface + " within "
                            + START_TIMEOUT_MS / 1000 + " s: " + t.lastWords());
                }
                Thread.sleep(50);
            }
            return t;
        } catch (InterruptedException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** Keeps testpmd's last lines, for a failure's sentence; reading also keeps its pipe from filling. */
    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String text = ANSI.matcher(line).replaceAll("").strip();
                if (text.isEmpty() || text.chars().allMatch(c -> c == '#' || c == '=' || c == '-' || c == '+' || c == ' ')) {
                    continue;
                }
                synchronized (lastLines) {
                    lastLines.addLast(text);
                    if (lastLines.size() > KEPT_LINES) {
                        lastLines.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone: its exit is reported by stopWhen
        }
    }

    /** Waits for the stop signal or testpmd's end; stops it in the first case, reports it in the second. */
    private void stopWhen(Side.Control control) {
        try {
            while (!control.stopping && process.isAlive()) {
                Thread.sleep(20);
            }
            if (process.isAlive()) {
                process.destroy(); // SIGTERM: testpmd prints its totals and stops its ports
                if (!process.waitFor(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                }
            } else if (!closing && !control.stopping) {
                process.waitFor(1, TimeUnit.SECONDS);
                fail(exitSentence());
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
        } finally {
            stopped.countDown();
        }
    }

    private String exitSentence() {
        return PROGRAM + " exited with status " + (process.isAlive() ? "?" : process.exitValue()) + ": " + lastWords();
    }

    /** The line that says most about a failure: the last one naming an error or a cause, else the last. */
    private String lastWords() {
        synchronized (lastLines) {
            String last = lastLines.peekLast();
            for (var it = lastLines.descendingIterator(); it.hasNext();) {
                String line = it.next();
                if (line.contains("Cause") || line.contains("rror") || line.contains("No ") || line.contains("ail")) {
                    return line;
                }
            }
            return last == null ? "no output" : last;
        }
    }

    /** Frames the kernel side of testpmd's TAP has received: what testpmd sent. */
    @Override
    public long ops() {
        return Workloads.rxPackets(namespace, iface);
    }

    /** CPU time testpmd's process has used (all its threads), or -1 if it cannot be read. */
    long cpuNs() {
        return process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
    }

    /** Kills testpmd if it still runs, waits for it, and deletes its runtime directory. */
    @Override
    public void close() {
        closing = true;
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(STOP_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRuntimeDir();
    }

    /** Deletes the runtime directories of testpmds that ran in namespaces named {@code prefix...}: leftovers of a killed run. */
    static int cleanup(String prefix) {
        Path root = Path.of("/var/run/dpdk");
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int deleted = 0;
        try (var dirs = Files.list(root)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith(prefix)).toList()) {
                deleteRuntimeDir(dir);
                deleted++;
            }
        } catch (IOException e) {
            System.err.println("netstack bench: could not list " + root + ": " + e.getMessage());
        }
        return deleted;
    }

    private void deleteRuntimeDir() {
        deleteRuntimeDir(runtimeDir);
    }

    private static void deleteRuntimeDir(Path runtimeDir) {
        if (!Files.isDirectory(runtimeDir)) {
            return;
        }
        try (var files = Files.list(runtimeDir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(runtimeDir);
        } catch (IOException e) {
            System.err.println("netstack bench: could not delete " + runtimeDir + ": " + e.getMessage());
        }
    }
}
