package dev.netstack.nic.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.PacketPool;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.runtime.os.Linux;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The driver on real (emulated) devices: boots the QEMU guest of tools/qemu-guest and runs
 * {@link GuestDriverCheck} there on the legacy and the modern virtio-net device, then checks the
 * guest's report and the host side of both TAPs: every frame the driver sent was received there.
 * Skipped unless run as root with QEMU, a Debian kernel and static busybox installed (CI installs
 * them with apt-get). Takes about 90 s.
 */
class VirtioGuestTest {

    private static final Pattern RX_PACKETS = Pattern.compile(
            "\\d+: (vtap\\d+):.*?\\n.*?RX:[^\\n]*\\n\\s*(\\d+)\\s+(\\d+)", Pattern.DOTALL);

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void driverSendsReceivesAndGivesTheDeviceBackOnBothTransports() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86 is not installed");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            assumeTrue(boot.anyMatch(p -> p.getFileName().toString().matches("vmlinuz-.*-amd64")),
                    "linux-image-amd64 is not installed");
        }
        assumeTrue(System.getenv("NETSTACK_SKIP_GUEST") == null, "NETSTACK_SKIP_GUEST is set");
        Path script = projectRoot().resolve("tools/qemu-guest/run-in-guest.sh");
        Path results = Path.of("target/guest-results").toAbsolutePath();
        deleteTree(results);
        Files.createDirectories(results);

        List<String> command = new ArrayList<>(List.of(script.toString(), "-t", "240", "-o", results.toString(), "-q", "2",
                "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classPath(),
                GuestDriverCheck.class.getName()));
        Process guest = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(results.resolve("run-in-guest.log").toFile()).start();
        if (!guest.waitFor(280, TimeUnit.SECONDS)) {
            guest.destroy(); // the script's trap removes QEMU and the namespace
            guest.waitFor(10, TimeUnit.SECONDS);
        }
        String report = Files.exists(results.resolve("guest-report.txt"))
                ? Files.readString(results.resolve("guest-report.txt")) : "(no report)";
        System.out.println(report);
        assertEquals(0, guest.exitValue(), () -> "guest run failed; report:\n" + report + "\nconsole: "
                + results.resolve("console.log"));
        assertFalse(report.contains("FAIL"), report);
        for (String kind : new String[] {"legacy", "modern"}) {
            assertTrue(report.contains("ok   " + kind + ": kernel driver after close is virtio-pci"), report);
            assertTrue(report.contains("ok   " + kind + ": 20 of 20 echo replies"), report);
            assertTrue(report.contains("ok   " + kind + " mq: 2 queue pairs"), report);
            assertTrue(report.contains("ok   " + kind + " mq: transmit queue 1: ARP and 20 of 20 echo replies"), report);
        }

        // Every frame the driver sent arrived at the host's TAP of its device.
        String links = Files.readString(results.resolve("host-links.txt"));
        Matcher m = RX_PACKETS.matcher(links);
        long legacyRx = -1;
        long modernRx = -1;
        while (m.find()) {
            long packets = Long.parseLong(m.group(3));
            if (m.group(1).equals("vtap0")) {
                legacyRx = packets;
            } else if (m.group(1).equals("vtap1")) {
                modernRx = packets;
            }
        }
        assertEquals(sent(report, "legacy"), legacyRx, links);
        assertEquals(sent(report, "modern"), modernRx, links);
        assertTrue(legacyRx >= GuestDriverCheck.BURST + GuestDriverCheck.PINGS + 1);
    }

    /** Frames the guest sent on a device: the single-queue run plus the multiqueue run ("sent KIND mq N"). */
    private static long sent(String report, String kind) {
        Matcher m = Pattern.compile("sent " + kind + "(?: mq)? (\\d+)").matcher(report);
        long sum = 0;
        int lines = 0;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
            lines++;
        }
        assertTrue(lines > 0, report);
        return sum;
    }

    /** The classes the guest program needs, as directories or jars of this build (the guest sees the same paths). */
    private static String classPath() throws Exception {
        List<String> entries = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {GuestDriverCheck.class, VirtioDevice.class, PciDevice.class,
            PacketPool.class, Linux.class}) {
            String entry = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            if (!entries.contains(entry)) {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
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

    private static void deleteTree(Path dir) throws Exception {
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
