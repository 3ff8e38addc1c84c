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
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code run --backend virtio} and the command lines of {@code pktgen} and {@code fwd}. */
class VirtioCommandLineTest {

    private static RunOptions run(String... args) throws UsageException {
        return assertInstanceOf(Start.class, CommandLine.parse(args)).options();
    }

    private static String error(String... args) {
        String message = assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
        // one sentence: ends with a full stop, no line breaks
        assertTrue(message.endsWith(".") && !message.contains("\n"), message);
        return message;
    }

    @Test
    void virtioBackendWritesNicVirtioAndNoTapFile(@TempDir Path dir) throws Exception {
        RunOptions options = run("run", "--backend", "virtio", "--pci", "0000:00:04.0", "--hugepages", "/dev/hugepages",
                "--address", "198.18.10.2/24", "--mac", "02:00:00:00:0a:02");
        assertEquals("virtio", options.backend());
        assertEquals("0000:00:04.0", options.pci());
        Map<String, Map<String, String>> files = ConfigFiles.overrides(options);
        assertEquals(Map.of("name", "eth0", "pci", "0000:00:04.0", "hugepages", "/dev/hugepages", "mac", "02:00:00:00:0a:02"),
                files.get(ConfigFiles.NIC_VIRTIO));
        assertFalse(files.containsKey(ConfigFiles.NIC_TAP));
        assertEquals("198.18.10.2/24", files.get(ConfigFiles.IP_INTERFACE).get("address"));

        // A nic.tap file in the configuration directory is not carried over when virtio is chosen.
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve(ConfigFiles.NIC_TAP), "name = eth0\ntap = ns0\n");
        Path etc = dir.resolve("etc");
        ConfigFiles.prepare(source, etc, options);
        assertFalse(Files.exists(etc.resolve(ConfigFiles.NIC_TAP)));
        assertEquals("0000:00:04.0", load(etc.resolve(ConfigFiles.NIC_VIRTIO)).getProperty("pci"));
    }

    @Test
    void tapBackendRemovesACopiedVirtioFile(@TempDir Path dir) throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Files.writeString(source.resolve(ConfigFiles.NIC_VIRTIO), "name = eth0\npci = 0000:00:04.0\n");
        Path etc = dir.resolve("etc");
        ConfigFiles.prepare(source, etc, run("run", "--backend", "tap", "--tap", "nsw-t0"));
        assertFalse(Files.exists(etc.resolve(ConfigFiles.NIC_VIRTIO)));
        assertEquals("nsw-t0", load(etc.resolve(ConfigFiles.NIC_TAP)).getProperty("tap"));
    }

    @Test
    void pciImpliesVirtioAndTakesTheShortForm() throws UsageException {
        RunOptions options = run("run", "--pci", "00:05.0");
        assertEquals("virtio", options.backend());
        assertEquals("0000:00:05.0", options.pci());
        assertNull(options.hugepages());
    }

    @Test
    void demoOnVirtioKeepsTheTapDefaultsOut() throws UsageException {
        RunOptions options = run("demo", "--backend", "virtio", "--pci", "0000:00:04.0");
        assertNull(options.tap());
        assertNull(options.hostAddress());
        assertEquals(CommandLine.DEMO_ADDRESS, options.address());
        assertTrue(options.demo());
        assertTrue(ConfigFiles.overrides(options).containsKey(ConfigFiles.NIC_VIRTIO));
        assertTrue(ConfigFiles.overrides(options).containsKey(ConfigFiles.DEMO));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0000:00:04", "00:04.0.1", "0000:00:20.0", "0000:00:04.8", "eth0", "0000-00-04.0"})
    void badPciAddressIsOneSentence(String address) {
        String message = error("run", "--backend", "virtio", "--pci", address);
        assertEquals("--pci needs a PCI address like 0000:00:04.0 (domain:bus:device.function, as lspci -D shows it), not '"
                + address + "'.", message);
    }

    @Test
    void unknownBackendListsTheBackends() {
        assertEquals("unknown backend 'dpdk': the backends are tap, virtio, ixgbe.", error("run", "--backend", "dpdk"));
        assertEquals("unknown backend 'dpdk': the backends are tap, virtio, ixgbe.", error("pktgen", "--backend", "dpdk"));
    }

    @Test
    void virtioNeedsPciAndRefusesTapOptions() {
        assertTrue(error("run", "--backend", "virtio").startsWith("--backend virtio needs --pci ADDR"));
        assertEquals("--tap applies to --backend tap only: a virtio device has no kernel side.",
                error("run", "--backend", "virtio", "--pci", "0000:00:04.0", "--tap", "ns0"));
        assertEquals("--host-address applies to --backend tap only: a virtio device has no kernel side.",
                error("run", "--pci", "0000:00:04.0", "--host-address", "198.18.0.1/24"));
        assertEquals("--pci applies to --backend virtio or ixgbe only, not to tap.",
                error("run", "--backend", "tap", "--pci", "0000:00:04.0"));
    }

    @Test
    void pktgenDefaultsToTapNs0TenSecondsOf60ByteFramesInBatchesOf32() throws UsageException {
        Pktgen pktgen = assertInstanceOf(Pktgen.class, CommandLine.parse("pktgen"));
        assertEquals(new Pktgen(new DeviceOptions("tap", "ns0", null, null, null, null), 10, 60, 32), pktgen);
    }

    @Test
    void pktgenTakesRunsDeviceFlags() throws UsageException {
        assertEquals(new Pktgen(new DeviceOptions("virtio", null, null, null, "0000:00:04.0", "/mnt/huge"), 3, 128, 64),
                CommandLine.parse("pktgen", "--backend", "virtio", "--pci", "0000:00:04.0", "--hugepages", "/mnt/huge",
                        "--seconds", "3", "--size=128", "--batch", "64"));
        assertEquals(new Pktgen(new DeviceOptions("tap", "nsw-p0", "198.18.20.1/24", "02:00:00:00:00:01", null, null), 0, 60, 1),
                CommandLine.parse("pktgen", "--tap", "nsw-p0", "--host-address", "198.18.20.1/24",
                        "--mac", "02:00:00:00:00:01", "--seconds", "0", "--batch", "1"));
    }

    @Test
    void pktgenRejectsOutOfRangeValues() {
        assertTrue(error("pktgen", "--size", "59").startsWith("--size"));
        assertTrue(error("pktgen", "--batch", "257").startsWith("--batch"));
        assertTrue(error("pktgen", "--pci2", "0000:00:05.0").startsWith("unknown option '--pci2' for pktgen"));
    }

    @Test
    void fwdTakesTwoTapsOrTwoPciDevices() throws UsageException {
        assertEquals(new Fwd(new DeviceOptions("tap", "nsw-a", null, null, null, null),
                new DeviceOptions("tap", "nsw-b", "198.18.21.1/24", null, null, null), 5, 32),
                CommandLine.parse("fwd", "--tap", "nsw-a", "--tap2", "nsw-b", "--host-address2", "198.18.21.1/24", "--seconds", "5"));
        assertEquals(new Fwd(new DeviceOptions("virtio", null, null, null, "0000:00:04.0", null),
                new DeviceOptions("virtio", null, null, null, "0000:00:05.0", null), 10, 32),
                CommandLine.parse("fwd", "--pci", "0000:00:04.0", "--pci2", "0000:00:05.0"));
    }

    @Test
    void fwdNeedsTwoDifferentDevices() {
        assertEquals("fwd needs two different devices: give --tap A --tap2 B.", error("fwd", "--tap", "x", "--tap2", "x"));
        assertEquals("--backend virtio needs --pci2 ADDR, the device's PCI address like 0000:00:04.0: see ./netstack fwd --help.",
                error("fwd", "--pci", "0000:00:04.0"));
        assertEquals("unknown option '--size' for fwd: fwd forwards the frames it receives as they are.",
                error("fwd", "--size", "60"));
    }

    @Test
    void helpCoversThePacketTools() throws UsageException {
        assertEquals(new CommandLine.Help("pktgen", false), CommandLine.parse("help", "pktgen"));
        assertEquals(new CommandLine.Help("fwd", false), CommandLine.parse("fwd", "--help"));
        assertTrue(CommandLine.USAGE.get("fwd").contains("--pci2"));
        assertTrue(CommandLine.OVERVIEW.contains("pktgen"));
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            properties.load(in);
        }
        return properties;
    }
}
