package dev.netstack.interop;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.embedded.NetStack;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * One embedded stack on a TAP inside a network namespace made for it, the Linux kernel on the
 * other side:
 *
 * <pre>
 *   namespace nsh-PID-N:  kernel  tap0 198.18.S.1/24  ══ TAP ══  stack eth0 198.18.S.2/24 (this JVM)
 * </pre>
 *
 * Each test class uses its own /24 ({@code S}). {@link #close()} stops the stack (the TAP goes
 * with it) and deletes the namespace, also after a failure; {@link #requireRig()} skips tests on
 * machines without root, /dev/net/tun or ip, and removes namespaces left by killed runs.
 */
final class TapRig implements AutoCloseable {

    static final String PREFIX = "nsh-";
    static final String TAP = "tap0";
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    final NetNs ns;
    final NetStack stack;
    final String kernelIp;
    final String stackIp;

    private TapRig(NetNs ns, NetStack stack, String kernelIp, String stackIp) {
        this.ns = ns;
        this.stack = stack;
        this.kernelIp = kernelIp;
        this.stackIp = stackIp;
    }

    /** Skips unless namespaces and TAPs can be made here; cleans up leftovers of this prefix. */
    static void requireRig() {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        NetNs.cleanup(PREFIX);
    }

    /** Skips unless {@code program} is installed. */
    static void requireProgram(String program) {
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v " + program).ok(), "needs " + program);
    }

    /** Skips unless Debian's python3 has scapy. */
    static void requireScapy() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3"))
                && Exec.run(Duration.ofSeconds(30), "/usr/bin/python3", "-c", "import scapy.all").ok(),
                "needs python3-scapy");
    }

    static TapRig start(int subnet) {
        return start(subnet, b -> b);
    }

    /** A namespace and a stack on 198.18.{@code subnet}.0/24; {@code options} may add to the builder. */
    static TapRig start(int subnet, UnaryOperator<NetStack.Builder> options) {
        String kernelIp = "198.18." + subnet + ".1";
        String stackIp = "198.18." + subnet + ".2";
        NetNs ns = NetNs.create(PREFIX);
        try {
            NetStack stack = options.apply(NetStack.builder().tap(TAP).namespace(ns.name())
                    .hostAddress(kernelIp + "/24").address(stackIp + "/24").mac("02:00:5e:12:00:02").idle("poll"))
                    .build();
            return new TapRig(ns, stack, kernelIp, stackIp);
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
    }

    /** Runs {@code command} in the namespace. */
    Exec.Result exec(String... command) {
        return ns.exec(TIMEOUT, command);
    }

    @Override
    public void close() {
        try {
            stack.close();
        } finally {
            ns.close();
        }
    }
}
