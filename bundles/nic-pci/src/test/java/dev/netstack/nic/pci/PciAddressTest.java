package dev.netstack.nic.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PciAddressTest {

    @Test
    void parsesTheSysfsForm() {
        PciAddress a = PciAddress.parse("0000:00:1f.3");
        assertEquals(new PciAddress(0, 0, 0x1f, 3), a);
        assertEquals("0000:00:1f.3", a.toString());
    }

    @Test
    void domainMayBeLeftOutAndCaseDoesNotMatter() {
        assertEquals("0000:0a:04.0", PciAddress.parse("0A:04.0").toString());
        assertEquals("0001:00:04.0", PciAddress.parse(" 0001:00:04.0 ").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "eth0", "0000:00:04", "00:04.8", "0000:00:20.0", "0000-00-04.0", "00000:00:04.0",
        "0000:000:04.0"})
    void rejectsWhatIsNotAnAddressInOneSentence(String text) {
        PciException e = assertThrows(PciException.class, () -> PciAddress.parse(text));
        assertEquals(PciException.Reason.BAD_ADDRESS, e.reason());
        assertTrue(e.getMessage().endsWith("."));
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().contains("DDDD:BB:DD.F"));
    }

    @Test
    void rejectsNull() {
        assertEquals(PciException.Reason.BAD_ADDRESS,
                assertThrows(PciException.class, () -> PciAddress.parse(null)).reason());
    }
}
