package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * The distribution in the QEMU guest of {@code tools/qemu-guest} on both virtio-net transports:
 * {@code ./netstack run --backend virtio --pci ADDR} with the demo services answers ping from the
 * host kernel on the TAP's host side and serves {@code GET /bytes/20971520} to curl there with the
 * sha256 of the documented pattern; the device goes back to virtio-pci afterwards. Then pktgen's
 * frames are counted on each host TAP, and fwd between the two guest devices moves frames the
 * host sends on vtap0 to vtap1. One guest boot runs it all ({@code virtio-stack-check.sh}); the
 * guest and this test take turns through files in the shared results directory. Root with QEMU,
 * a Debian kernel and static busybox only; {@code NETSTACK_SKIP_GUEST=1} skips it.
 */
class VirtioStackGuestIT {

    private static final Path DIST = Path.of(System.getProperty("netstack.dist", "target/dist")).toAbsolutePath();
    private static final int HTTP_BYTES = 20 * 1024 * 1024;
    private static final int GUEST_TIMEOUT_S = 360;
    private static final int FWD_PINGS = 300;
    private static final Pattern PKTGEN_TOTAL = Pattern.compile("total: (\\d+) frames sent in ([0-9.]+) s, ([0-9.]+) Mpps");
    private static final Pattern FWD_TOTAL = Pattern.compile(
            "total: (\\d+) frames forwarded in [0-9.]+ s, ([0-9.]+) Mpps \\(1->2 (\\d+), 2->1 (\\d+), dropped (\\d+)\\)");
    private static final Pattern SECOND = Pattern.compile("second \\d+: ([0-9.]+) Mpps");

    private String ns;
    private Path results;
    private final Map<String, String> host = new LinkedHashMap<>();

