package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.launcher.CommandLine.RunOptions;
import dev.netstack.launcher.CommandLine.Start;
import dev.netstack.launcher.PacketTools.DeviceOptions;
import dev.netstack.launcher.PacketTools.Fwd;
import dev.netstack.launcher.PacketTools.Pktgen;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run|pktgen|fwd --backend ixgbe --pci ADDR}: the options, the {@code nic.ixgbe} file they
 * write, and the one sentence a launch or a packet tool on a machine without that device ends with. Only nonexistent
 * addresses and a model of sysfs are used: this machine's PCI devices are never touched.
 */
class IxgbeCommandLineTest {

    /** A PCI address no machine of this project's kind has (bus ff, device 1f, function 7). */
    private static final String ABSENT = "0000:ff:1f.7";

    private static RunOptions run(String... args) throws UsageException {
        return assertInstanceOf(Start.class, CommandLine.parse(args)).options();
    }

    private static String error(String... args) {
        String message = assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
        assertTrue(message.endsWith(".") && !message.contains("\n"), message);
        return message;
    }

    @Test
    void ixgbeBackendWritesNicIxgbeAndRemovesTheOtherNicFiles(@TempDir Path dir) throws Exception {
        RunOptions options = run("run", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--hugepages", "/mnt/huge",
                "--address", "198.18.10.2/24");
        assertTrue(options.ixgbe());
        assertFalse(options.virtio());
        Map<String, Map<String, String>> files = ConfigFiles.overrides(options);
        assertEquals(Map.of("name", "eth0", "pci", "0000:03:00.0", "hugepages", "/mnt/huge"),
                files.get(ConfigFiles.NIC_IXGBE));
        assertFalse(files.containsKey(ConfigFiles.NIC_TAP));
        assertFalse(files.containsKey(ConfigFiles.NIC_VIRTIO));

        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve(ConfigFiles.NIC_TAP), "name = eth0\ntap = ns0\n");
        Files.writeString(source.resolve(ConfigFiles.NIC_VIRTIO), "name = eth0\npci = 0000:00:04.0\n");
        Files.writeString(source.resolve(ConfigFiles.NIC_IXGBE), "name = eth0\npci = 0000:03:00.1\nqueues = 1\n");
        Path etc = dir.resolve("etc");
        ConfigFiles.prepare(source, etc, options);
        assertFalse(Files.exists(etc.resolve(ConfigFiles.NIC_TAP)));
        assertFalse(Files.exists(etc.resolve(ConfigFiles.NIC_VIRTIO)));
        Properties nic = new Properties();
        try (var in = Files.newBufferedReader(etc.resolve(ConfigFiles.NIC_IXGBE), StandardCharsets.ISO_8859_1)) {
            nic.load(in);
        }
        assertEquals("0000:03:00.0", nic.getProperty("pci"), "the command line wins");
        assertEquals("1", nic.getProperty("queues"), "the file's other settings stay");
    }

    @Test
    void tapBackendRemovesACopiedIxgbeFile(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve(ConfigFiles.NIC_IXGBE), "name = eth0\npci = 0000:03:00.0\n");
        Path etc = dir.resolve("etc");
        ConfigFiles.prepare(source, etc, run("run", "--backend", "tap", "--tap", "ixg-t0"));
        assertFalse(Files.exists(etc.resolve(ConfigFiles.NIC_IXGBE)));
    }

    @Test
    void demoOnIxgbeGetsTheDemoAddressAndNoTap() throws UsageException {
        RunOptions options = run("demo", "--backend", "ixgbe", "--pci", "03:00.0");
        assertEquals("0000:03:00.0", options.pci());
        assertNull(options.tap());
        assertNull(options.hostAddress());
        assertEquals(CommandLine.DEMO_ADDRESS, options.address());
        assertTrue(ConfigFiles.overrides(options).containsKey(ConfigFiles.NIC_IXGBE));
    }

    @Test
    void ixgbeNeedsPciAndRefusesTapOptionsAndMac() {
        assertEquals("--backend ixgbe needs --pci ADDR, the 82599 port's PCI address like 0000:03:00.0: see ./netstack run --help.",
                error("run", "--backend", "ixgbe"));
        assertEquals("--tap applies to --backend tap only: an ixgbe device has no kernel side.",
                error("run", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--tap", "ns0"));
        assertEquals("--mtu applies to --backend tap only: an ixgbe device has no kernel side.",
                error("run", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--mtu", "9000"));
        assertEquals("--mac does not apply to --backend ixgbe: the 82599 uses the MAC address in its EEPROM.",
                error("run", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--mac", "02:00:00:00:00:01"));
    }

    @Test
    void pktgenAndFwdTakeTheIxgbeBackend() throws UsageException {
        assertEquals(new Pktgen(new DeviceOptions("ixgbe", null, null, null, "0000:03:00.0", "/mnt/huge"), 3, 60, 32),
                CommandLine.parse("pktgen", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--hugepages", "/mnt/huge",
                        "--seconds", "3"));
        assertEquals(new Fwd(new DeviceOptions("ixgbe", null, null, null, "0000:03:00.0", null),
                new DeviceOptions("ixgbe", null, null, null, "0000:03:00.1", null), 10, 32),
                CommandLine.parse("fwd", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--pci2", "0000:03:00.1"));
        assertEquals("ixgbe 0000:03:00.0", new DeviceOptions("ixgbe", null, null, null, "0000:03:00.0", null).describe());
    }

    @Test
    void packetToolsOnIxgbeNeedPciAndRefuseTapOptionsAndMac() {
        assertEquals("--backend ixgbe needs --pci ADDR, the 82599 port's PCI address like 0000:03:00.0: see ./netstack pktgen --help.",
                error("pktgen", "--backend", "ixgbe"));
        assertEquals("--backend ixgbe needs --pci2 ADDR, the 82599 port's PCI address like 0000:03:00.0: see ./netstack fwd --help.",
                error("fwd", "--backend", "ixgbe", "--pci", "0000:03:00.0"));
        assertEquals("--tap applies to --backend tap only: an ixgbe device has no kernel side.",
                error("pktgen", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--tap", "ns0"));
        assertEquals("--host-address2 applies to --backend tap only: an ixgbe device has no kernel side.",
                error("fwd", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--pci2", "0000:03:00.1", "--host-address2", "198.18.0.1/24"));
        assertEquals("--mac does not apply to --backend ixgbe: the 82599 uses the MAC address in its EEPROM.",
                error("pktgen", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--mac", "02:00:00:00:00:01"));
        assertEquals("fwd needs two different devices: give --pci A --pci2 B.",
                error("fwd", "--backend", "ixgbe", "--pci", "0000:03:00.0", "--pci2", "0000:03:00.0"));
        assertEquals("--pci applies to --backend virtio or ixgbe only, not to tap.",
                error("pktgen", "--backend", "tap", "--pci", "0000:03:00.0"));
    }

    @Test
    void pktgenAndFwdOnAnAbsentPortExitWithOneSentenceBeforeTouchingAnything() {
        for (String[] args : new String[][] {
                {"pktgen", "--backend", "ixgbe", "--pci", ABSENT, "--seconds", "1"},
                {"fwd", "--backend", "ixgbe", "--pci", ABSENT, "--pci2", "0000:ff:1f.6", "--seconds", "1"}}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, status, args[0]);
            assertEquals("netstack: There is no PCI device " + ABSENT + ": check the address with lspci -D.\n",
                    err.toString(StandardCharsets.UTF_8), args[0]);
            assertEquals("", out.toString(StandardCharsets.UTF_8), args[0]);
        }
    }

    @Test
    void pciAloneStillMeansVirtio() throws UsageException {
        assertTrue(run("run", "--pci", "0000:00:04.0").virtio());
    }

    @Test
    void absentDeviceIsOneSentenceNamingTheAddressAndWhatToCheck() throws UsageException {
        assertEquals("There is no PCI device " + ABSENT + ": check the address with lspci -D.",
                Launcher.checkNic(run("run", "--backend", "ixgbe", "--pci", ABSENT)));
        assertNull(Launcher.checkNic(run("run", "--backend", "tap")), "only ixgbe is checked here");
    }

    @Test
    void notAn82599IsOneSentence(@TempDir Path sysfs) throws Exception {
        Path device = Files.createDirectories(sysfs.resolve("devices").resolve("0000:00:04.0"));
        Files.createDirectories(sysfs.resolve("drivers"));
        Files.writeString(device.resolve("vendor"), "0x1af4\n");
        Files.writeString(device.resolve("device"), "0x1041\n");
        Files.writeString(device.resolve("class"), "0x020000\n");
        String message = Launcher.checkNic(run("run", "--backend", "ixgbe", "--pci", "0000:00:04.0"),
                sysfs.resolve("devices"));
        assertTrue(message.startsWith("PCI device 0000:00:04.0 is 1af4:1041, not an Intel 82599"), message);
    }

    @Test
    void runOnAnAbsentDeviceExitsWithThatSentenceBeforeStartingAnything(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path runDir = dir.resolve("run");
        RunOptions options = run("run", "--backend", "ixgbe", "--pci", ABSENT, "--run", runDir.toString(),
                "--config", Files.createDirectories(dir.resolve("etc")).toString(), "--no-console");
        int status = new Launcher(dir, options, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        assertEquals(1, status);
        assertEquals("netstack: There is no PCI device " + ABSENT + ": check the address with lspci -D.\n",
                err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(runDir), "nothing started, nothing written");
    }
}
