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
        assumeGuestRig();
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

    /**
     * VIRTIO_NET_F_RSS on the modern device with 2 queue pairs (rig options {@code -q 2 -r}):
     * {@link GuestDriverCheck} in {@code rss} mode counts frames per receive queue while the host
     * kernel sends, from the TAP's namespace, 64 TCP connection attempts from distinct source ports
     * (to ports 7 and 80), UDP datagrams, a TCP segment in two IPv4 fragments whose flow hashes to
     * queue 1, pings (one of them fragmented) and ARP requests. Every TCP segment must arrive on the
     * queue {@code rxQueueOf} predicts and the rest on queue 0. Takes about a minute.
     */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void rssPutsEveryTcpFlowOnThePredictedQueueAndEverythingElseOnQueueZero() throws Exception {
        assumeGuestRig();
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is missing (Debian's python3)");
        assumeTrue(onPath("ping") && onPath("arping"), "iputils-ping and iputils-arping are needed");
        Path script = projectRoot().resolve("tools/qemu-guest/run-in-guest.sh");
        Path results = Path.of("target/guest-rss-results").toAbsolutePath();
        deleteTree(results);
        Files.createDirectories(results);
        String netns = "nsv-guest-" + ProcessHandle.current().pid(); // the rig's prefix; it deletes the namespace
        int fragmentPort = portOnQueue(1);
        Path traffic = results.resolve("rss-traffic.py");
        Files.writeString(traffic, TRAFFIC);

        List<String> command = new ArrayList<>(List.of(script.toString(), "-t", "240", "-o", results.toString(),
                "-n", netns, "-q", "2", "-r", "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classPath(),
                GuestDriverCheck.class.getName(), "rss"));
        Process guest = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(results.resolve("run-in-guest.log").toFile()).start();
        String trafficLog = "(host sent nothing: the guest never got ready)";
        try {
            Path ready = results.resolve("guest-rss-ready");
            long deadlineNs = System.nanoTime() + 250_000_000_000L;
            while (!Files.exists(ready) && guest.isAlive() && System.nanoTime() - deadlineNs < 0) {
                Thread.sleep(200);
            }
            if (Files.exists(ready)) {
                String guestIp = MODERN_GUEST;
                String shell = PYTHON + " " + traffic + " " + MODERN_HOST + " " + guestIp + " " + FIRST_PORT + " " + FLOWS
                        + " " + fragmentPort + "; ping -n -c 3 -i 0.2 -W 1 " + guestIp + "; ping -n -c 1 -s 3000 -W 1 "
                        + guestIp + "; arping -c 2 -w 3 -I vtap1 " + guestIp + "; true";
                Process host = new ProcessBuilder("ip", "netns", "exec", netns, "sh", "-c", shell)
                        .redirectErrorStream(true).redirectOutput(results.resolve("rss-traffic.log").toFile()).start();
                if (!host.waitFor(60, TimeUnit.SECONDS)) {
                    host.destroyForcibly();
                }
                trafficLog = Files.readString(results.resolve("rss-traffic.log"));
                Files.writeString(results.resolve("host-rss-done"), "fragment port " + fragmentPort + "\n");
            }
            if (!guest.waitFor(200, TimeUnit.SECONDS)) {
                guest.destroy(); // the script's trap removes QEMU and the namespace
                guest.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            if (guest.isAlive()) {
                guest.destroy();
                guest.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Path reportFile = results.resolve("guest-rss-report.txt");
        String report = Files.exists(reportFile) ? Files.readString(reportFile) : "(no report)";
        System.out.println(report);
        System.out.println("host traffic:\n" + trafficLog);
        assertEquals(0, guest.exitValue(), () -> "guest run failed; report:\n" + report + "\nconsole: "
                + results.resolve("console.log"));
        assertFalse(report.contains("FAIL"), report);
        assertTrue(report.contains("ok   rss: VIRTIO_NET_F_RSS negotiated"), report);
        assertTrue(report.contains("ok   rss: every TCP segment on the queue rxQueueOf predicts"), report);
        assertTrue(report.contains("ok   rss: TCP flows on every queue"), report);
        assertTrue(report.contains("ok   rss: ARP, ICMP and UDP on queue 0 only"), report);
        assertTrue(report.contains("ok   rss: fragments on queue 0 only"), report);
        Matcher flows = Pattern.compile("flows (\\d+)").matcher(report);
        assertTrue(flows.find(), report);
        assertTrue(Integer.parseInt(flows.group(1)) >= FLOWS, "every connection attempt arrived: " + report);
    }

    /** A source port (from 41000) whose TCP flow to the guest's port 7 lands on {@code queue} of 2. */
    private static int portOnQueue(int queue) {
        dev.netstack.nic.virtio.internal.RssConfig rss = dev.netstack.nic.virtio.internal.RssConfig.forDevice(2, 40, 128);
        int host = 0xC6120B01;
        int guest = 0xC6120B02;
        for (int port = 41000; ; port++) {
            if (rss.queueOf(host, guest, port, 7) == queue) {
                return port;
            }
        }
    }

    private static final String PYTHON = "/usr/bin/python3";
    private static final String MODERN_HOST = "198.18.11.1";
    private static final String MODERN_GUEST = "198.18.11.2";
    private static final int FIRST_PORT = 40000;
    private static final int FLOWS = 64;

    /**
     * Host traffic, run in the TAP's namespace: argv host guest first-port flows fragment-port.
     * Connection attempts by the kernel's TCP (the guest never answers, so each SYN is resent once
     * within the 3 s wait), UDP datagrams, and one TCP SYN segment cut into two IPv4 fragments
     * (RFC 791 §3.2: MF set on the first, offset 3 x 8 bytes on the second) through a raw socket.
     */
    private static final String TRAFFIC = """
            import socket, struct, sys, time
            host, guest = sys.argv[1], sys.argv[2]
            first, flows, fragport = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            socks = []
            for i in range(flows):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.bind((host, first + i))
                s.connect_ex((guest, 7 if i % 2 == 0 else 80))
                socks.append(s)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(4):
                u.sendto(b'netstack rss', (guest, 9 + i))
            tcp = struct.pack('!HHIIBBHHH', fragport, 7, 1, 0, 5 << 4, 0x02, 65535, 0, 0) + b'x' * 24
            raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            for offset, more, part in ((0, 1, tcp[:24]), (3, 0, tcp[24:])):
                ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(part), 0x4e53, (more << 13) | offset, 64, 6, 0,
                                 socket.inet_aton(host), socket.inet_aton(guest))
                raw.sendto(ip + part, (guest, 0))
            time.sleep(3)
            print('sent', flows, 'connection attempts, 4 datagrams, 2 fragments of port', fragport)
            """;

    private static void assumeGuestRig() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86 is not installed");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        try (Stream<Path> boot = Files.list(Path.of("/boot"))) {
            assumeTrue(boot.anyMatch(p -> p.getFileName().toString().matches("vmlinuz-.*-amd64")),
                    "linux-image-amd64 is not installed");
        }
        assumeTrue(System.getenv("NETSTACK_SKIP_GUEST") == null, "NETSTACK_SKIP_GUEST is set");
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
