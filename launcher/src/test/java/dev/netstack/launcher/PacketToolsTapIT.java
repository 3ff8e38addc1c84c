package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./netstack pktgen} and {@code ./netstack fwd} from the distribution on TAPs in an
 * {@code nsw-} namespace: every frame pktgen reports sent is counted by the kernel on the TAP, and
 * fwd moves the frames the kernel sends on one TAP to the other. Root only.
 */
class PacketToolsTapIT {

    private static final Path DIST = Path.of(System.getProperty("netstack.dist", "target/dist"));
    private static final Pattern TOTAL_SENT = Pattern.compile("total: (\\d+) frames sent in [0-9.]+ s, ([0-9.]+) Mpps");
    private static final Pattern TOTAL_FORWARDED = Pattern.compile(
            "total: (\\d+) frames forwarded in [0-9.]+ s, ([0-9.]+) Mpps \\(1->2 (\\d+), 2->1 (\\d+), dropped (\\d+)\\)");

    private String ns;

    @BeforeEach
    void namespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for namespaces and TAPs");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
        assumeTrue(Files.isExecutable(DIST.resolve("bin/netstack")), "no distribution at " + DIST);
        for (String line : sh("ip", "netns", "list").split("\n")) {
            if (line.startsWith("nsw-pt-")) {
                sh("ip", "netns", "del", line.split(" ")[0]);
            }
        }
        ns = "nsw-pt-" + ProcessHandle.current().pid();
        check("ip", "netns", "add", ns);
    }

    @AfterEach
    void removeNamespace() throws Exception {
        if (ns != null) {
            sh("ip", "netns", "del", ns);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void pktgenFramesAreCountedByTheKernel() throws Exception {
        tap("nsw-p0");
        String output = netstack(30, "pktgen", "--tap", "nsw-p0", "--seconds", "2");
        System.out.println(output);
        Matcher total = TOTAL_SENT.matcher(output);
        assertTrue(total.find(), output);
        long sent = Long.parseLong(total.group(1));
        assertTrue(sent > 1000, output);
        assertTrue(output.contains("second 1: "), output);
        assertEquals(sent, rxPackets("nsw-p0"), "frames the kernel received on the TAP");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fwdMovesFramesFromOneTapToTheOther() throws Exception {
        tap("nsw-f0");
        tap("nsw-f1");
        // The kernel sends on nsw-f0 only: pings to a neighbour that exists only as a static entry.
        check("ip", "-n", ns, "addr", "add", "198.18.22.1/24", "dev", "nsw-f0");
        check("ip", "-n", ns, "neigh", "add", "198.18.22.2", "lladdr", "02:00:00:00:00:22", "dev", "nsw-f0");
        Path log = Files.createTempFile("fwd", ".log");
        Process fwd = new ProcessBuilder(command("fwd", "--tap", "nsw-f0", "--tap2", "nsw-f1", "--seconds", "0"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.readString(log).contains("fwd: ") && System.nanoTime() - deadline < 0 && fwd.isAlive()) {
                Thread.sleep(50);
            }
            assertTrue(Files.readString(log).contains("fwd: "), Files.readString(log));
            long before = rxPackets("nsw-f1");
            sh("ip", "netns", "exec", ns, "ping", "-q", "-c", "300", "-i", "0.002", "-W", "1", "198.18.22.2"); // no one answers
            Thread.sleep(300);
            long sentByKernel = txPackets("nsw-f0");
            long arrived = rxPackets("nsw-f1") - before;
            fwd.destroy(); // SIGTERM: the loop stops, prints its total, closes the TAPs and exits 0
            assertTrue(fwd.waitFor(10, TimeUnit.SECONDS));
            String output = Files.readString(log);
            System.out.println(output);
            assertEquals(0, fwd.exitValue(), output);
            assertTrue(sentByKernel >= 300, "kernel sent " + sentByKernel);
            assertEquals(sentByKernel, arrived, "frames forwarded from nsw-f0 to nsw-f1\n" + output);
            Matcher total = TOTAL_FORWARDED.matcher(output);
            assertTrue(total.find(), output);
            assertEquals(sentByKernel, Long.parseLong(total.group(3)), output);
            assertEquals(0, Long.parseLong(total.group(4)), output);
        } finally {
            fwd.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }

    /** A persistent TAP, up, without IPv6 (so the kernel sends nothing of its own on it). */
    private void tap(String name) throws Exception {
        check("ip", "-n", ns, "tuntap", "add", "dev", name, "mode", "tap");
        check("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + name + ".disable_ipv6=1");
        check("ip", "-n", ns, "link", "set", name, "up");
    }

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns, DIST.resolve("bin/netstack").toString()));
        command.addAll(List.of(args));
        return command;
    }

    private String netstack(int timeoutSeconds, String... args) throws Exception {
        Process p = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    private long rxPackets(String device) throws Exception {
        return Long.parseLong(sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + device + "/statistics/rx_packets").trim());
    }

    private long txPackets(String device) throws Exception {
        return Long.parseLong(sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/" + device + "/statistics/tx_packets").trim());
    }

    private static void check(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }

    private static String sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
