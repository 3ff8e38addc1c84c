package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.demo.BytePattern;
import dev.netstack.test.Exec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TCP between the stack and the Linux kernel over a TAP, both directions, byte-identical:
 * curl from the kernel to the demo HTTP server, {@code ./netstack get} against {@code python3 -m
 * http.server}, socat to the stack's echo, {@code ./netstack nc} to and from kernel socat; then
 * 1,000 sequential and 500 concurrent connections. Sizes: {@code interop.tcp.bytes} (default 100 MB).
 */
class TcpTransferTest {

    static final long BYTES = Long.getLong("interop.tcp.bytes", 100L << 20);
    static final long ECHO_BYTES = Long.getLong("interop.tcp.echo.bytes", 20L << 20);

    @TempDir
    Path dir;

    @BeforeAll
    static void rig() {
        TcpRig.requireRig();
    }

    @Test
    void curlFetchesThePatternFromTheDemoServerByteIdentical() {
        TcpRig.requireProgram("curl");
        try (TcpRig rig = TcpRig.start(40)) {
            long start = System.nanoTime();
            Exec.Result r = rig.sh("curl -sS --fail -m 100 http://" + rig.stackIp + "/bytes/" + BYTES + " | sha256sum");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(BytePattern.sha256(BYTES), r.stdout().split(" ")[0], "sha256 of GET /bytes/" + BYTES);
            System.out.printf("curl GET /bytes/%d from the stack: %.2f s, %.0f Mbit/s%n", BYTES, seconds,
                    BYTES * 8 / seconds / 1e6);
        }
    }

