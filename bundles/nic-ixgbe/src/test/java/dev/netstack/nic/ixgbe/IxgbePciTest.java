package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.pci.PciException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pre-flight check of a PCI address, against a model of sysfs (never this machine's devices). */
class IxgbePciTest {

    /** {@code devices/BDF/} with the attributes nic-pci reads; a {@code driver/} with unbind and bind to watch. */
    private static Path device(Path sysfs, String bdf, String vendor, String device) throws Exception {
        Path dir = Files.createDirectories(sysfs.resolve("devices").resolve(bdf));
        Path driver = Files.createDirectories(sysfs.resolve("drivers").resolve("ixgbe"));
        Files.writeString(driver.resolve("unbind"), "");
        Files.writeString(driver.resolve("bind"), "");
        Files.createSymbolicLink(dir.resolve("driver"), driver);
        Files.writeString(dir.resolve("vendor"), vendor + "\n");
        Files.writeString(dir.resolve("device"), device + "\n");
        Files.writeString(dir.resolve("class"), "0x020000\n");
        return dir;
    }

    @Test
    void missingDeviceNamesTheAddressAndWhatToCheck(@TempDir Path sysfs) throws Exception {
        Files.createDirectories(sysfs.resolve("devices"));
        PciException e = assertThrows(PciException.class,
                () -> IxgbePci.checkPort("0000:ff:1f.7", sysfs.resolve("devices")));
        assertEquals(PciException.Reason.NO_SUCH_DEVICE, e.reason());
        assertEquals("There is no PCI device 0000:ff:1f.7: check the address with lspci -D.", e.getMessage());
    }

    @Test
    void otherDeviceIsNotAnIxgbePort(@TempDir Path sysfs) throws Exception {
        device(sysfs, "0000:00:04.0", "0x1af4", "0x1041");
        IxgbeException e = assertThrows(IxgbeException.class,
                () -> IxgbePci.checkPort("0000:00:04.0", sysfs.resolve("devices")));
        assertEquals(IxgbeException.Reason.NO_DEVICE, e.reason());
        assertTrue(e.getMessage().startsWith("PCI device 0000:00:04.0 is 1af4:1041, not an Intel 82599"), e.getMessage());
    }

    @Test
    void an82599PassesAndStaysWithItsDriver(@TempDir Path sysfs) throws Exception {
        Path dir = device(sysfs, "0000:03:00.0", "0x8086", "0x10fb");
        IxgbePci.checkPort("0000:03:00.0", sysfs.resolve("devices"));
        assertEquals("", Files.readString(sysfs.resolve("drivers/ixgbe/unbind")), "not taken from the kernel");
        assertFalse(Files.exists(dir.resolve("config")), "nothing written");
    }

    @Test
    void knowsThe82599DeviceIds() {
        assertTrue(IxgbePci.is82599(0x8086, 0x10FB)); // 82599ES SFP+
        assertTrue(IxgbePci.is82599(0x8086, 0x10F8)); // 82599 backplane
        assertFalse(IxgbePci.is82599(0x8086, 0x1528)); // X540, another ixgbe device
        assertFalse(IxgbePci.is82599(0x1af4, 0x10FB));
    }
}
