package dev.netstack.nic.pci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PciDevice against a model of sysfs in a temporary directory (plain files and symlinks laid out
 * as /sys/bus/pci is), plus one read-only look at a real host device. Nothing here writes to the
 * host's sysfs.
 */
class PciDeviceTest {

    private static final PciAddress ADDRESS = PciAddress.parse("0000:00:04.0");

    @TempDir
    Path root;
    private Path devices;
    private Path device;
    private Path routes;

    @BeforeEach
    void sysfs() throws IOException {
        devices = Files.createDirectories(root.resolve("bus/pci/devices"));
        Files.createDirectories(root.resolve("bus/pci/drivers/virtio-pci"));
        Files.createDirectories(root.resolve("bus/pci/drivers/ahci"));
        Files.writeString(root.resolve("bus/pci/drivers/virtio-pci/bind"), "");
        Files.writeString(root.resolve("bus/pci/drivers/virtio-pci/unbind"), "");
        device = Files.createDirectories(devices.resolve(ADDRESS.toString()));
        Files.writeString(device.resolve("vendor"), "0x1af4\n");
        Files.writeString(device.resolve("device"), "0x1000\n");
        Files.writeString(device.resolve("class"), "0x020000\n");
        Files.writeString(device.resolve("resource"), """
                0x000000000000c000 0x000000000000c01f 0x0000000000040101
                0x00000000febd1000 0x00000000febd1fff 0x0000000000040200
                """);
        Files.write(device.resolve("config"), config());
        routes = root.resolve("route");
        Files.writeString(routes, "Iface\tDestination\tGateway\tFlags\n");
    }

