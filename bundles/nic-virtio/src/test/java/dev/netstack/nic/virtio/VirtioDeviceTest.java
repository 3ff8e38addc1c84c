package dev.netstack.nic.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.pci.PciAddress;
import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Bad configurations on the host, where the test only reads sysfs: each ends with one sentence
 * before anything is written. The device itself is exercised in the guest ({@link VirtioGuestTest}).
 */
class VirtioDeviceTest {

    private static void assertOneSentence(String message) {
        assertTrue(message.endsWith("."), message);
        assertFalse(message.contains("\n"), message);
        assertFalse(message.contains("Exception"), message);
    }

    @Test
    void aWrongAddressFormatIsOneSentence() {
        PciException e = assertThrows(PciException.class,
                () -> VirtioDevice.open(VirtioSettings.parse("eth0", "00:04", "", 4096, "")));
        assertEquals(PciException.Reason.BAD_ADDRESS, e.reason());
        assertOneSentence(e.getMessage());
    }

    @Test
    void aMissingDeviceIsOneSentence() {
        String absent = "0000:7e:1f.7";
        assumeTrue(!Files.exists(PciDevice.SYSFS_DEVICES.resolve(absent)));
        PciException e = assertThrows(PciException.class,
                () -> VirtioDevice.open(VirtioSettings.parse("eth0", absent, "", 4096, "")));
        assertEquals(PciException.Reason.NO_SUCH_DEVICE, e.reason());
        assertEquals("There is no PCI device 0000:7e:1f.7: check the address with lspci -D.", e.getMessage());
    }

    /** The host bridge of this machine: identified by reading sysfs, refused before any write. */
    @Test
    void aNonVirtioDeviceIsRefusedBeforeAnythingIsWritten() throws Exception {
        String bridge = "0000:00:00.0";
        Path dir = PciDevice.SYSFS_DEVICES.resolve(bridge);
        assumeTrue(Files.isDirectory(dir), "no host bridge at " + bridge);
        int vendor = Integer.decode(Files.readString(dir.resolve("vendor")).trim());
        assumeTrue(vendor != VirtioDevice.VENDOR_VIRTIO, "never point the driver at this machine's virtio devices");
        String driverBefore = PciDevice.open(bridge).driverName();
        PciException e = assertThrows(PciException.class,
                () -> VirtioDevice.open(new VirtioSettings("eth0", PciAddress.parse(bridge), -1, 4096, null)));
        assertEquals(PciException.Reason.WRONG_DEVICE, e.reason());
        assertTrue(e.getMessage().startsWith("PCI device 0000:00:00.0 ("), e.getMessage());
        assertTrue(e.getMessage().contains("is not a virtio-net device"), e.getMessage());
        assertOneSentence(e.getMessage());
        assertEquals(driverBefore, PciDevice.open(bridge).driverName());
    }

    @Test
    void aBadMacOrPoolSizeIsOneSentence() {
        PciException mac = assertThrows(PciException.class,
                () -> VirtioSettings.parse("eth0", "0000:00:04.0", "02:00:00", 4096, ""));
        assertOneSentence(mac.getMessage());
        assertTrue(mac.getMessage().startsWith("mac '02:00:00'"));
        PciException pool = assertThrows(PciException.class,
                () -> VirtioSettings.parse("eth0", "0000:00:04.0", "", 3, ""));
        assertOneSentence(pool.getMessage());
    }

    @Test
    void settingsParseTheOptionalFields() {
        VirtioSettings s = VirtioSettings.parse("eth1", "00:05.0", "02:00:00:00:00:01", 1024, "/mnt/huge");
        assertEquals("0000:00:05.0", s.pci().toString());
        assertEquals(0x0200_0000_0001L, s.macAddress());
        assertEquals(Path.of("/mnt/huge"), s.hugepages());
        VirtioSettings defaults = VirtioSettings.parse("eth0", "0000:00:04.0", "", 4096, "");
        assertEquals(-1, defaults.macAddress());
        assertEquals(null, defaults.hugepages());
        assertNotEquals(s, defaults);
    }
}
