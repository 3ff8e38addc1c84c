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
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution ({@code launcher/target/dist/bin/netstack}) against the Linux kernel:
 * each test starts it inside a network namespace of its own ({@code nsl-...}, deleted afterwards
 * with every process in it, also on failure) on a TAP, and talks to it with the kernel's tools and
 * {@code netstack shell}. Needs root and {@code /dev/net/tun}; skipped otherwise.
 */
class KernelIT {

    private static final String PREFIX = "nsl-";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DEVICE_TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern REPLY_SEQ = Pattern.compile("bytes from [0-9.]+: icmp_seq=(\\d+) ");

    @TempDir
    Path dir;

    private final Path dist = Path.of(System.getProperty("netstack.dist", "target/dist")).toAbsolutePath();
    private NetNs ns;
    private final List<Process> processes = new ArrayList<>();
    private final List<Stack> stacks = new ArrayList<>();

    @BeforeAll
    static void removeLeftovers() {
        if (kernelAvailable()) {
            NetNs.cleanup(PREFIX);
        }
    }

    private static boolean kernelAvailable() {
        return NetNs.available() && Files.exists(Path.of("/dev/net/tun"));
    }

    @BeforeEach
    void namespace() {
        assumeTrue(kernelAvailable(), "needs root, iproute2 and /dev/net/tun");
        assertTrue(Files.isExecutable(dist.resolve("bin/netstack")), "build the distribution first: mvn -pl launcher -am package");
        ns = NetNs.create(PREFIX);
    }

    @AfterEach
    void cleanUp() {
        for (Stack stack : stacks) {
            System.out.println("launcher stdout:\n" + stack.out() + "launcher stderr:\n" + stack.err());
        }
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        if (ns != null) {
            ns.close(); // kills what still runs inside, deletes the namespace
            assertFalse(ns.exists(), ns + " still exists");
        }
    }

