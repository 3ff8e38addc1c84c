package dev.netstack.nic.tap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.tap.TapException.Reason;
import org.junit.jupiter.api.Test;

class TapSettingsTest {

    @Test
    void parsesFullConfiguration() {
        TapSettings s = TapSettings.parse("eth1", "ns1", "02:00:00:00:00:07", 1400, " 198.18.0.1/24 ", 512);
        assertEquals("eth1", s.name());
        assertEquals("ns1", s.tapName());
        assertEquals(0x0200_0000_0007L, s.macAddress());
        assertEquals(1400, s.mtu());
        assertEquals(0xC612_0001, s.hostAddress());
        assertEquals(24, s.hostPrefixLength());
        assertEquals(0xFFFF_FF00, s.hostNetmask());
        assertEquals(512, s.poolBuffers());
        assertTrue(s.configuresHost());
    }

    @Test
    void emptyHostAddressLeavesKernelSideAlone() {
        TapSettings s = TapSettings.parse("eth0", "ns0", "", 1500, "", 4096);
        assertFalse(s.configuresHost());
        assertEquals(0, s.hostNetmask());
    }

    @Test
    void emptyMacIsLocallyAdministeredUnicastDerivedFromTapName() {
        long mac = TapSettings.parse("eth0", "ns0", " ", 1500, "", 4096).macAddress();
        assertEquals(mac, TapSettings.defaultMac("ns0"));
        assertNotEquals(mac, TapSettings.defaultMac("ns1"));
        assertFalse(MacAddress.isMulticast(mac));
        assertEquals(1, (mac >>> 41) & 1, "locally administered bit");
        assertEquals(mac, TapSettings.defaults("eth0", "ns0").macAddress());
    }

    @Test
    void prefixLengthsGiveNetmasks() {
        assertEquals(0xFFFF_FFFF, TapSettings.parse("e", "t", "", 1500, "198.18.0.1/32", 64).hostNetmask());
        assertEquals(0x8000_0000, TapSettings.parse("e", "t", "", 1500, "198.18.0.1/1", 64).hostNetmask());
        assertEquals(0xFFFE_0000, TapSettings.parse("e", "t", "", 1500, "198.18.0.1/15", 64).hostNetmask());
    }

    private static String badMessage(Runnable parse) {
        TapException e = assertThrows(TapException.class, parse::run);
        assertEquals(Reason.BAD_CONFIGURATION, e.reason());
        return e.getMessage();
    }

