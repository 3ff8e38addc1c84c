package dev.netstack.nic.ixgbe.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.ixgbe.IxgbeSettings;
import dev.netstack.nic.pci.PciException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IxgbeComponentTest {

    record Config(String name, String pci, int queues, String rss_key, boolean promiscuous, int pool_buffers,
            String hugepages) implements IxgbeConfiguration {
        Config(String name, String pci, int queues, String rss_key, boolean promiscuous, int pool_buffers) {
            this(name, pci, queues, rss_key, promiscuous, pool_buffers, "");
        }

        @Override
        public Class<? extends Annotation> annotationType() {
            return IxgbeConfiguration.class;
        }
    }

    private static Config config(String pci) {
        return new Config("eth0", pci, 1, "", false, 4096);
    }

    /** A model of sysfs: {@code devices/BDF/} with the attributes nic-pci reads, and an empty route table. */
    private static Path device(Path root, String bdf, String vendor, String device) throws Exception {
        Path dir = Files.createDirectories(root.resolve("devices").resolve(bdf));
        Files.createDirectories(root.resolve("drivers"));
        Files.writeString(dir.resolve("vendor"), vendor + "\n");
        Files.writeString(dir.resolve("device"), device + "\n");
        Files.writeString(dir.resolve("class"), "0x020000\n");
        Files.writeString(root.resolve("route"), "Iface\tDestination\tGateway\tFlags\n");
        return dir;
    }

    @Test
    void missingPciDeviceIsOneSentence(@TempDir Path sysfs) throws Exception {
        Files.createDirectories(sysfs.resolve("devices"));
        PciException e = assertThrows(PciException.class,
                () -> new IxgbeComponent(config("0000:42:00.0"), sysfs.resolve("devices"), sysfs.resolve("route")));
        assertEquals(PciException.Reason.NO_SUCH_DEVICE, e.reason());
        assertEquals("There is no PCI device 0000:42:00.0: check the address with lspci -D.", e.getMessage());
    }

    @Test
    void otherDeviceIsRefusedBeforeAnythingIsWritten(@TempDir Path sysfs) throws Exception {
        Path dir = device(sysfs, "0000:00:03.0", "0x1af4", "0x1000");
        IxgbeException e = assertThrows(IxgbeException.class,
                () -> new IxgbeComponent(config("0000:00:03.0"), sysfs.resolve("devices"), sysfs.resolve("route")));
        assertEquals("PCI device 0000:00:03.0 is 1af4:1000, not an Intel 82599: set pci in the nic.ixgbe"
                + " configuration to an 82599 port's address.", e.getMessage());
        assertFalse(Files.exists(dir.resolve("config")), "nothing written");
    }

    @Test
    void an82599IsTakenFromTheKernelAndGivenBackWhenBringUpFails(@TempDir Path sysfs) throws Exception {
        Path dir = device(sysfs, "0000:03:00.0", "0x8086", "0x10fb");
        Files.write(dir.resolve("config"), new byte[256]);
        Path driver = Files.createDirectories(sysfs.resolve("drivers").resolve("ixgbe"));
        Files.writeString(driver.resolve("unbind"), "");
        Files.writeString(driver.resolve("bind"), "");
        Files.createSymbolicLink(dir.resolve("driver"), driver);
        // no resource file: the model sysfs has no BAR to map, so bring-up stops at BAR0
        PciException e = assertThrows(PciException.class,
                () -> new IxgbeComponent(config("0000:03:00.0"), sysfs.resolve("devices"), sysfs.resolve("route")));
        assertEquals("Cannot read the resources of PCI device 0000:03:00.0.", e.getMessage());
        byte[] config = Files.readAllBytes(dir.resolve("config"));
        assertEquals(0, config[4] & 0x4, "bus mastering off again after the failure");
        assertEquals("0000:03:00.0", Files.readString(driver.resolve("unbind")), "taken from the ixgbe driver");
        assertEquals("0000:03:00.0", Files.readString(driver.resolve("bind")), "and given back");
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