    @Test
    void answersTheKernelsPingAndTheShellShowsTheTraffic() throws Exception {
        Stack stack = start("run", "--tap", "tap0", "--address", "198.18.41.2/24", "--host-address", "198.18.41.1/24");
        awaitReady(stack, "tap0", "198.18.41.2/24");
        Path pcap = dir.resolve("ping.pcap");
        Exec.Result capture = shell(stack, "capture", "start", "eth0", pcap.toString());
        assertEquals(0, capture.exitCode(), capture.toString());

        long replies = answered(ns.exec(Duration.ofSeconds(30), "ping", "-c", "20", "-i", "0.05", "-w", "15", "198.18.41.2"), 20);

        Exec.Result stopped = shell(stack, "capture", "stop", "eth0");
        assertEquals(0, stopped.exitCode(), stopped.toString());
        assertTrue(stopped.stdout().matches("(?s)stopped capture on eth0: \\d+ frames\\s*"), stopped.stdout());
        Exec.Result tshark = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", pcap.toString(), "-Y", "icmp");
        assertEquals(0, tshark.exitCode(), tshark.toString());
        assertTrue(count(tshark.stdout(), "Echo (ping) request") >= replies, tshark.stdout());
        assertTrue(count(tshark.stdout(), "Echo (ping) reply") >= replies, tshark.stdout());

        String kernelMac = kernelMac("tap0");
        Exec.Result ifconfig = shell(stack, "ifconfig");
        assertTrue(ifconfig.stdout().contains("eth0: index 1 UP mtu 1500"), ifconfig.stdout());
        assertTrue(ifconfig.stdout().contains("inet 198.18.41.2/24"), ifconfig.stdout());
        assertTrue(ifconfig.stdout().contains("device capture(tap:tap0), 1 queue"), ifconfig.stdout());
        long rxBefore = number(ifconfig.stdout(), "rx packets (\\d+)");
        assertTrue(rxBefore >= 20, ifconfig.stdout());

        Exec.Result arp = shell(stack, "arp");
        assertTrue(arp.stdout().matches("(?s).*eth0 +198\\.18\\.41\\.1 +" + kernelMac + " +reachable.*"),
                "the kernel's MAC " + kernelMac + " learnt:\n" + arp.stdout());

        Exec.Result route = shell(stack, "route");
        assertTrue(route.stdout().matches("(?s).*198\\.18\\.41\\.0/24 +- +eth0.*"), route.stdout());

        long echosBefore = number(shell(stack, "stats").stdout(), "in-echos +(\\d+)");
        long more = answered(ns.exec("ping", "-c", "5", "-i", "0.05", "-w", "15", "198.18.41.2"), 5);
        Exec.Result stats = shell(stack, "stats");
        assertTrue(number(stats.stdout(), "in-echos +(\\d+)") >= echosBefore + more, stats.stdout());
        assertTrue(number(stats.stdout(), "out-echo-reps +(\\d+)") >= echosBefore + more, stats.stdout());
        assertTrue(number(shell(stack, "ifconfig").stdout(), "rx packets (\\d+)") >= rxBefore + more);

        Exec.Result stackPing = shell(stack, "ping", "-c", "3", "-i", "0.1", "198.18.41.1");
        assertEquals(0, stackPing.exitCode(), stackPing.toString());
        assertTrue(stackPing.stdout().contains("3 packets transmitted, 3 received, 0% packet loss"), stackPing.stdout());
        assertEquals(3, count(stackPing.stdout(), "bytes from 198.18.41.1: icmp_seq="), stackPing.stdout());

        stack.process.destroy(); // SIGTERM: components deactivate, the TAP goes away
        assertTrue(stack.process.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
        assertEquals(0, stack.process.exitValue(), stack.err());
        assertFalse(ns.hasLink("tap0"), "closing the device removes the TAP");
        assertFalse(stack.err().contains("\tat "), "no stack trace:\n" + stack.err());
    }

    @Test
    void editingTheTapConfigurationMovesTheInterfaceToANewTapWhilePingRuns() throws Exception {
        Stack stack = start("run", "--tap", "tapa", "--address", "198.18.42.2/24", "--host-address", "198.18.42.1/24");
        awaitReady(stack, "tapa", "198.18.42.2/24");
        long announcedBefore = number(shell(stack, "stats").stdout(), "arp-gratuitous-out +(\\d+)");
        // Every ARP frame on every interface of the namespace, including the TAP made later.
        Path arpCapture = dir.resolve("arp.pcap");
        Process tcpdump = background(dir.resolve("tcpdump.txt"), "tcpdump", "-i", "any", "-U", "-n", "-w", arpCapture.toString(), "arp");
        Path pingOutput = dir.resolve("ping.txt");
        Process ping = background(pingOutput, "ping", "-i", "0.1", "-w", "90", "198.18.42.2");
        assertTrue(NetNs.await(() -> maxReplySeq(pingOutput) >= 10, Duration.ofSeconds(10)), "ping answered before the swap");

        Path config = dir.resolve("run/etc/nic.tap-eth0.cfg");
        String before = Files.readString(config);
        assertTrue(before.contains("tap = tapa"), before);
        Files.writeString(config, "name = eth0\ntap = tapb\nhost.address = 198.18.42.1/24\n");

        assertTrue(NetNs.await(() -> ns.hasLink("tapb") && !ns.hasLink("tapa"), DEVICE_TIMEOUT),
                "FileInstall moved eth0 from tapa to tapb");
        int lastSeqBeforeSwap = maxReplySeq(pingOutput);
        assertTrue(NetNs.await(() -> ns.ip("-4", "addr", "show", "dev", "tapb").stdout().contains("inet 198.18.42.1/24"),
                DEVICE_TIMEOUT), "the new TAP gets the host address");

        // Replies to requests sent after the new TAP appeared: the old one was gone by then.
        boolean resumed = NetNs.await(() -> repliesAfter(pingOutput, lastSeqBeforeSwap) >= 20, Duration.ofSeconds(30));
        ping.destroy();
        assertTrue(ping.waitFor(10, TimeUnit.SECONDS));
        String pingText = Files.readString(pingOutput);
        long repliesAfterSwap = repliesAfter(pingOutput, lastSeqBeforeSwap);
        int lastSeq = maxReplySeq(pingOutput);
        long replies = REPLY_SEQ.matcher(pingText).results().count();
        System.out.println("hot swap: " + replies + " of " + lastSeq + " echo requests answered up to icmp_seq " + lastSeq
                + ", " + repliesAfterSwap + " after icmp_seq " + lastSeqBeforeSwap + " (the last reply when tapb appeared)");
        assertTrue(resumed, "ping resumed on the new TAP:\n" + pingText);

        Exec.Result ifconfig = shell(stack, "ifconfig");
        assertTrue(ifconfig.stdout().contains("device capture(tap:tapb), 1 queue"), ifconfig.stdout());
        assertTrue(ifconfig.stdout().contains("inet 198.18.42.2/24"), "the interface keeps its address:\n" + ifconfig.stdout());
        assertEquals(announcedBefore + 1, number(shell(stack, "stats").stdout(), "arp-gratuitous-out +(\\d+)"));

        tcpdump.destroy(); // SIGTERM: tcpdump closes the file
        assertTrue(tcpdump.waitFor(10, TimeUnit.SECONDS));
        Exec.Result announcements = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", arpCapture.toString(),
                "-Y", "arp.isgratuitous == 1 && arp.src.proto_ipv4 == 198.18.42.2", "-T", "fields", "-e", "arp.src.hw_mac");
        assertEquals(0, announcements.exitCode(), announcements.toString());
        String newMac = group(ifconfig.stdout(), "ether ([0-9a-f:]{17})");
        assertTrue(announcements.stdout().lines().anyMatch(newMac::equals),
                "a gratuitous ARP from 198.18.42.2 with the new MAC " + newMac + ":\n" + announcements);
        assertFalse(stack.err().contains("\tat "), "no stack trace:\n" + stack.err());
    }

