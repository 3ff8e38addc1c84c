package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.test.Exec;
import dev.netstack.test.NetNs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap of the tcp bundle under a live connection: the distribution runs {@code demo} on a TAP
 * in a namespace ({@code nsp-}), kernel socat holds a connection to the echo service; stopping the
 * tcp bundle ({@code stop ID} over the control socket) resets it (socat exits), a new connection
 * meanwhile is refused (ICMP protocol unreachable), and after {@code start ID} a new connection is
 * echoed at once. Needs root and socat; skipped otherwise.
 */
class HotSwapIT {

    private static final String PREFIX = "nsp-";
    private static final Pattern TCP_BUNDLE = Pattern.compile("(?m)^\\s*(\\d+)\\|[^|]*\\|[^|]*\\|dev\\.netstack\\.tcp \\(");

    @TempDir
    Path dir;

    private final Path dist = Path.of(System.getProperty("netstack.dist", "target/dist")).toAbsolutePath();

    @Test
    void stoppingTcpResetsItsConnectionsAndStartingItServesNewOnesAtOnce() throws Exception {
        assumeTrue(NetNs.available(), "needs root and iproute2");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        assumeTrue(Exec.run(Duration.ofSeconds(5), "sh", "-c", "command -v socat").ok(), "needs socat");
        NetNs.cleanup(PREFIX);
        Path config = Files.createDirectories(dir.resolve("config"));
        Files.writeString(config.resolve("netstack.runtime.cfg"), "shards = 1\nidle = poll\n");
        Path run = dir.resolve("run");
        try (NetNs ns = NetNs.create(PREFIX)) {
            ProcessBuilder builder = new ProcessBuilder(ns.prefixCommand(dist.resolve("bin/netstack").toString(), "demo",
                    "--tap", "tap0", "--config", config.toString(), "--run", run.toString(), "--no-console"))
                    .redirectErrorStream(true);
            builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process stack = builder.start();
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stack.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("read failed: " + e);
                }
            });
            try {
                awaitStarted(stack, lines);
                Path socket = run.resolve(ControlClient.SOCKET);
                assertTrue(NetNs.await(() -> echoOnce(ns, "first"), Duration.ofSeconds(20)), "echo works before the swap");

                // a long-lived kernel connection: socat takes a reset as the end of that direction
                // (a warning with -d) and exits 1 s later (-t 1), its stdin still open
                Process held = new ProcessBuilder(ns.prefixCommand("socat", "-d", "-t", "1", "-", "TCP:198.18.0.2:7"))
                        .redirectErrorStream(true).start();
                OutputStream toSocat = held.getOutputStream();
                toSocat.write("held\n".getBytes(StandardCharsets.US_ASCII));
                toSocat.flush();
                byte[] echo = new byte[5];
                assertEquals(5, held.getInputStream().readNBytes(echo, 0, 5));
                assertEquals("held\n", new String(echo, StandardCharsets.US_ASCII));

                ControlClient.Result lb = ControlClient.execute(socket, "lb -s");
                Matcher m = TCP_BUNDLE.matcher(lb.out());
                assertTrue(m.find(), "the tcp bundle in lb -s:\n" + lb.out());
                String id = m.group(1);

                long stopNs = System.nanoTime();
                ControlClient.Result stop = ControlClient.execute(socket, "stop " + id);
                assertEquals(0, stop.status(), stop.err());
                assertTrue(held.waitFor(10, TimeUnit.SECONDS), "socat still runs 10 s after the tcp bundle stopped");
                String socatSaid = new String(held.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                System.out.printf("kernel connection ended %.0f ms after stop: socat exit %d, %s%n",
                        (System.nanoTime() - stopNs) / 1e6, held.exitValue(), socatSaid.trim());
                assertTrue(socatSaid.contains("Connection reset by peer"), "socat saw a reset: " + socatSaid);

                Exec.Result whileStopped = ns.exec(Duration.ofSeconds(10), "sh", "-c",
                        "echo x | socat -t 2 - TCP:198.18.0.2:7,connect-timeout=3");
                assertFalse(whileStopped.ok(), "no TCP while the bundle is stopped: " + whileStopped);
                System.out.println("while stopped: " + whileStopped.stderr().trim());

                ControlClient.Result start = ControlClient.execute(socket, "start " + id);
                assertEquals(0, start.status(), start.err());
                long startNs = System.nanoTime();
                int[] attempts = {0};
                assertTrue(NetNs.await(() -> {
                    attempts[0]++;
                    return echoOnce(ns, "again");
                }, Duration.ofSeconds(10)), "echo after the restart");
                System.out.printf("new connection echoed %.0f ms after start (attempt %d)%n",
                        (System.nanoTime() - startNs) / 1e6, attempts[0]);
                ControlClient.Result netstat = ControlClient.execute(socket, "netstat -a");
                System.out.println(netstat.out());
                assertTrue(netstat.out().contains("*:7"), netstat.out());
            } finally {
                stack.destroy();
                if (!stack.waitFor(20, TimeUnit.SECONDS)) {
                    stack.destroyForcibly();
                }
            }
        }
    }

    private static boolean echoOnce(NetNs ns, String word) {
        Exec.Result r = ns.exec(Duration.ofSeconds(10), "sh", "-c",
                "echo " + word + " | socat -t 5 - TCP:198.18.0.2:7,connect-timeout=2");
        return r.ok() && r.stdout().equals(word + "\n");
    }

    private static void awaitStarted(Process stack, LinkedBlockingQueue<String> lines) throws InterruptedException {
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder seen = new StringBuilder();
        while (deadlineNs - System.nanoTime() > 0 && stack.isAlive()) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null) {
                seen.append(line).append('\n');
                if (line.startsWith(Launcher.STARTED)) {
                    return;
                }
            }
        }
        fail("the demo did not start:\n" + seen);
    }
}