    @Test
    void netstackGetFetchesAFileFromTheKernelHttpServerByteIdentical() throws Exception {
        Path www = java.nio.file.Files.createDirectories(dir.resolve("www"));
        Exec.run(java.time.Duration.ofSeconds(120), "sh", "-c", "head -c " + BYTES + " /dev/urandom > " + www.resolve("file.bin")).check();
        String expected = Exec.run(java.time.Duration.ofSeconds(60), "sha256sum", www.resolve("file.bin").toString())
                .check().stdout().split(" ")[0];
        TcpRig.dist();
        try (TcpRig rig = TcpRig.start(42)) {
            rig.background("sh", "-c", "cd " + www + " && exec " + TcpRig.python() + " -m http.server 8000 --bind 0.0.0.0");
            awaitPort(rig, 8000);
            Path out = dir.resolve("got.bin");
            long start = System.nanoTime();
            Exec.Result r = Exec.run(TcpRig.TIMEOUT, rig.tool("get", "http://198.18.43.1:8000/file.bin", "-o", out.toString()));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals("", r.stdout(), "get prints nothing on stdout with -o");
            String got = Exec.run(java.time.Duration.ofSeconds(60), "sha256sum", out.toString()).check().stdout().split(" ")[0];
            assertEquals(expected, got);
            System.out.printf("./netstack get of %d bytes from python http.server: %.2f s including the JVM start%n",
                    BYTES, seconds);

            Exec.Result missing = Exec.run(TcpRig.TIMEOUT, rig.tool("get", "http://198.18.43.1:8000/nothing"));
            assertEquals(1, missing.exitCode(), missing.toString());
            assertEquals("", missing.stdout());
            assertTrue(missing.stderr().contains("netstack: the server answered 404"), missing.stderr());
            Exec.Result refused = Exec.run(TcpRig.TIMEOUT, rig.tool("get", "http://198.18.43.1:8001/"));
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("connection refused"), refused.stderr());
        }
    }

    @Test
    void socatThroughTheStackEchoComesBackByteIdentical() throws Exception {
        TcpRig.requireProgram("socat");
        Path file = dir.resolve("echo.bin");
        Exec.run(java.time.Duration.ofSeconds(60), "sh", "-c", "head -c " + ECHO_BYTES + " /dev/urandom > " + file).check();
        try (TcpRig rig = TcpRig.start(44)) {
            long start = System.nanoTime();
            Exec.Result r = rig.sh("socat -t 60 -T 60 - TCP:" + rig.stackIp + ":7 < " + file + " | sha256sum; sha256sum < " + file);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<String> sums = r.stdout().lines().map(l -> l.split(" ")[0]).toList();
            assertEquals(sums.get(1), sums.get(0), "echo of " + ECHO_BYTES + " bytes");
            System.out.printf("socat through the stack's echo, %d bytes each way: %.2f s%n", ECHO_BYTES, seconds);
        }
    }

    @Test
    void netstackNcSendsToAndReceivesFromKernelSocat() throws Exception {
        TcpRig.requireProgram("socat");
        TcpRig.dist();
        Path file = dir.resolve("nc.bin");
        Exec.run(java.time.Duration.ofSeconds(60), "sh", "-c", "head -c " + ECHO_BYTES + " /dev/urandom > " + file).check();
        String expected = Exec.run(java.time.Duration.ofSeconds(60), "sha256sum", file.toString()).check().stdout().split(" ")[0];
        try (TcpRig rig = TcpRig.start(46)) {
            // stack → kernel: nc's stdin lands in the file socat writes
            Path received = dir.resolve("received.bin");
            Process sink = rig.background("socat", "-u", "TCP-LISTEN:7000,reuseaddr", "OPEN:" + received + ",creat,trunc");
            awaitPort(rig, 7000);
            ProcessBuilder send = new ProcessBuilder(rig.tool("nc", "198.18.47.1", "7000")).redirectInput(file.toFile());
            Exec.Result sent = run(send);
            assertEquals(0, sent.exitCode(), sent.toString());
            assertTrue(sink.waitFor(30, TimeUnit.SECONDS), "socat ends at the stack's FIN");
            assertEquals(expected, Exec.run(java.time.Duration.ofSeconds(60), "sha256sum", received.toString()).check()
                    .stdout().split(" ")[0], "kernel received what nc sent");

            // kernel → stack: socat serves the file, nc writes it to stdout
            rig.background("socat", "-u", "OPEN:" + file, "TCP-LISTEN:7001,reuseaddr");
            awaitPort(rig, 7001);
            Path got = dir.resolve("got.bin");
            ProcessBuilder receive = new ProcessBuilder(rig.tool("nc", "198.18.47.1", "7001"))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).redirectOutput(got.toFile());
            Exec.Result r = run(receive);
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals(expected, Exec.run(java.time.Duration.ofSeconds(60), "sha256sum", got.toString()).check()
                    .stdout().split(" ")[0], "nc wrote what the kernel sent");
        }
    }

    @Test
    void thousandSequentialAndFiveHundredConcurrentConnections() {
        int sequential = Integer.getInteger("interop.tcp.sequential", 1000);
        int concurrent = Integer.getInteger("interop.tcp.concurrent", 500);
        try (TcpRig rig = TcpRig.start(48)) {
            Path script = TcpRig.peerScript(dir);
            String seq = rig.peer(script, "seq", rig.stackIp, "7", Integer.toString(sequential));
            System.out.println("sequential: " + seq);
            String con = rig.peer(script, "concurrent", rig.stackIp, "7", Integer.toString(concurrent));
            System.out.println("concurrent: " + con);
            System.out.println("tcp counters: " + rig.tcp.counters());
            assertTrue(rig.stack.onShard(() -> rig.tcp.connectionCount()) <= concurrent + 10,
                    "connections left in the table: " + rig.tcp.connectionCount());
        }
    }

    /**
     * The stack closes first (HTTP/1.0), so each connection leaves a TIME_WAIT in the stack, and curl
     * is held to four local ports, so the kernel reopens those 4-tuples at once: every SYN meets the
     * stack's TIME_WAIT and must start a new incarnation (RFC 6191 §2 with timestamps, RFC 9293
     * §3.10.7.4), not wait out 2·MSL or cost a SYN retransmission.
     */
    @Test
    void sequentialConnectionsReopenTheStacksTimeWaitFourTuples() {
        int connections = Integer.getInteger("interop.tcp.timewait.connections", 100);
        try (TcpRig rig = TcpRig.start(50)) {
            Path body = dir.resolve("body.bin");
            Exec.Result r = rig.sh("for i in $(seq 1 " + connections + "); do curl -0 -sS --fail -m 30 --local-port 61000-61003"
                    + " -o " + body + " http://" + rig.stackIp + "/bytes/1000 && sha256sum < " + body + "; done");
            List<String> lines = r.stdout().lines().toList();
            String expected = BytePattern.sha256(1000);
            long good = lines.stream().filter(l -> l.startsWith(expected)).count();
            java.util.Map<String, Long> tcp = rig.stack.onShard(() -> rig.tcp.counters().snapshot());
            System.out.println("TIME_WAIT reuse: " + good + " of " + connections + " byte-identical; time-wait-reused "
                    + tcp.get("time-wait-reused") + ", retrans-segs " + tcp.get("retrans-segs") + ", out-rsts "
                    + tcp.get("out-rsts"));
            assertEquals(connections, good, r.stdout());
            assertTrue(tcp.get("time-wait-reused") >= connections - 4, "new incarnations from TIME_WAIT: " + tcp);
        }
    }

    static Exec.Result run(ProcessBuilder builder) throws Exception {
        Process p = builder.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes());
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return builder.redirectOutput() == ProcessBuilder.Redirect.PIPE ? new String(p.getInputStream().readAllBytes()) : "";
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        boolean done = p.waitFor(TcpRig.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        return new Exec.Result(builder.command(), done ? p.exitValue() : -1, out.join(), err.join(), !done);
    }

    static void awaitPort(TcpRig rig, int port) {
        assertTrue(dev.netstack.test.NetNs.await(() -> rig.exec("sh", "-c", "ss -ltn | grep -q ':" + port + " '").ok(),
                java.time.Duration.ofSeconds(10)), "nothing listens on " + port);
    }
}
