package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.demo.BytePattern;
import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures, printed and not asserted: bulk throughput and the 64-byte request/response rate between
 * the kernel and the stack over the TAP, beside the same client (scripts/tcppeer.py) against a
 * kernel server in a second namespace over a veth pair, in the same run. Sizes:
 * {@code interop.tcp.perf.bytes} (default 100 MB) and {@code interop.tcp.perf.rr} (default 20,000).
 */
class TcpPerformanceTest {

    static final long BYTES = Long.getLong("interop.tcp.perf.bytes", 100L << 20);
    static final int ROUND_TRIPS = Integer.getInteger("interop.tcp.perf.rr", 20_000);

    @TempDir
    Path dir;

    @BeforeAll
    static void rig() {
        TcpRig.requireRig();
        TcpRig.requireProgram("curl");
    }

    @Test
    void throughputAndRequestResponseRateOverTapBesideVeth() {
        Path script = TcpRig.peerScript(dir);
        String tapSend;
        String tapRr;
        String tapCurl;
        try (TcpRig rig = TcpRig.start(60)) {
            tapSend = rig.peer(script, "bulk", rig.stackIp, "9", Long.toString(BYTES));
            tapRr = rig.peer(script, "rr", rig.stackIp, "7", Integer.toString(ROUND_TRIPS));
            long start = System.nanoTime();
            Exec.Result r = rig.sh("curl -sS --fail http://" + rig.stackIp + "/bytes/" + BYTES + " | sha256sum");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(BytePattern.sha256(BYTES), r.stdout().split(" ")[0]);
            tapCurl = String.format("bytes=%d seconds=%.3f mbit_per_second=%.0f", BYTES, seconds, BYTES * 8 / seconds / 1e6);
        }
        String vethSend;
        String vethRr;
        String vethCurl;
        try (NetNs a = NetNs.create(TcpRig.PREFIX); NetNs b = NetNs.create(TcpRig.PREFIX)) {
            a.veth("va", b, "vb");
            a.address("va", "198.18.62.1/24");
            b.address("vb", "198.18.62.2/24");
            Process server = new ProcessBuilder(b.prefixCommand(TcpRig.python(), script.toString(), "server", "198.18.62.2"))
                    .redirectErrorStream(true).start();
            try {
                NetNs.await(() -> b.exec("sh", "-c", "ss -ltn | grep -q ':9 '").ok(), Duration.ofSeconds(10));
                vethSend = okLine(a.exec(Duration.ofSeconds(120), TcpRig.python(), script.toString(), "bulk", "198.18.62.2",
                        "9", Long.toString(BYTES)));
                vethRr = okLine(a.exec(Duration.ofSeconds(120), TcpRig.python(), script.toString(), "rr", "198.18.62.2",
                        "7", Integer.toString(ROUND_TRIPS)));
                // kernel → kernel download of the same size (curl from a python http.server of a sparse file)
                Exec.run(Duration.ofSeconds(30), "truncate", "-s", Long.toString(BYTES), dir.resolve("zero.bin").toString()).check();
                Process http = new ProcessBuilder(b.prefixCommand("sh", "-c", "cd " + dir + " && exec " + TcpRig.python()
                        + " -m http.server 8000 --bind 198.18.62.2")).redirectErrorStream(true).start();
                try {
                    NetNs.await(() -> b.exec("sh", "-c", "ss -ltn | grep -q ':8000 '").ok(), Duration.ofSeconds(10));
                    long start = System.nanoTime();
                    Exec.Result r = a.exec(Duration.ofSeconds(120), "curl", "-sS", "--fail", "-o", "/dev/null",
                            "http://198.18.62.2:8000/zero.bin");
                    double seconds = (System.nanoTime() - start) / 1e9;
                    vethCurl = r.ok() ? String.format("bytes=%d seconds=%.3f mbit_per_second=%.0f (python http.server)", BYTES,
                            seconds, BYTES * 8 / seconds / 1e6) : "failed: " + r;
                } finally {
                    http.destroyForcibly();
                }
            } finally {
                server.destroyForcibly();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        System.out.println("FIGURE kernel->peer bulk (tcppeer bulk to discard)");
        System.out.println("  TAP  kernel->stack: " + tapSend);
        System.out.println("  veth kernel->kernel: " + vethSend);
        System.out.println("FIGURE peer->kernel bulk (curl download)");
        System.out.println("  TAP  stack->kernel: " + tapCurl + " (GET /bytes, sha256 checked)");
        System.out.println("  veth kernel->kernel: " + vethCurl);
        System.out.println("FIGURE 64-byte request/response, one connection (tcppeer rr to echo)");
        System.out.println("  TAP  kernel<->stack: " + tapRr);
        System.out.println("  veth kernel<->kernel: " + vethRr);
    }

    private static String okLine(Exec.Result r) {
        if (!r.ok() || !r.stdout().startsWith("ok")) {
            throw new AssertionError("tcppeer failed: " + r);
        }
        return r.stdout().trim();
    }
}