    @Test
    void rejectsBadHostAddressWithExample() {
        for (String bad : new String[] {"198.18.0.1", "198.18.0/24", "198.18.0.256/24", "a.b.c.d/24", "198.18.0.1/",
                "198.18.0.1/x", "198.18..1/24", "1.2.3.4.5/8"}) {
            assertEquals("The host address (host.address) '" + bad
                    + "' is not an IPv4 address with prefix length: write it like 198.18.0.1/24.",
                    badMessage(() -> TapSettings.parse("eth0", "ns0", "", 1500, bad, 64)), bad);
        }
        assertEquals("The host address (host.address) '198.18.0.1/33' has prefix length 33: use 1 to 32.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 1500, "198.18.0.1/33", 64)));
        assertEquals("The host address (host.address) '198.18.0.1/0' has prefix length 0: use 1 to 32.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 1500, "198.18.0.1/0", 64)));
    }

    @Test
    void rejectsBadMacWithExample() {
        assertEquals("The MAC address (mac) '02:00:00:00:01' is not six hex octets: write it like 02:00:00:00:00:01.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "02:00:00:00:01", 1500, "", 64)));
        assertEquals("The MAC address (mac) 01:00:5e:00:00:01 is not a unicast address: use one whose first octet"
                + " is even, like 02:00:00:00:00:01.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "01:00:5e:00:00:01", 1500, "", 64)));
        assertTrue(badMessage(() -> TapSettings.parse("eth0", "ns0", "00:00:00:00:00:00", 1500, "", 64))
                .contains("is not a unicast address"));
    }

    @Test
    void rejectsMtuOutOfRange() {
        assertEquals("The MTU (mtu) 67 is out of range: use 68 to 9000.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 67, "", 64)));
        assertEquals("The MTU (mtu) 9001 is out of range: use 68 to 9000.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 9001, "", 64)));
        assertEquals(68, TapSettings.parse("eth0", "ns0", "", 68, "", 64).mtu());
        assertEquals(9000, TapSettings.parse("eth0", "ns0", "", 9000, "", 64).mtu());
    }

    @Test
    void rejectsTapNamesTheKernelWouldRefuse() {
        assertEquals("The TAP name (tap) 'a-very-long-name' is too long: use at most 15 characters.",
                badMessage(() -> TapSettings.parse("eth0", "a-very-long-name", "", 1500, "", 64)));
        assertEquals("ns-fifteen-char", TapSettings.parse("eth0", "ns-fifteen-char", "", 1500, "", 64).tapName());
        assertEquals("The TAP name (tap) must not be empty.",
                badMessage(() -> TapSettings.parse("eth0", "", "", 1500, "", 64)));
        for (String bad : new String[] {"a/b", "a b", "a:b", "tab\t"}) {
            assertEquals("The TAP name (tap) '" + bad
                    + "' is not a valid interface name: use letters, digits, '-', '_' or '.'.",
                    badMessage(() -> TapSettings.parse("eth0", bad, "", 1500, "", 64)), bad);
        }
        assertTrue(badMessage(() -> TapSettings.parse("eth0", "..", "", 1500, "", 64)).contains("not a valid"));
    }

    @Test
    void rejectsEmptyInterfaceNameAndSillyPoolSizes() {
        assertEquals("The interface name (name) must not be empty.",
                badMessage(() -> TapSettings.parse(" ", "ns0", "", 1500, "", 64)));
        assertEquals("The pool size (pool.buffers) 8 is out of range: use 16 to 1048576.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 1500, "", 8)));
    }

    @Test
    void offloadsAreOffInTheFormsWithoutTheFlagAndLargeBuffersFollowThePool() {
        assertEquals(false, TapSettings.parse("eth0", "ns0", "", 1500, "", 4096).offload());
        assertEquals(false, TapSettings.defaults("eth0", "ns0").offload());
        TapSettings on = TapSettings.parse("eth0", "ns0", "", 1500, "", 4096, true);
        assertEquals(true, on.offload());
        assertEquals(on, TapSettings.parse("eth0", "ns0", "", 1500, "", 4096).withOffload(true));
        assertEquals(256, on.largeBuffers());
        assertEquals(16, TapSettings.parse("eth0", "ns0", "", 1500, "", 64, true).largeBuffers());
        assertEquals(1024, TapSettings.parse("eth0", "ns0", "", 1500, "", 1 << 20, true).largeBuffers());
    }

    @Test
    void queuesDefaultToOneAndStayInOneToSixteen() {
        assertEquals(1, TapSettings.parse("eth0", "ns0", "", 1500, "", 4096).queues());
        assertEquals(1, TapSettings.defaults("eth0", "ns0").queues());
        TapSettings four = TapSettings.parse("eth0", "ns0", "", 1500, "", 4096, true, 4);
        assertEquals(4, four.queues());
        assertEquals(true, four.withOffload(false).withQueues(4).withOffload(true).offload());
        assertEquals(four, TapSettings.parse("eth0", "ns0", "", 1500, "", 4096, true).withQueues(4));
        assertEquals(16, four.withQueues(16).queues());
        assertEquals("The queue count (queues) 0 is out of range: use 1 to 16.",
                badMessage(() -> TapSettings.parse("eth0", "ns0", "", 1500, "", 64, false, 0)));
        assertEquals("The queue count (queues) 17 is out of range: use 1 to 16.",
                badMessage(() -> four.withQueues(17)));
    }
}