    /** A configuration header with a capability list: MSI-X (enabled) at 0x40, two virtio caps at 0x50, 0x60. */
    private static byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) 0x1af4).putShort(2, (short) 0x1000);
        b.putShort(4, (short) 0x0001); // I/O decoding only
        b.putShort(6, (short) 0x0010); // capabilities list
        b.put(0x34, (byte) 0x40);
        b.put(0x40, (byte) 0x11).put(0x41, (byte) 0x50).putShort(0x42, (short) 0x8001);
        b.put(0x50, (byte) 0x09).put(0x51, (byte) 0x60);
        b.put(0x60, (byte) 0x09).put(0x61, (byte) 0x00);
        return b.array();
    }

    private void bindTo(String driver, int virtioType) throws IOException {
        Files.createSymbolicLink(device.resolve("driver"), root.resolve("bus/pci/drivers/" + driver));
        if (virtioType > 0) {
            Path child = Files.createDirectories(device.resolve("virtio2"));
            Files.writeString(child.resolve("device"), String.format("0x%04x\n", virtioType));
        }
    }

    private PciDevice open() {
        return PciDevice.open(ADDRESS, devices, routes);
    }

    @Test
    void readsIdentityAndDriverFromSysfs() throws IOException {
        bindTo("virtio-pci", 1);
        try (PciDevice pci = open()) {
            assertEquals(0x1af4, pci.vendorId());
            assertEquals(0x1000, pci.deviceId());
            assertEquals(0x020000, pci.classCode());
            assertEquals("virtio-pci", pci.kernelDriver());
            assertEquals(0x1af4, pci.readConfig16(PciDevice.CONFIG_VENDOR_ID));
        }
    }

    @Test
    void aMissingDeviceIsOneSentence() {
        PciException e = assertThrows(PciException.class,
                () -> PciDevice.open(PciAddress.parse("0000:07:00.0"), devices, routes));
        assertEquals(PciException.Reason.NO_SUCH_DEVICE, e.reason());
        assertEquals("There is no PCI device 0000:07:00.0: check the address with lspci -D.", e.getMessage());
    }

    @Test
    void walksTheCapabilityList() {
        try (PciDevice pci = open()) {
            assertArrayEquals(new int[] {0x50, 0x60}, pci.capabilities(PciDevice.CAPABILITY_VENDOR));
            assertArrayEquals(new int[] {0x40}, pci.capabilities(PciDevice.CAPABILITY_MSIX));
            assertTrue(pci.isMsixEnabled());
        }
    }

    @Test
    void takesAVirtioNetDeviceAndGivesItBack() throws IOException {
        bindTo("virtio-pci", 1);
        try (PciDevice pci = open()) {
            pci.takeFromKernel();
            assertEquals(ADDRESS.toString(), Files.readString(root.resolve("bus/pci/drivers/virtio-pci/unbind")));
            pci.enableBusMastering();
            assertEquals(0x7, pci.readConfig16(PciDevice.CONFIG_COMMAND));
        }
        assertEquals(ADDRESS.toString(), Files.readString(root.resolve("bus/pci/drivers/virtio-pci/bind")));
        byte[] config = Files.readAllBytes(device.resolve("config"));
        assertEquals(0x3, config[4], "bus mastering is off after close");
    }

    @Test
    void anUnboundDeviceIsTakenAndNotBoundOnClose() throws IOException {
        try (PciDevice pci = open()) {
            assertNull(pci.kernelDriver());
            pci.takeFromKernel();
        }
        assertEquals("", Files.readString(root.resolve("bus/pci/drivers/virtio-pci/bind")));
    }

    @Test
    void refusesADeviceOfAnotherKernelDriver() throws IOException {
        bindTo("ahci", 0);
        try (PciDevice pci = open()) {
            PciException e = assertThrows(PciException.class, pci::takeFromKernel);
            assertEquals(PciException.Reason.IN_USE, e.reason());
            assertTrue(e.getMessage().contains("ahci"), e.getMessage());
        }
        assertFalse(Files.exists(root.resolve("bus/pci/drivers/ahci/unbind")), "nothing written");
    }

    @Test
    void refusesAVirtioDeviceThatIsNotANetworkDevice() throws IOException {
        bindTo("virtio-pci", 2); // a block device
        try (PciDevice pci = open()) {
            PciException e = assertThrows(PciException.class, pci::takeFromKernel);
            assertEquals(PciException.Reason.WRONG_DEVICE, e.reason());
            assertTrue(e.getMessage().contains("type 2"), e.getMessage());
        }
        assertEquals("", Files.readString(root.resolve("bus/pci/drivers/virtio-pci/unbind")));
    }

    @Test
    void refusesTheInterfaceOfTheDefaultRoute() throws IOException {
        bindTo("virtio-pci", 1);
        Files.createDirectories(device.resolve("virtio2/net/ens4"));
        Files.writeString(routes, "Iface\tDestination\tGateway\tFlags\nens4\t00000000\t010200C0\t0003\n");
        try (PciDevice pci = open()) {
            PciException e = assertThrows(PciException.class, pci::takeFromKernel);
            assertEquals(PciException.Reason.IN_USE, e.reason());
            assertEquals("PCI device 0000:00:04.0 is interface ens4, which carries this machine's default route:"
                    + " netstack will not take it from the kernel.", e.getMessage());
        }
        assertEquals("", Files.readString(root.resolve("bus/pci/drivers/virtio-pci/unbind")));
    }

    @Test
    void aBarOfTheWrongKindIsRefused() {
        try (PciDevice pci = open()) {
            assertEquals(PciException.Reason.WRONG_DEVICE, assertThrows(PciException.class, () -> pci.mapBar(0)).reason());
            assertEquals(PciException.Reason.WRONG_DEVICE, assertThrows(PciException.class, () -> pci.ioBar(1)).reason());
            assertEquals(PciException.Reason.WRONG_DEVICE, assertThrows(PciException.class, () -> pci.ioBar(4)).reason());
        }
    }

    /** Reads (only) a real device of this machine: its identity, never its driver or registers. */
    @Test
    void readsTheIdentityOfAHostDevice() {
        Path host = PciDevice.SYSFS_DEVICES.resolve("0000:00:00.0");
        assumeTrue(Files.isDirectory(host), "no PCI device 0000:00:00.0 here");
        PciDevice pci = PciDevice.open("0000:00:00.0");
        assertNotEquals(0, pci.vendorId());
        assertNotEquals(0xffff, pci.vendorId());
        assertEquals("0000:00:00.0", pci.address().toString());
    }
}