    @Test
    @Timeout(value = GUEST_TIMEOUT_S + 40, unit = TimeUnit.SECONDS)
    void fullStackPktgenAndFwdOnBothTransports() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86 is not installed");
        assumeTrue(onPath("curl"), "curl is not installed");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            assumeTrue(boot.anyMatch(p -> p.getFileName().toString().matches("vmlinuz-.*-amd64")),
                    "linux-image-amd64 is not installed");
        }
        assumeTrue(System.getenv("NETSTACK_SKIP_GUEST") == null, "NETSTACK_SKIP_GUEST is set");
        assumeTrue(Files.isExecutable(DIST.resolve("bin/netstack")), "no distribution at " + DIST);
        Path tools = projectRoot().resolve("tools/qemu-guest");
        results = Path.of("target/virtio-stack-guest").toAbsolutePath();
        deleteTree(results);
        Files.createDirectories(results);
        ns = "nsv-guest-" + ProcessHandle.current().pid();
        String expectedSha256 = patternSha256(HTTP_BYTES);

        List<String> command = List.of(tools.resolve("run-in-guest.sh").toString(), "-t", String.valueOf(GUEST_TIMEOUT_S),
                "-o", results.toString(), "-n", ns, "--", "/bin/sh", tools.resolve("virtio-stack-check.sh").toString(),
                DIST.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(results.resolve("run-in-guest.log").toFile());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        long startNs = System.nanoTime();
        Process guest = builder.start();
        try {
            serveGuest(guest);
            assertTrue(guest.waitFor(GUEST_TIMEOUT_S + 20, TimeUnit.SECONDS), "the guest run did not end");
        } finally {
            if (guest.isAlive()) {
                guest.destroy(); // the rig's trap removes QEMU and the namespace
                guest.waitFor(10, TimeUnit.SECONDS);
            }
        }
        String report = read(results.resolve("stack-report.txt"));
        StringBuilder summary = new StringBuilder("guest run " + (System.nanoTime() - startNs) / 1_000_000_000 + " s\n");
        host.forEach((k, v) -> summary.append("host ").append(k).append(": ").append(v).append('\n'));
        summary.append(report);
        String pktgenLegacy = read(results.resolve("pktgen-legacy.log"));
        String pktgenModern = read(results.resolve("pktgen-modern.log"));
        String fwd = read(results.resolve("fwd.log"));
        summary.append(pktgenLegacy).append(pktgenModern).append(fwd);
        System.out.println(summary);
        Files.writeString(results.resolve("summary.txt"), summary);
        String context = summary + "\nconsole: " + results.resolve("console.log");

        assertEquals(0, guest.exitValue(), context);
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertTrue(!report.contains("FAIL"), context));
        for (String kind : new String[] {"legacy", "modern"}) {
            checks.add(() -> assertEquals("3", host.get(kind + " ping replies"), context));
            checks.add(() -> assertEquals(expectedSha256, host.get(kind + " sha256"), context));
            checks.add(() -> assertEquals(String.valueOf(HTTP_BYTES), host.get(kind + " bytes"), context));
            checks.add(() -> assertTrue(report.contains("stack exit 0"), context));
            checks.add(() -> assertTrue(report.contains("driver " + kind + " after stack: virtio-pci"), context));
            checks.add(() -> assertTrue(report.contains("driver " + kind + " after pktgen: virtio-pci"), context));
            checks.add(() -> assertTrue(report.contains("driver " + kind + " after fwd: virtio-pci"), context));
            checks.add(() -> assertTrue(report.contains("pktgen " + kind + " exit 0"), context));
            String log = kind.equals("legacy") ? pktgenLegacy : pktgenModern;
            checks.add(() -> {
                Matcher total = PKTGEN_TOTAL.matcher(log);
                assertTrue(total.find(), context);
                long sent = Long.parseLong(total.group(1));
                assertTrue(sent > 1000, context);
                // every frame the guest's driver sent arrived on the host's TAP
                assertEquals(String.valueOf(sent), host.get(kind + " pktgen frames on the host TAP"), context);
            });
        }
        checks.add(() -> {
            assertTrue(report.contains("fwd exit 0"), context);
            Matcher total = FWD_TOTAL.matcher(fwd);
            assertTrue(total.find(), context);
            long hostSent = Long.parseLong(host.get("fwd frames the host sent on vtap0"));
            assertTrue(hostSent >= FWD_PINGS, context);
            assertEquals(String.valueOf(hostSent), host.get("fwd frames the host received on vtap1"), context);
            // every frame fwd sent from the legacy to the modern device arrived on vtap1 (pings and burst)
            long burstArrived = Long.parseLong(host.get("fwd burst: frames the host received on vtap1"));
            assertEquals(hostSent + burstArrived, Long.parseLong(total.group(3)), context);
        });
        assertAll(checks);
    }

    /** Answers the guest's steps until the guest run ends. */
    private void serveGuest(Process guest) throws Exception {
        List<String> steps = List.of("stack", "pktgen-legacy-before", "pktgen-legacy-after",
                "pktgen-modern-before", "pktgen-modern-after", "fwd");
        for (String step : steps) {
            Path asked = results.resolve("guest-" + step);
            while (!Files.exists(asked)) {
                if (!guest.isAlive()) {
                    return;
                }
                Thread.sleep(100);
            }
            try {
                step(step);
            } catch (Exception | AssertionError e) {
                host.put(step + " failed", e.toString());
            }
            Files.writeString(results.resolve("host-" + step), "done\n");
            System.out.println("host " + step + ": " + host);
        }
    }

    private long rxBefore;

    private void step(String step) throws Exception {
        switch (step) {
            case "stack" -> {
                stack("legacy", "198.18.10.2");
                stack("modern", "198.18.11.2");
            }
            case "pktgen-legacy-before" -> rxBefore = counter("vtap0", "rx_packets");
            case "pktgen-legacy-after" -> host.put("legacy pktgen frames on the host TAP",
                    String.valueOf(counter("vtap0", "rx_packets") - rxBefore));
            case "pktgen-modern-before" -> rxBefore = counter("vtap1", "rx_packets");
            case "pktgen-modern-after" -> host.put("modern pktgen frames on the host TAP",
                    String.valueOf(counter("vtap1", "rx_packets") - rxBefore));
            case "fwd" -> fwd();
            default -> throw new IllegalStateException(step);
        }
    }

    private void stack(String kind, String address) throws Exception {
        String ping = exec(90, "ip", "netns", "exec", ns, "ping", "-n", "-c", "3", "-i", "0.5", "-w", "60", address);
        Matcher replies = Pattern.compile("(\\d+) received").matcher(ping);
        host.put(kind + " ping replies", replies.find() ? replies.group(1) : ping.strip());
        Path body = results.resolve("http-" + kind + ".bin");
        String timing = exec(150, "ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "120", "-o", body.toString(),
                "-w", "%{http_code} %{size_download} %{time_total} %{time_starttransfer}",
                "http://" + address + "/bytes/" + HTTP_BYTES).strip();
        host.put(kind + " curl", timing);
        String[] words = timing.split(" ");
        if (words.length == 4 && Files.exists(body)) {
            host.put(kind + " bytes", String.valueOf(Files.size(body)));
            host.put(kind + " sha256", sha256(body));
            double seconds = Double.parseDouble(words[2]);
            host.put(kind + " TCP throughput", String.format(java.util.Locale.ROOT, "%.1f Mbit/s (%.2f s for %d bytes)",
                    Files.size(body) * 8 / 1e6 / seconds, seconds, Files.size(body)));
            Files.delete(body);
        }
    }

    private void fwd() throws Exception {
        // The host sends on vtap0 only: pings to an address no one has, sent to the legacy device's MAC.
        exec(10, "ip", "-n", ns, "neigh", "replace", "198.18.10.99", "lladdr", "52:54:00:00:0a:02", "dev", "vtap0");
        long tx0 = counter("vtap0", "tx_packets");
        long rx1 = counter("vtap1", "rx_packets");
        exec(60, "ip", "netns", "exec", ns, "ping", "-q", "-n", "-c", String.valueOf(FWD_PINGS), "-i", "0.005", "-W", "1",
                "198.18.10.99");
        Thread.sleep(1000);
        host.put("fwd frames the host sent on vtap0", String.valueOf(counter("vtap0", "tx_packets") - tx0));
        host.put("fwd frames the host received on vtap1", String.valueOf(counter("vtap1", "rx_packets") - rx1));
        // Then a burst as fast as the host can write frames to vtap0, for fwd's Mpps (not asserted:
        // frames QEMU cannot take while the guest's receive ring is full are dropped by the TAP).
        long burstRx = counter("vtap1", "rx_packets");
        String burst = exec(30, "ip", "netns", "exec", ns, "/usr/bin/python3", "-c", BURST, "vtap0", "3");
        host.put("fwd burst: frames the host wrote on vtap0", burst.strip());
        Thread.sleep(500);
        host.put("fwd burst: frames the host received on vtap1", String.valueOf(counter("vtap1", "rx_packets") - burstRx));
    }

    /** Writes 60-byte frames to the legacy device's MAC on TAP argv[1] for argv[2] seconds; prints how many. */
    private static final String BURST = """
            import socket, sys, time
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((sys.argv[1], 0))
            frame = bytes.fromhex("525400000a02" "02000000aa01" "88b5") + bytes(46)
            n = 0
            end = time.monotonic() + float(sys.argv[2])
            while time.monotonic() < end:
                for _ in range(256):
                    try:
                        s.send(frame)
                        n += 1
                    except OSError:
                        pass
            print(n)
            """;

    private long counter(String device, String name) throws Exception {
        return Long.parseLong(exec(10, "ip", "netns", "exec", ns, "cat", "/sys/class/net/" + device + "/statistics/" + name).strip());
    }

    /** SHA-256 of the first {@code length} bytes of the demo's documented pattern: byte i is (i * 31 + 7) mod 256. */
    static String patternSha256(int length) throws Exception {
        byte[] block = new byte[256 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (int done = 0; done < length; done += block.length) {
            digest.update(block, 0, Math.min(block.length, length - done)); // block.length is a multiple of 256
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String exec(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "(no " + file.getFileName() + ")\n";
    }

    private static Path projectRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("tools/qemu-guest"))) {
            dir = dir.getParent();
        }
        assumeTrue(dir != null, "tools/qemu-guest not found above " + Path.of("").toAbsolutePath());
        return dir;
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