    /**
     * {@code --shards 2}: a 2-queue TAP, one lane per shard. The kernel's flows from 16 source
     * ports are served whole by the demo, and the status page, which names the lane that served
     * it, shows both lanes at work; ping (lane 0) and a 1 MiB echo work too.
     */
    @Test
    void demoOnTwoShardsServesEveryFlowOnTheLaneItsQueueFeeds() throws Exception {
        Stack stack = start("demo", "--tap", "tap0", "--address", "198.18.42.2/24", "--host-address", "198.18.42.1/24",
                "--shards", "2");
        Path socket = stack.runDir.resolve(ControlClient.SOCKET);
        assertTrue(NetNs.await(() -> {
            try {
                return ControlClient.execute(socket, "ifconfig").out().contains("inet 198.18.42.2/24")
                        && ns.ip("-4", "addr", "show", "dev", "tap0").stdout().contains("inet ");
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }, DEVICE_TIMEOUT), "eth0 up with its address; stderr:\n" + stack.err());
        assertTrue(stack.err().contains("running 2 lanes") || stack.out().contains("running 2 lanes"),
                "the runtime says it runs lanes:\n" + stack.out() + stack.err());
        assertEquals("2", ns.exec("sh", "-c", "ls /sys/class/net/tap0/queues | grep -c rx-").stdout().strip(),
                "the TAP has one queue per shard");

        answered(ns.exec(Duration.ofSeconds(30), "ping", "-c", "5", "-i", "0.05", "-w", "15", "198.18.42.2"), 5);

        int[] servedBy = new int[2];
        String expected = VirtioStackGuestIT.patternSha256(300_000);
        for (int i = 0; i < 16; i++) {
            int port = 41_000 + i;
            Exec.Result page = ns.exec(Duration.ofSeconds(60), "curl", "-sS", "--max-time", "30", "--local-port",
                    Integer.toString(port), "http://198.18.42.2/");
            assertEquals(0, page.exitCode(), page.toString());
            Matcher lane = Pattern.compile("connections of lane (\\d) \\(of 2").matcher(page.stdout());
            assertTrue(lane.find(), page.stdout());
            servedBy[Integer.parseInt(lane.group(1))]++;
            Path body = dir.resolve("bytes-" + i);
            Exec.Result bytes = ns.exec(Duration.ofSeconds(60), "curl", "-sS", "--max-time", "30", "--local-port",
                    Integer.toString(port + 100), "-o", body.toString(), "http://198.18.42.2/bytes/300000");
            assertEquals(0, bytes.exitCode(), bytes.toString());
            assertEquals(expected, sha256(body), "GET /bytes/300000 from port " + (port + 100) + " arrives intact");
        }
        System.out.println("pages served by lane 0: " + servedBy[0] + ", by lane 1: " + servedBy[1]);
        assertTrue(servedBy[0] > 0 && servedBy[1] > 0, "both lanes served pages: " + servedBy[0] + " and " + servedBy[1]);
        assertEquals(16, servedBy[0] + servedBy[1]);

        byte[] payload = new byte[1 << 20];
        new java.util.Random(42).nextBytes(payload);
        Path sent = dir.resolve("echo-in");
        Path echoed = dir.resolve("echo-out");
        Files.write(sent, payload);
        Exec.Result echo = ns.exec(Duration.ofSeconds(60), "sh", "-c", "socat -t 5 -T 20 - TCP:198.18.42.2:7 < " + sent
                + " > " + echoed);
        assertEquals(0, echo.exitCode(), echo.toString());
        assertEquals(sha256(sent), sha256(echoed), "1 MiB echoed intact");

        Exec.Result stats = shell(stack, "stats");
        assertTrue(number(stats.stdout(), "passive-opens +(\\d+)") >= 33, stats.stdout());
        Exec.Result perLane = shell(stack, "stats", "-l");
        long opens0 = number(perLane.stdout(), "(?s)tcp lane 0\n.*?passive-opens +(\\d+)");
        long opens1 = number(perLane.stdout(), "(?s)tcp lane 1\n.*?passive-opens +(\\d+)");
        System.out.println("passive opens by lane: " + opens0 + " and " + opens1);
        assertTrue(opens0 > 0 && opens1 > 0 && opens0 + opens1 == number(stats.stdout(), "passive-opens +(\\d+)"),
                perLane.stdout());
        assertTrue(number(perLane.stdout(), "(?s)icmp lane 0\n.*?in-echos +(\\d+)") >= 5, "ping is lane 0's:\n" + perLane.stdout());
        Exec.Result route = shell(stack, "route");
        assertTrue(route.stdout().matches("(?s).*198\\.18\\.42\\.0/24 +- +eth0.*"), route.stdout());
        Exec.Result stackPing = shell(stack, "ping", "-c", "2", "-i", "0.1", "198.18.42.1");
        assertTrue(stackPing.stdout().contains("2 packets transmitted, 2 received"), stackPing.toString());
        Exec.Result listeners = shell(stack, "netstat");
        assertTrue(listeners.stdout().contains("Lane"), "netstat shows lanes:\n" + listeners.stdout());

        // A one-queue TAP under the two lanes: shard 0 steers the flows in software.
        Path nic = stack.runDir.resolve("etc/nic.tap-eth0.cfg");
        Files.writeString(nic, Files.readString(nic).replace("queues = 2", "queues = 1"));
        assertTrue(NetNs.await(() -> stack.err().contains("2 lanes, steered in software"), DEVICE_TIMEOUT), stack.err());
        int[] steeredTo = new int[2];
        for (int i = 0; i < 8; i++) {
            Path body = dir.resolve("steered-" + i);
            Exec.Result page = ns.exec(Duration.ofSeconds(60), "curl", "-sS", "--max-time", "30", "--local-port",
                    Integer.toString(42_000 + i), "http://198.18.42.2/", "-o", body.toString(), "--next", "--max-time",
                    "30", "-o", dir.resolve("steered-bytes-" + i).toString(), "http://198.18.42.2/bytes/300000");
            assertEquals(0, page.exitCode(), page.toString());
            Matcher lane = Pattern.compile("connections of lane (\\d) \\(of 2").matcher(Files.readString(body));
            assertTrue(lane.find(), Files.readString(body));
            steeredTo[Integer.parseInt(lane.group(1))]++;
            assertEquals(expected, sha256(dir.resolve("steered-bytes-" + i)));
        }
        System.out.println("one-queue TAP: pages served by lane 0: " + steeredTo[0] + ", by lane 1: " + steeredTo[1]);
        assertTrue(steeredTo[0] > 0 && steeredTo[1] > 0, "both lanes served: " + steeredTo[0] + " and " + steeredTo[1]);
        assertFalse(stack.err().contains("\tat "), "no stack trace:\n" + stack.err());
    }

    private static String sha256(Path file) throws Exception {
        java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
        digest.update(Files.readAllBytes(file));
        return java.util.HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void demoAnswersPingOnNs0() throws Exception {
        Stack stack = start("demo");
        awaitReady(stack, "ns0", "198.18.0.2/24");
        answered(ns.exec(Duration.ofSeconds(30), "ping", "-c", "10", "-i", "0.05", "-w", "15", "198.18.0.2"), 10);
        assertTrue(ns.ip("-4", "addr", "show", "dev", "ns0").stdout().contains("inet 198.18.0.1/24"));
    }

    @Test
    void badConfigurationPrintsOneSentenceAndExits2() {
        for (List<String> options : List.of(List.of("--mac", "ff:ff:ff:ff:ff:ff"), List.of("--address", "300.1.1.1/24"))) {
            List<String> command = new ArrayList<>(List.of(dist.resolve("bin/netstack").toString(), "run",
                    "--run", dir.resolve("bad").toString(), "--tap", "tapx"));
            command.addAll(options);
            Exec.Result result = Exec.run(Duration.ofSeconds(60), ns.prefixCommand(command.toArray(String[]::new)));
            assertEquals(2, result.exitCode(), result.toString());
            assertEquals("", result.stdout(), result.toString());
            assertEquals(1, result.stderr().lines().count(), "one line: " + result);
            assertTrue(result.stderr().startsWith("netstack: ") && result.stderr().strip().endsWith("."), result.toString());
            assertFalse(ns.hasLink("tapx"), "nothing opened");
        }
    }

    @Test
    void aNicThatCannotActivateIsOneLineAndTheStackRunsOnUntilTheFileIsFixed() throws Exception {
        ns.ip("tuntap", "add", "taken", "mode", "tun"); // the name is taken by a TUN: TUNSETIFF for a TAP fails
        Stack stack = start("run", "--tap", "taken", "--address", "198.18.43.2/24", "--host-address", "198.18.43.1/24");
        assertTrue(NetNs.await(() -> stack.err().contains("netstack: component"), DEVICE_TIMEOUT),
                "the failure is reported:\n" + stack.err());
        Thread.sleep(500); // anything SCR would print after its report
        List<String> reports = stack.err().lines().filter(l -> l.startsWith("netstack:")).toList();
        assertEquals(List.of("netstack: component dev.netstack.nic.tap.internal.TapComponent did not activate:"
                + " Cannot create TAP device taken: the name is invalid or taken by an interface that is not a TAP;"
                + " choose another TAP name."), reports);
        assertFalse(stack.err().contains("\tat ") || stack.err().contains("Exception"), "no stack trace:\n" + stack.err());
        assertFalse(stack.out().contains("\tat ") || stack.out().contains("Exception"), "no stack trace:\n" + stack.out());
        assertTrue(stack.process.isAlive(), "the stack runs on");
        assertTrue(shell(stack, "ifconfig").stdout().contains("no interfaces"));

        Files.writeString(dir.resolve("run/etc/nic.tap-eth0.cfg"), "name = eth0\ntap = free\nhost.address = 198.18.43.1/24\n");
        awaitReady(stack, "free", "198.18.43.2/24");
        answered(ns.exec(Duration.ofSeconds(30), "ping", "-c", "5", "-i", "0.05", "-w", "15", "198.18.43.2"), 5);
    }

    @Test
    void withoutCapNetAdminThePermissionProblemIsOneSentence() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        // Root without CAP_NET_ADMIN: /dev/net/tun opens, creating the TAP is refused (EPERM).
        Stack stack = startAs(List.of("/usr/bin/setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin", "--"),
                "run", "--tap", "tapp", "--address", "198.18.44.2/24", "--host-address", "198.18.44.1/24");
        assertTrue(NetNs.await(() -> stack.err().contains("netstack: component"), DEVICE_TIMEOUT),
                "the failure is reported:\n" + stack.err());
        Thread.sleep(500);
        List<String> reports = stack.err().lines().filter(l -> l.startsWith("netstack:")).toList();
        assertEquals(List.of("netstack: component dev.netstack.nic.tap.internal.TapComponent did not activate:"
                + " No permission to create TAP device tapp: run as root or with CAP_NET_ADMIN."), reports);
        assertFalse(stack.err().contains("\tat ") || stack.out().contains("\tat "), "no stack trace:\n" + stack.err());
        assertFalse(ns.hasLink("tapp"));
    }

    // ---- helpers

    /** A launcher started in the namespace; stdout and stderr are collected as they come. */
    private record Stack(Process process, Path runDir, StringBuffer outText, StringBuffer errText) {
        String out() {
            return outText.toString();
        }

        String err() {
            return errText.toString();
        }
    }

    private Stack start(String command, String... options) throws IOException, InterruptedException {
        return startAs(List.of(), command, options);
    }

    /** Starts {@code bin/netstack COMMAND} in the namespace, behind {@code wrapper} (e.g. setpriv). */
    private Stack startAs(List<String> wrapper, String command, String... options) throws IOException, InterruptedException {
        Path runDir = dir.resolve("run");
        List<String> args = new ArrayList<>(wrapper);
        args.addAll(List.of(dist.resolve("bin/netstack").toString(), command, "--run", runDir.toString(), "--no-console"));
        args.addAll(List.of(options));
        ProcessBuilder builder = new ProcessBuilder(ns.prefixCommand(args.toArray(String[]::new)));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        processes.add(process);
        process.getOutputStream().close();
        Stack stack = new Stack(process, runDir, new StringBuffer(), new StringBuffer());
        stacks.add(stack);
        collect(process.getInputStream(), stack.outText);
        collect(process.getErrorStream(), stack.errText);
        if (!NetNs.await(() -> stack.out().contains(Launcher.STARTED) || !process.isAlive(), START_TIMEOUT)
                || !stack.out().contains(Launcher.STARTED)) {
            fail("the launcher did not report it started; stdout: " + stack.out() + "\nstderr: " + stack.err());
        }
        return stack;
    }

    private static void collect(InputStream in, StringBuffer text) {
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    text.append(line).append('\n');
                }
            } catch (IOException e) {
                text.append("read failed: ").append(e).append('\n');
            }
        });
    }

    /** {@code command} in the namespace, its stdout and stderr into {@code output}. */
    private Process background(Path output, String... command) throws IOException {
        Process process = new ProcessBuilder(ns.prefixCommand(command)).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        processes.add(process);
        return process;
    }

    /** {@code bin/netstack shell --run RUN words...}, as a script would call it. */
    private Exec.Result shell(Stack stack, String... words) {
        List<String> command = new ArrayList<>(List.of(dist.resolve("bin/netstack").toString(), "shell", "--run", stack.runDir.toString()));
        command.addAll(List.of(words));
        return Exec.run(Duration.ofSeconds(60), command);
    }

    /**
     * Waits until {@code tap} exists with its host address and the stack's {@code eth0} has the TAP
     * as its device and {@code address}: the kernel's first ARP request is answered then.
     */
    private void awaitReady(Stack stack, String tap, String address) {
        Path socket = stack.runDir.resolve(ControlClient.SOCKET);
        String device = "device capture(tap:" + tap + ")";
        boolean ready = NetNs.await(() -> {
            try {
                String ifconfig = ControlClient.execute(socket, "ifconfig").out();
                return ifconfig.contains(device) && ifconfig.contains("inet " + address)
                        && ns.ip("-4", "addr", "show", "dev", tap).stdout().contains("inet ");
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }, DEVICE_TIMEOUT);
        assertTrue(ready, "eth0 on " + tap + " with " + address + " in " + ns + "; stderr:\n" + stack.err());
    }

    private String kernelMac(String device) {
        return group(ns.ip("link", "show", "dev", device).stdout(), "link/ether ([0-9a-f:]{17})");
    }

    private static int maxReplySeq(Path pingOutput) {
        try {
            return REPLY_SEQ.matcher(Files.readString(pingOutput)).results()
                    .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Checks that {@code ping -c N -w DEADLINE} got its N replies before the deadline (exit 0).
     * With {@code -w}, ping keeps sending until N replies came (on a loaded machine the first may
     * take a second or two), so it may have sent more, some still unanswered when it stopped.
     *
     * @return the replies it counted
     */
    private static long answered(Exec.Result ping, int count) {
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(ping.stdout());
        assertTrue(m.find(), ping.toString());
        long received = Long.parseLong(m.group(2));
        assertTrue(ping.ok() && received >= count, count + " replies: " + ping);
        return received;
    }

    /** Replies in the ping output with an {@code icmp_seq} above {@code seq}. */
    private static long repliesAfter(Path pingOutput, int seq) {
        try {
            return REPLY_SEQ.matcher(Files.readString(pingOutput)).results()
                    .filter(m -> Integer.parseInt(m.group(1)) > seq).count();
        } catch (IOException e) {
            return 0;
        }
    }

    private static long number(String text, String regex) {
        return Long.parseLong(group(text, regex));
    }

    /** Group 1 of the first match of {@code regex} in {@code text}; fails the test if none. */
    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            fail("no " + regex + " in:\n" + text);
        }
        return m.group(1);
    }

    private static long count(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).count();
    }
}
