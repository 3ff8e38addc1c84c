package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.pci.PciDevice;
import dev.netstack.nic.pci.PciException;
import dev.netstack.nic.virtio.VirtioSettings;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The configuration side of the component; opening real devices is tested in the guest. */
class VirtioComponentTest {

    private static VirtioConfiguration config(String name, String pci, String mac, int buffers, String hugepages) {
        return new VirtioConfiguration() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return VirtioConfiguration.class;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String pci() {
                return pci;
            }

            @Override
            public String mac() {
                return mac;
            }

            @Override
            public int pool_buffers() {
                return buffers;
            }

            @Override
            public String hugepages() {
                return hugepages;
            }

            @Override
            public int queues() {
                return 1;
            }
        };
    }

    @Test
    void configurationBecomesSettings() {
        VirtioSettings s = VirtioComponent.settings(config("eth1", "0000:00:05.0", "", 2048, "/dev/hugepages"));
        assertEquals("eth1", s.name());
        assertEquals("0000:00:05.0", s.pci().toString());
        assertEquals(-1, s.macAddress());
        assertEquals(2048, s.poolBuffers());
        assertEquals("/dev/hugepages", s.hugepages().toString());
    }

    @Test
    void activationWithAWrongAddressFailsInOneSentence() {
        PciException e = assertThrows(PciException.class,
                () -> new VirtioComponent(config("eth0", "zero-four", "", 4096, "")));
        assertEquals("'zero-four' is not a PCI address: write it as DDDD:BB:DD.F like 0000:00:04.0, as lspci -D"
                + " shows it.", e.getMessage());
    }

    @Test
    void activationWithAMissingDeviceFailsInOneSentence() {
        assumeTrue(!Files.exists(PciDevice.SYSFS_DEVICES.resolve("0000:7e:00.0")));
        PciException e = assertThrows(PciException.class,
                () -> new VirtioComponent(config("eth0", "0000:7e:00.0", "", 4096, "")));
        assertEquals(PciException.Reason.NO_SUCH_DEVICE, e.reason());
    }
}
