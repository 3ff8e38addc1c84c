package dev.netstack.ip.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Ipv4AddressTest {

    @Test
    void parsesAndFormatsDottedQuads() {
        assertEquals(0xC6120001, Ipv4Address.parse("198.18.0.1"));
        assertEquals(0, Ipv4Address.parse("0.0.0.0"));
        assertEquals(-1, Ipv4Address.parse(" 255.255.255.255 "));
        assertEquals("198.18.0.1", Ipv4Address.format(0xC6120001));
        assertEquals("255.255.255.255", Ipv4Address.format(-1));
    }

    @Test
    void rejectsBadAddressesWithAClearSentence() {
        for (String bad : new String[] {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.", "a.b.c.d",
                "1.2.3.4x", "-1.2.3.4", "0001.2.3.4"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(bad), bad);
            assertTrue(e.getMessage().contains("like 198.18.0.1"), e.getMessage());
        }
    }

    @Test
    void parsesCidr() {
        Ipv4Address.Cidr c = Ipv4Address.parseCidr("198.18.0.2/24");
        assertEquals(0xC6120002, c.address());
        assertEquals(24, c.prefixLength());
        assertEquals(0xC6120000, c.network());
        assertTrue(c.contains(0xC61200FF));
        assertFalse(c.contains(0xC6120100));
        assertEquals(32, Ipv4Address.parseCidr("198.18.0.9").prefixLength());
        assertEquals(0, Ipv4Address.parseCidr("0.0.0.0/0").prefixLength());
        assertEquals("198.18.0.2/24", c.toString());
        assertEquals(0xFFFFFF00, Ipv4Address.mask(24));
        assertEquals(0, Ipv4Address.mask(0));
        assertEquals(-1, Ipv4Address.mask(32));
    }

    @Test
    void rejectsBadPrefixes() {
        for (String bad : new String[] {"198.18.0.2/33", "198.18.0.2/", "198.18.0.2/-1", "198.18.0.2/x", "198.18.0.2/+8", " "}) {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parseCidr(bad), bad);
        }
    }

    @Test
    void classifiesSpecialAddresses() {
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("224.0.0.1")));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("239.255.255.255")));
        assertFalse(Ipv4Address.isMulticast(Ipv4Address.parse("240.0.0.1")));
        assertTrue(Ipv4Address.isLoopback(Ipv4Address.parse("127.0.0.1")));
        assertFalse(Ipv4Address.isLoopback(Ipv4Address.parse("198.18.0.1")));
    }
}
