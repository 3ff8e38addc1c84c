package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class MacAddressTest {

    @Test
    void parsesColonAndDashForms() {
        assertEquals(0x0200_0000_0001L, MacAddress.parse("02:00:00:00:00:01"));
        assertEquals(0xAABB_CCDD_EEFFL, MacAddress.parse("aa-bb-cc-dd-ee-ff"));
        assertEquals(0x0A0B_0C0D_0E0FL, MacAddress.parse(" a:b:c:d:e:f "));
        assertEquals(MacAddress.BROADCAST, MacAddress.parse("FF:FF:FF:FF:FF:FF"));
    }

    @Test
    void rejectsMalformedText() {
        for (String bad : new String[] {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:0g",
                "02:00:00:00:00:100", "02::00:00:00:01", "+1:00:00:00:00:01"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(bad), bad);
            assertTrue(e.getMessage().contains("not a MAC address"), e.getMessage());
        }
    }

    @Test
    void formatsLowerCaseWithLeadingZeros() {
        assertEquals("02:00:0a:00:00:01", MacAddress.format(0x0200_0A00_0001L));
        assertEquals("ff:ff:ff:ff:ff:ff", MacAddress.format(MacAddress.BROADCAST));
        assertEquals("00:00:00:00:00:00", MacAddress.format(MacAddress.ZERO));
    }

    @Test
    void formatAndParseRoundTrip() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            long mac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
            assertEquals(mac, MacAddress.parse(MacAddress.format(mac)));
        }
    }

    @Test
    void groupBitMarksMulticast() {
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertFalse(MacAddress.isMulticast(MacAddress.parse("02:00:00:00:00:01")));
        assertTrue(MacAddress.isBroadcast(MacAddress.BROADCAST));
        assertFalse(MacAddress.isBroadcast(MacAddress.parse("01:00:5e:00:00:01")));
    }

    @Test
    void locallyAdministeredIsUnicastWithLocalBit() {
        for (long seed : new long[] {0, -1, 0x0100_0000_0000L, 0x1234_5678_9ABCL}) {
            long mac = MacAddress.locallyAdministered(seed);
            assertFalse(MacAddress.isMulticast(mac));
            assertEquals(1, (mac >>> 41) & 1);
            assertEquals(0, mac >>> 48);
        }
    }
}
