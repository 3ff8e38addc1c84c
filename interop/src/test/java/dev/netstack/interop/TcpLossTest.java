package dev.netstack.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.demo.BytePattern;
import dev.netstack.nic.FaultPlan;
import dev.netstack.test.Exec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transfers of {@link TcpTransferTest} over a lossy path: the fault-injecting device on the
 * stack's side (1 % loss and 1 % reordering each way, seeded: {@code interop.tcp.seed}) and
 * nftables loss on the kernel's side (1 % of what the kernel receives on the TAP). Sizes:
 * {@code interop.tcp.loss.bytes} (default 20 MB). Byte-identical results are asserted; times are
 * printed.
 *
 * <p>{@link #completionTimeOf100MbAtOneAndFivePercentLoss} measures a 100 MB curl download with
 * the stack's segments dropped by nftables at 1 % and 5 %; it runs only with
 * {@code -Dinterop.tcp.loss.long=true} (it takes minutes at 5 %).
 */
class TcpLossTest {

    static final long BYTES = Long.getLong("interop.tcp.loss.bytes", 20L << 20);
    static final long SEED = Long.getLong("interop.tcp.seed", 5961L);

    @TempDir
    Path dir;

    @BeforeAll
    static void rig() {
        TcpRig.requireRig();
        TcpRig.requireProgram("nft");
    }

    private static TcpRig lossyRig(int subnet) {
        System.out.println("fault seed " + SEED);
        return TcpRig.start(subnet, b -> b.fault(FaultPlan.seeded(SEED).withDrop(0.01).withReorder(0.01)));
    }

    @Test
    void curlAndEchoStayByteIdenticalWithLossAndReorderingOnBothSides() throws Exception {
        TcpRig.requireProgram("curl");
        TcpRig.requireProgram("socat");
        Path file = dir.resolve("echo.bin");
        Exec.run(Duration.ofSeconds(60), "sh", "-c", "head -c " + BYTES / 4 + " /dev/urandom > " + file).check();
        try (TcpRig rig = lossyRig(50)) {
            rig.kernelLoss(TcpRig.TAP, 1);
            long start = System.nanoTime();
            Exec.Result r = rig.sh("curl -sS --fail -m 110 http://" + rig.stackIp + "/bytes/" + BYTES + " | sha256sum");
            System.out.printf("curl %d bytes with 1%% loss + 1%% reordering (stack) and 1%% loss (kernel): %.2f s%n",
                    BYTES, (System.nanoTime() - start) / 1e9);
            assertEquals(BytePattern.sha256(BYTES), r.stdout().split(" ")[0]);

            start = System.nanoTime();
            Exec.Result echo = rig.sh("socat -t 100 -T 100 - TCP:" + rig.stackIp + ":7 < " + file + " | sha256sum; sha256sum < " + file);
            System.out.printf("socat echo of %d bytes with the same faults: %.2f s%n", BYTES / 4, (System.nanoTime() - start) / 1e9);
            List<String> sums = echo.stdout().lines().map(l -> l.split(" ")[0]).toList();
            assertEquals(sums.get(1), sums.get(0));
            System.out.println("stack counters " + rig.stack.counters().get("fault") + "\ntcp " + rig.tcp.counters());
        }
    }

    @Test
    void netstackGetStaysByteIdenticalWithKernelSideLoss() throws Exception {
        TcpRig.dist();
        Path www = java.nio.file.Files.createDirectories(dir.resolve("www"));
        Exec.run(Duration.ofSeconds(60), "sh", "-c", "head -c " + BYTES + " /dev/urandom > " + www.resolve("f.bin")).check();
        String expected = Exec.run(Duration.ofSeconds(60), "sha256sum", www.resolve("f.bin").toString()).check().stdout().split(" ")[0];
        try (TcpRig rig = TcpRig.start(52)) {
            rig.background("sh", "-c", "cd " + www + " && exec " + TcpRig.python() + " -m http.server 8000 --bind 0.0.0.0");
            TcpTransferTest.awaitPort(rig, 8000);
            Path out = dir.resolve("got.bin");
            // the tool's TAP appears when it starts: drop 1 % of the ACKs and requests the kernel receives from it
            Process tool = new ProcessBuilder(rig.tool("get", "--timeout", "30", "http://198.18.53.1:8000/f.bin", "-o",
                    out.toString())).redirectErrorStream(true).start();
            boolean tapUp = dev.netstack.test.NetNs.await(() -> rig.ns.hasLink(TcpRig.TOOL_TAP), Duration.ofSeconds(20));
            if (tapUp) {
                rig.kernelLoss(TcpRig.TOOL_TAP, 1);
            }
            long start = System.nanoTime();
            boolean done = tool.waitFor(110, java.util.concurrent.TimeUnit.SECONDS);
            String output = new String(tool.getInputStream().readAllBytes());
            assertEquals(true, done, "get finished: " + output);
            assertEquals(0, tool.exitValue(), output);
            System.out.printf("./netstack get of %d bytes with 1%% kernel-side loss (from %s): %.2f s%n", BYTES,
                    tapUp ? "the start" : "never: the TAP did not show", (System.nanoTime() - start) / 1e9);
            assertEquals(expected, Exec.run(Duration.ofSeconds(60), "sha256sum", out.toString()).check().stdout().split(" ")[0]);
        }
    }

    @Test
    void completionTimeOf100MbAtOneAndFivePercentLoss() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("interop.tcp.loss.long"),
                "runs with -Dinterop.tcp.loss.long=true");
        TcpRig.requireProgram("curl");
        long bytes = Long.getLong("interop.tcp.loss.long.bytes", 100L << 20);
        for (int percent : new int[] {1, 5}) {
            try (TcpRig rig = TcpRig.start(54)) {
                rig.kernelLoss(TcpRig.TAP, percent);
                long start = System.nanoTime();
                Exec.Result r = rig.ns.exec(Duration.ofMinutes(30), "sh", "-c",
                        "curl -sS --fail http://" + rig.stackIp + "/bytes/" + bytes + " | sha256sum");
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(BytePattern.sha256(bytes), r.stdout().split(" ")[0], r.toString());
                System.out.printf("FIGURE: %d bytes stack->kernel at %d%% loss: %.2f s (%.0f Mbit/s); tcp %s%n", bytes,
                        percent, seconds, bytes * 8 / seconds / 1e6, rig.tcp.counters());
            }
        }
    }
}
