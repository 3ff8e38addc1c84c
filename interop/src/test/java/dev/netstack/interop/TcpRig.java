package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Singleton;
import dev.netstack.demo.internal.DemoConfig;
import dev.netstack.demo.internal.DemoServices;
import dev.netstack.embedded.Configs;
import dev.netstack.embedded.NetStack;
import dev.netstack.embedded.NetStackModule;
import dev.netstack.tcp.cubic.CubicFactory;
import dev.netstack.tcp.internal.TcpConfig;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.tcp.newreno.NewRenoFactory;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * An embedded stack with TCP and the demo services (echo 7, discard 9, HTTP 80) on a TAP in a
 * namespace made for it, the Linux kernel on the other side:
 *
 * <pre>
 *   namespace nsp-PID-N:  kernel  tap0 198.18.S.1/24  ══ TAP ══  stack eth0 198.18.S.2/24 (this JVM)
 *                         kernel  tapt 198.18.S+1.1/24 ══ TAP ══ ./netstack nc|get (a child process)
 * </pre>
 *
 * {@link #close()} stops what the test started (processes in the namespace die with it), the
 * stack and the namespace, also after a failure.
 */
final class TcpRig implements AutoCloseable {

    /** Namespace prefix; {@code -Dinterop.tcp.prefix=} gives parallel runs their own (and their own cleanup). */
    static final String PREFIX = System.getProperty("interop.tcp.prefix", "nsp-");
    static final String TAP = "tap0";
    static final String TOOL_TAP = "tapt";
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    final NetNs ns;
    final NetStack stack;
    final TcpStack tcp;
    final DemoServices demo;
    final String kernelIp;
    final String stackIp;
    final int subnet;
    private final List<Process> processes = new ArrayList<>();

    private TcpRig(NetNs ns, NetStack stack, TcpStack tcp, DemoServices demo, int subnet) {
        this.ns = ns;
        this.stack = stack;
        this.tcp = tcp;
        this.demo = demo;
        this.subnet = subnet;
        this.kernelIp = "198.18." + subnet + ".1";
        this.stackIp = "198.18." + subnet + ".2";
    }

    static void requireRig() {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        NetNs.cleanup(PREFIX);
    }

    static void requireProgram(String program) {
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v " + program).ok(), "needs " + program);
    }

    static void requireScapy() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3"))
                && Exec.run(Duration.ofSeconds(30), "/usr/bin/python3", "-c", "import scapy.all").ok(),
                "needs python3-scapy");
    }

    /** The built distribution's launcher script (the tools run from it); skips if it is not built. */
    static Path dist() {
        Path bin = Path.of(System.getProperty("netstack.dist", "../launcher/target/dist"), "bin", "netstack").toAbsolutePath();
        assumeTrue(Files.isExecutable(bin), "needs the distribution: mvn -pl launcher -am package");
        return bin;
    }

    static TcpRig start(int subnet) {
        return start(subnet, b -> b);
    }

    static TcpRig start(int subnet, UnaryOperator<NetStack.Builder> options) {
        return start(subnet, Map.of(), options);
    }

    /** With {@code netstack.tcp} configuration {@code tcpConfig} (keys as in the PID, e.g. {@code syncookies}). */
    static TcpRig start(int subnet, Map<String, ?> tcpConfig, UnaryOperator<NetStack.Builder> options) {
        NetNs ns = NetNs.create(PREFIX);
        try {
            ns.ip("link", "set", "lo", "up");
            NetStack.Builder builder = options.apply(NetStack.builder().tap(TAP).namespace(ns.name())
                    .hostAddress("198.18." + subnet + ".1/24").address("198.18." + subnet + ".2/24")
                    .gateway("198.18." + subnet + ".1").mac("02:00:5e:12:00:02").idle("poll"));
            builder.module(new AbstractModule() {
                @Override
                protected void configure() {
                    bind(TcpConfig.class).toInstance(Configs.of(TcpConfig.class, tcpConfig));
                    bind(TcpStack.class).in(Singleton.class);
                    NetStackModule.protocols(binder()).addBinding(6).to(TcpStack.class);
                }
            });
            Injector injector = Guice.createInjector(builder.module());
            NetStack stack = injector.getInstance(NetStack.class);
            TcpStack tcp = injector.getInstance(TcpStack.class);
            tcp.addCongestionControl(new CubicFactory());
            tcp.addCongestionControl(new NewRenoFactory());
            DemoServices demo = new DemoServices(Configs.of(DemoConfig.class, Map.of("enabled", true)), tcp, stack.shard());
            demo.addCounters(tcp.counters());
            return new TcpRig(ns, stack, tcp, demo, subnet);
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
    }

    /** Runs {@code command} in the namespace and waits. */
    Exec.Result exec(String... command) {
        return ns.exec(TIMEOUT, command);
    }

    /** Runs a shell command line in the namespace and waits; fails with its output unless it exits 0. */
    Exec.Result sh(String commandLine) {
        Exec.Result r = ns.exec(TIMEOUT, "sh", "-c", commandLine);
        assertTrue(r.ok(), () -> "failed: " + r);
        return r;
    }

    /** Starts {@code command} in the namespace in the background; it is killed at {@link #close()}. */
    Process background(String... command) {
        try {
            ProcessBuilder b = new ProcessBuilder(ns.prefixCommand(command)).redirectErrorStream(true);
            Process p = b.start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel-side peer script ({@code scripts/tcppeer.py}) copied to {@code dir}. */
    static Path peerScript(Path dir) {
        Path script = dir.resolve("tcppeer.py");
        try (InputStream in = TcpRig.class.getResourceAsStream("/scripts/tcppeer.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    /** Runs tcppeer.py MODE ARGS in the namespace; returns its "ok ..." line, failing otherwise. */
    String peer(Path script, String... args) {
        List<String> command = new ArrayList<>(List.of(python(), script.toString()));
        command.addAll(List.of(args));
        Exec.Result r = ns.exec(TIMEOUT, command.toArray(String[]::new));
        assertTrue(r.ok() && r.stdout().startsWith("ok"), () -> "tcppeer " + String.join(" ", args) + ": " + r);
        return r.stdout().trim();
    }

    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** {@code ./netstack TOOL} in the namespace on its own TAP ({@code tapt}, 198.18.S+1.0/24). */
    List<String> tool(String... args) {
        List<String> command = new ArrayList<>(List.of(dist().toString()));
        command.add(args[0]);
        command.addAll(List.of("--tap", TOOL_TAP, "--address", "198.18." + (subnet + 1) + ".2/24",
                "--host-address", "198.18." + (subnet + 1) + ".1/24", "--mac", "02:00:5e:12:01:02"));
        command.addAll(List.of(args).subList(1, args.length));
        return ns.prefixCommand(command.toArray(String[]::new));
    }

    /** Drops {@code percent} % of the frames the kernel receives on {@code device} (nftables netdev ingress). */
    void kernelLoss(String device, int percent) {
        sh("nft add table netdev nsp_loss; nft add chain netdev nsp_loss in_" + device
                + " '{ type filter hook ingress device " + device + " priority 0; }'; nft add rule netdev nsp_loss in_"
                + device + " numgen random mod 100 '<' " + percent + " drop");
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        try {
            demo.close();
            tcp.close();
            stack.close();
        } finally {
            ns.close();
        }
    }
}
