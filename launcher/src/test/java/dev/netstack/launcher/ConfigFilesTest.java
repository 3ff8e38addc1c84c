package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {

    @TempDir
    Path dir;

    private static CommandLine.RunOptions options(String... args) throws UsageException {
        return ((CommandLine.Start) CommandLine.parse(args)).options();
    }

    private static Properties load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            properties.load(in);
        }
        return properties;
    }

    @Test
    void noOptionsWriteNoFiles() throws UsageException {
        assertEquals(Map.of(), ConfigFiles.overrides(options("run")));
    }

    @Test
    void eachOptionLandsInItsPidAndProperty() throws UsageException {
        Map<String, Map<String, String>> files = ConfigFiles.overrides(options("run", "--tap", "nse-tap0",
                "--host-address", "198.18.0.1/24", "--mac", "02:00:00:00:00:01", "--mtu", "1400",
                "--address", "198.18.0.2/24", "--gateway", "198.18.0.1", "--shards", "2", "--idle", "yield"));
        assertEquals(Map.of(
                "nic.tap-eth0.cfg", Map.of("name", "eth0", "tap", "nse-tap0", "host.address", "198.18.0.1/24",
                        "mac", "02:00:00:00:00:01", "mtu", "1400", "queues", "2"),
                "netstack.ip.interface-eth0.cfg", Map.of("name", "eth0", "address", "198.18.0.2/24"),
                "netstack.ip.route-default.cfg", Map.of("destination", "default", "gateway", "198.18.0.1", "interface", "eth0"),
                "netstack.runtime.cfg", Map.of("shards", "2", "idle", "yield")), files);
    }

    @Test
    void demoWritesTheDemoServicesOn() throws UsageException {
        assertEquals(Map.of("enabled", "true"), ConfigFiles.overrides(options("demo")).get("netstack.demo.cfg"));
        assertEquals(null, ConfigFiles.overrides(options("run", "--tap", "x")).get("netstack.demo.cfg"));
    }

    @Test
    void backendAloneWritesANicConfigurationWithTheBackendDefaults() throws UsageException {
        assertEquals(Map.of("nic.tap-eth0.cfg", Map.of("name", "eth0")), ConfigFiles.overrides(options("run", "--backend", "tap")));
    }

    @Test
    void prepareCopiesTheSourceAndWritesOptionsOverIt() throws IOException, UsageException {
        Path source = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(source.resolve("nic.tap-eth0.cfg"), "name = eth0\ntap = old\npool.buffers = 512\n");
        Files.writeString(source.resolve("netstack.ip.cfg"), "ttl = 32\n");
        Files.writeString(source.resolve("notes.txt"), "not configuration\n");
        Path etc = dir.resolve("run/etc");
        Files.createDirectories(etc);
        Files.writeString(etc.resolve("stale-from-last-run.cfg"), "x = 1\n");

        ConfigFiles.prepare(source, etc, options("run", "--tap", "nse-tap0", "--mac", "02:00:00:00:00:0a"));

        assertFalse(Files.exists(etc.resolve("stale-from-last-run.cfg")));
        assertFalse(Files.exists(etc.resolve("notes.txt")));
        assertEquals("32", load(etc.resolve("netstack.ip.cfg")).getProperty("ttl"));
        Properties nic = load(etc.resolve("nic.tap-eth0.cfg"));
        assertEquals("nse-tap0", nic.getProperty("tap"));
        assertEquals("512", nic.getProperty("pool.buffers"));
        assertEquals("02:00:00:00:00:0a", nic.getProperty("mac"));
        assertEquals("ttl = 32\n", Files.readString(source.resolve("netstack.ip.cfg")), "the source is left alone");
        try (var files = Files.list(etc)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")));
        }
    }

    @Test
    void prepareWritesIntoTheSourceWhenItIsTheRunDirectory() throws IOException, UsageException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("netstack.ip.cfg"), "ttl = 32\n");
        ConfigFiles.prepare(etc, etc, options("run", "--address", "198.18.0.2/24"));
        assertEquals("32", load(etc.resolve("netstack.ip.cfg")).getProperty("ttl"));
        assertEquals("198.18.0.2/24", load(etc.resolve("netstack.ip.interface-eth0.cfg")).getProperty("address"));
    }

    @Test
    void shardsGiveTheNicConfiguredBeforeOneQueuePerShard() throws IOException, UsageException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("nic.tap-eth0.cfg"), "name = eth0\ntap = ns0\n");
        ConfigFiles.prepare(etc, etc, options("run", "--shards", "2"));
        assertEquals("2", load(etc.resolve("nic.tap-eth0.cfg")).getProperty("queues"));
        assertEquals("ns0", load(etc.resolve("nic.tap-eth0.cfg")).getProperty("tap"));
        assertEquals("2", load(etc.resolve("netstack.runtime.cfg")).getProperty("shards"));
        assertFalse(Files.exists(etc.resolve("nic.virtio-eth0.cfg")), "no NIC configuration is made up");
    }
}
