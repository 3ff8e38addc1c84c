package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/netstack run|pktgen --backend ixgbe --pci 0000:ff:1f.7} of the built distribution, on a
 * machine without that device (no machine of this project's kind has bus ff): exit status 1 and
 * one line naming the address and what to check, before anything starts. Only that nonexistent
 * address is used; this machine's PCI devices are never touched.
 */
class IxgbeLaunchIT {

    private static final String ABSENT = "0000:ff:1f.7";

    @TempDir
    Path dir;

    private final Path dist = Path.of(System.getProperty("netstack.dist", "target/dist")).toAbsolutePath();

    @Test
    void runOnAnAbsentPciDeviceExitsWithOneSentence() throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(dist.resolve("bin/netstack")), "build the distribution first: mvn -pl launcher -am package");
        assertFalse(Files.exists(Path.of("/sys/bus/pci/devices", ABSENT)), "this machine has a device at " + ABSENT);
        Path run = dir.resolve("run");
        ProcessBuilder builder = new ProcessBuilder(dist.resolve("bin/netstack").toString(), "run", "--backend", "ixgbe",
                "--pci", ABSENT, "--address", "198.18.30.2/24", "--run", run.toString(), "--no-console");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the launcher did not exit");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, process.exitValue(), out + err);
        assertEquals("netstack: There is no PCI device " + ABSENT + ": check the address with lspci -D.\n", err);
        assertEquals("", out);
        assertFalse(Files.exists(run), "nothing started");
    }

    @Test
    void pktgenOnAnAbsentPciDeviceExitsWithOneSentence() throws IOException, InterruptedException {
        assertTrue(Files.isExecutable(dist.resolve("bin/netstack")), "build the distribution first: mvn -pl launcher -am package");
        assertFalse(Files.exists(Path.of("/sys/bus/pci/devices", ABSENT)), "this machine has a device at " + ABSENT);
        ProcessBuilder builder = new ProcessBuilder(dist.resolve("bin/netstack").toString(), "pktgen", "--backend", "ixgbe",
                "--pci", ABSENT, "--seconds", "1");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "pktgen did not exit");
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, process.exitValue(), out + err);
        assertEquals("netstack: There is no PCI device " + ABSENT + ": check the address with lspci -D.\n", err);
        assertEquals("", out);
    }
}
