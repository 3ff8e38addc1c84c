package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import dev.netstack.demo.BytePattern;
import dev.netstack.demo.internal.DemoConfig;
import dev.netstack.demo.internal.DemoServices;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.tap.TapDevice;
import dev.netstack.nic.tap.TapSettings;
import dev.netstack.runtime.os.NetNamespace;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.tcp.newreno.NewRenoFactory;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TAP offloads (IFF_VNET_HDR, TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4) against the Linux kernel, in a
 * namespace {@code tof-PID-N}: the stack (TCP and the demo services) on a TapDevice opened with and
 * without offloads.
 *
 * <pre>
 *   namespace tof-*:  kernel  tap0 198.18.S.1/24  ══ TAP (vnet header) ══  stack eth0 198.18.S.2/24
 * </pre>
 *
 * Correctness is asserted on sha256 sums of {@code interop.tap.offload.bytes} (default 100 MB)
 * through the echo service (both directions at once) and of an HTTP download; that offloads were
 * used is asserted on the device's counters (frames larger than the MTU both ways, checksums the
 * kernel vouched for), never on timings. The figures test prints Gbit/s with offloads off and on,
 * beside kernel-to-kernel over a veth pair in the same run.
 */
class TapOffloadTest {

    static final String PREFIX = "tof-";
    static final String TAP = "tap0";
    static final long BYTES = Long.getLong("interop.tap.offload.bytes", 100L << 20);
    /** Bytes each way of the loss test. */
    static final long LOSS_BYTES = Long.getLong("interop.tap.offload.loss.bytes", 20L << 20);
    /** Bytes per direction of the figures test (default 500 MiB: 100 MB take too short to time here). */
    static final long FIGURE_BYTES = Long.getLong("interop.tap.offload.figure.bytes", 500L << 20);
    /** The stack's TCP send and receive buffers in the figures test; 0 keeps TcpConfig's defaults. */
    static final int FIGURE_TCP_BUFFER_BYTES = Integer.getInteger("interop.tap.offload.tcp.buffer.bytes", 0);
    /** Runs of the kernel-to-stack transfer per configuration in the figures test (the machine is noisy). */
    static final int FIGURE_REPEATS = Integer.getInteger("interop.tap.offload.repeats", 3);
    static final long WARM_UP_BYTES = 200L << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    @BeforeAll
    static void rig() {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v socat && command -v curl").ok(),
                "needs socat and curl");
        NetNs.cleanup(PREFIX);
    }

    @Test
    void withOffloadsLargeSegmentsCrossBothWaysIntactAndChecksumsAreSkipped() throws IOException {
        try (Rig rig = Rig.start(true, 70, 0)) {
            assertTrue(rig.tap.offloading(), "the kernel accepted IFF_VNET_HDR and TUNSETOFFLOAD");
            assertTrue(rig.tap.capabilities().has(DeviceCapabilities.OFFLOAD_TSO));
            rig.echoIntact(dir, BYTES);
            rig.downloadIntact(BYTES);
            DeviceCounters c = rig.tap.counters(0);
            System.out.println("offloads on, device counters: " + c + ", rx segmented " + c.rxSegmented
                    + ", rx checksum offloaded " + c.rxChecksumOffloaded + ", tx segmented " + c.txSegmented
                    + ", tx checksum offloaded " + c.txChecksumOffloaded);
            assertTrue(c.rxSegmented > 0, "the kernel sent coalesced segments larger than the MTU: " + c);
            assertTrue(c.rxChecksumOffloaded > 0, "the kernel vouched for checksums the stack then skipped: " + c);
            assertTrue(c.txSegmented > 0, "the stack sent segments larger than the MTU for the kernel to cut: " + c);
            assertTrue(c.txChecksumOffloaded >= c.txSegmented, c::toString);
            assertEquals(0, c.rxErrors, c::toString);
            assertEquals(0, c.txDropped + c.txErrors, c::toString);
        }
    }

    @Test
    void withoutOffloadsFramesStayWithinTheMtuAndTransfersStayIntact() throws IOException {
        try (Rig rig = Rig.start(false, 72, 0)) {
            assertTrue(!rig.tap.offloading());
            assertEquals(0, rig.tap.capabilities().offloads());
            rig.echoIntact(dir, BYTES / 4);
            rig.downloadIntact(BYTES / 4);
            DeviceCounters c = rig.tap.counters(0);
            assertEquals(0, c.rxSegmented + c.rxChecksumOffloaded + c.txSegmented + c.txChecksumOffloaded, c::toString);
            assertEquals(0, c.rxErrors, c::toString);
        }
    }

    @Test
    void withKernelSideLossTransfersStayIntactWithAndWithoutOffloads() throws IOException {
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v nft").ok(), "needs nftables");
        for (boolean offload : new boolean[] {true, false}) {
            try (Rig rig = Rig.start(offload, offload ? 80 : 82, 0)) {
                // nftables on the TAP's ingress sees a segmented frame whole: one drop loses up to 44
                // segments at once, the burst the stack's SACK recovery must then repair.
                Exec.Result nft = rig.ns.exec(Duration.ofSeconds(10), "sh", "-c", "nft add table netdev tof_loss"
                        + " && nft add chain netdev tof_loss in '{ type filter hook ingress device " + TAP
                        + " priority 0; }' && nft add rule netdev tof_loss in numgen random mod 100 '<' 2 drop");
                assertTrue(nft.ok(), nft::toString);
                long start = System.nanoTime();
                rig.downloadIntact(LOSS_BYTES);
                rig.echoIntact(dir, LOSS_BYTES);
                System.out.printf("offloads %s, 2%% of the stack's frames dropped by the kernel: %d bytes down and"
                        + " echoed in %.2f s; device %s; tcp %s%n", offload ? "on" : "off", LOSS_BYTES,
                        (System.nanoTime() - start) / 1e9, rig.tap.counters(0), rig.tcp.counters());
                assertEquals(offload, rig.tap.counters(0).txSegmented > 0, rig.tap.counters(0)::toString);
            }
        }
    }

    @Test
    void figuresBulkOverTapWithAndWithoutOffloadsBesideVeth() throws IOException {
        Path script = TcpRig.peerScript(dir);
        String[] labels = {"offload off", "offload on"};
        String[][] figures = new String[2][];
        for (int i = 0; i < 2; i++) {
            try (Rig rig = Rig.start(i == 1, 74 + 2 * i, FIGURE_TCP_BUFFER_BYTES)) {
                // JIT warm-up: the first transfer of a fresh JVM runs partly interpreted and is
                // several times slower; it is not a figure of the data path.
                rig.peer(script, "bulk", rig.stackIp, "9", Long.toString(WARM_UP_BYTES));
                rig.download(WARM_UP_BYTES);
                String in = "";
                String out = "";
                for (int r = 0; r < FIGURE_REPEATS; r++) {
                    in += "\n      " + rig.peer(script, "bulk", rig.stackIp, "9", Long.toString(FIGURE_BYTES)) + " "
                            + rig.losses();
                    out += "\n      " + rig.download(FIGURE_BYTES) + " " + rig.losses();
                }
                figures[i] = new String[] {in, out, rig.tap.counters(0).toString()};
            }
        }
        String vethIn;
        String vethOut;
        try (NetNs a = NetNs.create(PREFIX); NetNs b = NetNs.create(PREFIX)) {
            a.veth("va", b, "vb");
            a.address("va", "198.18.78.1/24");
            b.address("vb", "198.18.78.2/24");
            Process server = new ProcessBuilder(b.prefixCommand(TcpRig.python(), script.toString(), "server",
                    "198.18.78.2")).redirectErrorStream(true).start();
            Exec.run(Duration.ofSeconds(30), "truncate", "-s", Long.toString(FIGURE_BYTES), dir.resolve("zero.bin").toString())
                    .check();
            Process http = new ProcessBuilder(b.prefixCommand("sh", "-c", "cd " + dir + " && exec " + TcpRig.python()
                    + " -m http.server 8000 --bind 198.18.78.2")).redirectErrorStream(true).start();
            try {
                NetNs.await(() -> b.exec("sh", "-c", "ss -ltn | grep -q ':9 ' && ss -ltn | grep -q ':8000 '").ok(),
                        Duration.ofSeconds(10));
                vethIn = "";
                vethOut = "";
                for (int r = 0; r < FIGURE_REPEATS; r++) {
                    Exec.Result bulk = a.exec(TIMEOUT, TcpRig.python(), script.toString(), "bulk", "198.18.78.2", "9",
                            Long.toString(FIGURE_BYTES));
                    assertTrue(bulk.ok() && bulk.stdout().startsWith("ok"), bulk::toString);
                    vethIn += "\n      " + bulk.stdout().trim();
                    long start = System.nanoTime();
                    Exec.Result get = a.exec(TIMEOUT, "curl", "-sS", "--fail", "-o", "/dev/null",
                            "http://198.18.78.2:8000/zero.bin");
                    double seconds = (System.nanoTime() - start) / 1e9;
                    vethOut += "\n      " + (get.ok() ? rate(FIGURE_BYTES, seconds) : "failed: " + get);
                }
            } finally {
                http.destroyForcibly();
                server.destroyForcibly();
            }
        }
        System.out.println("FIGURE TAP offloads, bulk " + FIGURE_BYTES + " bytes each way, stack TCP buffers "
                + (FIGURE_TCP_BUFFER_BYTES > 0 ? FIGURE_TCP_BUFFER_BYTES + " bytes" : "default"));
        for (int i = 0; i < 2; i++) {
            System.out.println("  TAP " + labels[i] + " kernel->stack (tcppeer bulk to discard): " + figures[i][0]);
            System.out.println("  TAP " + labels[i] + " stack->kernel (curl GET /bytes to /dev/null): " + figures[i][1]);
            System.out.println("  TAP " + labels[i] + " device: " + figures[i][2]);
        }
        System.out.println("  veth kernel->kernel (tcppeer bulk to discard): " + vethIn);
        System.out.println("  veth kernel->kernel (curl download from python http.server): " + vethOut);
    }

    static String rate(long bytes, double seconds) {
        return String.format("bytes=%d seconds=%.3f mbit_per_second=%.0f", bytes, seconds, bytes * 8 / seconds / 1e6);
    }

    /** A stack with TCP and the demo services over a TapDevice opened in a {@code tof-} namespace. */
    static final class Rig implements AutoCloseable {
        final NetNs ns;
        final TapDevice tap;
        final NetStack stack;
        final TcpStack tcp;
        final DemoServices demo;
        final String stackIp;

        private Rig(NetNs ns, TapDevice tap, NetStack stack, TcpStack tcp, DemoServices demo, String stackIp) {
            this.ns = ns;
            this.tap = tap;
            this.stack = stack;
            this.tcp = tcp;
            this.demo = demo;
            this.stackIp = stackIp;
        }

        static Rig start(boolean offload, int subnet, int tcpBufferBytes) {
            NetNs ns = NetNs.create(PREFIX);
            TapDevice tap = null;
            try {
                ns.ip("link", "set", "lo", "up");
                TapSettings settings = TapSettings.parse("eth0", TAP, "02:00:5e:12:00:02", 1500,
                        "198.18." + subnet + ".1/24", 4096, offload);
                tap = openIn(ns.name(), settings);
                NetStack.Builder builder = NetStack.builder().device(tap).address("198.18." + subnet + ".2/24")
                        .gateway("198.18." + subnet + ".1").idle("poll");
                builder.module(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, tcpBufferBytes <= 0 ? Map.of()
                                : Map.of("send.buffer.bytes", tcpBufferBytes, "receive.buffer.bytes", tcpBufferBytes)));
                        bind(TcpStack.class).in(Singleton.class);
                        NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
                    }
                });
                Injector injector = Guice.createInjector(builder.module());
                NetStack stack = injector.getInstance(NetStack.class);
                TcpStack tcp = injector.getInstance(TcpStack.class);
                tcp.addCongestionControl(new CubicFactory());
                tcp.addCongestionControl(new NewRenoFactory());
                DemoServices demo = new DemoServices(Configs.of(DemoConfig.class, Map.of("enabled", true)), tcp,
                        stack.shard());
                return new Rig(ns, tap, stack, tcp, demo, "198.18." + subnet + ".2");
            } catch (RuntimeException | Error e) {
                if (tap != null) {
                    tap.close();
                }
                ns.close();
                throw e;
            }
        }

        /** setns(2) moves one thread only: opens the TAP on a platform thread inside the namespace. */
        private static TapDevice openIn(String namespace, TapSettings settings) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread opener = Thread.ofPlatform().name("tof-tap-open").start(() -> {
                try (NetNamespace entered = NetNamespace.enter(namespace)) {
                    outcome.set(TapDevice.open(settings));
                } catch (RuntimeException | Error e) {
                    outcome.set(e);
                }
            });
            try {
                opener.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while opening the TAP");
            }
            if (outcome.get() instanceof TapDevice device) {
                return device;
            }
            if (outcome.get() instanceof RuntimeException e) {
                throw e;
            }
            throw (Error) outcome.get();
        }

        /** {@code bytes} of random data through the echo service with socat, both directions at once. */
        void echoIntact(Path dir, long bytes) {
            Path file = dir.resolve("echo.bin");
            Exec.run(Duration.ofSeconds(60), "sh", "-c", "head -c " + bytes + " /dev/urandom > " + file).check();
            Exec.Result r = ns.exec(TIMEOUT, "sh", "-c", "socat -t 60 -T 60 - TCP:" + stackIp + ":7 < " + file
                    + " | sha256sum; sha256sum < " + file);
            assertTrue(r.ok(), r::toString);
            List<String> sums = r.stdout().lines().map(l -> l.split(" ")[0]).toList();
            assertEquals(2, sums.size(), r::toString);
            assertEquals(sums.get(1), sums.get(0), "sha256 of " + bytes + " bytes echoed through the stack");
        }

        /** GET /bytes/N from the stack's HTTP service with curl, sha256 checked; returns the rate. */
        String downloadIntact(long bytes) {
            long start = System.nanoTime();
            Exec.Result r = ns.exec(TIMEOUT, "sh", "-c", "curl -sS --fail http://" + stackIp + "/bytes/" + bytes
                    + " | sha256sum");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(r.ok(), r::toString);
            assertEquals(BytePattern.sha256(bytes), r.stdout().split(" ")[0], "sha256 of GET /bytes/" + bytes);
            return rate(bytes, seconds);
        }

        /** GET /bytes/N to /dev/null (sha256 costs more CPU than the transfer); checks the size, returns the rate. */
        String download(long bytes) {
            long start = System.nanoTime();
            Exec.Result r = ns.exec(TIMEOUT, "curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download}",
                    "http://" + stackIp + "/bytes/" + bytes);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(r.ok(), r::toString);
            assertEquals(Long.toString(bytes), r.stdout().trim(), "bytes downloaded");
            return rate(bytes, seconds);
        }

        /**
         * Where bytes were lost so far: frames the kernel dropped on the TAP (its queue to the
         * stack overflowed), the kernel's and the stack's TCP retransmissions and timeouts.
         */
        String losses() {
            Exec.Result r = ns.exec(Duration.ofSeconds(10), "sh", "-c", "cat /sys/class/net/" + TAP
                    + "/statistics/tx_dropped; nstat -az TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPLossProbes"
                    + " TcpExtTCPWinProbe | awk '/^Tcp/ {print $2}'");
            List<String> v = r.stdout().lines().toList();
            Map<String, Long> tcpCounters = tcp.counters().snapshot();
            return "[so far: tap_tx_dropped=" + (v.isEmpty() ? "?" : v.get(0)) + " kernel_retrans=" + (v.size() > 1 ? v.get(1) : "?")
                    + " kernel_timeouts=" + (v.size() > 2 ? v.get(2) : "?") + " kernel_loss_probes="
                    + (v.size() > 3 ? v.get(3) : "?") + " kernel_window_probes=" + (v.size() > 4 ? v.get(4) : "?") + " stack " + tcpCounters.entrySet().stream()
                    .filter(e -> e.getKey().toLowerCase().matches(".*(retrans|timeouts|recover|out.of.order).*"))
                    .map(e -> e.getKey() + "=" + e.getValue()).toList() + "]";
        }

        String peer(Path script, String... args) {
            List<String> command = new java.util.ArrayList<>(List.of(TcpRig.python(), script.toString()));
            command.addAll(List.of(args));
            Exec.Result r = ns.exec(TIMEOUT, command.toArray(String[]::new));
            assertTrue(r.ok() && r.stdout().startsWith("ok"), () -> "tcppeer " + String.join(" ", args) + ": " + r);
            return r.stdout().trim();
        }

        @Override
        public void close() {
            try {
                demo.close();
                tcp.close();
                stack.close();
            } finally {
                ns.close();
            }
        }
    }
}
