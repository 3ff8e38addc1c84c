package dev.netstack.nic.ixgbe.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbeSettings;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IxgbeComponentTest {

    record Config(String name, String pci, int queues, String rss_key, boolean promiscuous, int pool_buffers)
            implements IxgbeConfiguration {
        @Override
        public Class<? extends Annotation> annotationType() {
            return IxgbeConfiguration.class;
        }
    }

    private static Config config(String pci) {
        return new Config("eth0", pci, 1, "", false, 4096);
    }

    @Test
    void missingPciDeviceIsOneSentence(@TempDir Path sysfs) {
        IxgbeException e = assertThrows(IxgbeException.class,
                () -> new IxgbeComponent(config("0000:42:00.0"), sysfs));
        assertEquals(IxgbeException.Reason.NO_DEVICE, e.reason());
        assertEquals("There is no PCI device 0000:42:00.0 on this machine: set pci in the nic.ixgbe configuration to"
                + " an 82599 port's address (lspci -D -d 8086: lists Intel devices).", e.getMessage());
    }

    @Test
    void otherDeviceIsRefused(@TempDir Path sysfs) throws Exception {
        Path dev = Files.createDirectories(sysfs.resolve("0000:00:03.0"));
        Files.writeString(dev.resolve("vendor"), "0x1af4\n");
        Files.writeString(dev.resolve("device"), "0x1000\n");
        IxgbeException e = assertThrows(IxgbeException.class, () -> new IxgbeComponent(config("0000:00:03.0"), sysfs));
        assertEquals("PCI device 0000:00:03.0 is 1af4:1000, not an Intel 82599: set pci in the nic.ixgbe"
                + " configuration to an 82599 port's address.", e.getMessage());
    }

    @Test
    void present82599WithoutPciAccessSaysWhatIsMissing(@TempDir Path sysfs) throws Exception {
        Path dev = Files.createDirectories(sysfs.resolve("0000:03:00.0"));
        Files.writeString(dev.resolve("vendor"), "0x8086\n");
        Files.writeString(dev.resolve("device"), "0x10fb\n");
        IxgbeException e = assertThrows(IxgbeException.class, () -> new IxgbeComponent(config("0000:03:00.0"), sysfs));
        assertEquals(IxgbeException.Reason.SYSTEM, e.reason());
        assertTrue(e.getMessage().contains("nic-pci"), e.getMessage());
    }

    @Test
    void emptyPciIsABadConfiguration() {
        IxgbeException e = assertThrows(IxgbeException.class, () -> IxgbeComponent.settings(config(" ")));
        assertEquals(IxgbeException.Reason.BAD_CONFIGURATION, e.reason());
    }

    @Test
    void settingsComeFromTheConfiguration() {
        String key = "00".repeat(39) + "ff";
        IxgbeSettings s = IxgbeComponent.settings(new Config("eth1", "0000:03:00.1", 4, key, true, 2048));
        assertEquals("eth1", s.name());
        assertEquals("0000:03:00.1", s.pciAddress());
        assertEquals(4, s.queues());
        assertTrue(s.promiscuous());
        assertEquals(2048, s.poolBuffers());
        assertEquals((byte) 0xFF, s.rssKey()[39]);
    }

    @Test
    void badRssKeyIsOneSentence() {
        IxgbeException e = assertThrows(IxgbeException.class,
                () -> IxgbeComponent.settings(new Config("eth0", "0000:03:00.0", 1, "abc", false, 4096)));
        assertEquals("Bad ixgbe setting: rss.key must be 80 hex digits (40 bytes), got 3.", e.getMessage());
    }

    @Test
    void queueCountOutOfRangeIsRefused() {
        IxgbeException e = assertThrows(IxgbeException.class,
                () -> IxgbeComponent.settings(new Config("eth0", "0000:03:00.0", 17, "", false, 4096)));
        assertEquals("Bad ixgbe setting: queues must be from 1 to 16, got 17.", e.getMessage());
    }
}
