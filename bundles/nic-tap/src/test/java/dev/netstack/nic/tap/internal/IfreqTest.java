package dev.netstack.nic.tap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IfreqTest {

    /**
     * A struct ifreq for SIOCSIFADDR on x86_64, laid out by hand from linux/if.h and netinet/in.h:
     * "tap0", AF_INET (2, little-endian), port 0, 198.18.0.1. (TapDeviceTest parses the bytes the
     * kernel itself returns for SIOCGIFADDR.)
     */
    private static final byte[] SIOCSIFADDR_TAP0 = {
        't', 'a', 'p', '0', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        2, 0, 0, 0, (byte) 198, 18, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
    };

    private final MemorySegment segment = Arena.ofAuto().allocate(64);

    @Test
    void parsesCapturedAddressRequest() {
        MemorySegment.copy(MemorySegment.ofArray(SIOCSIFADDR_TAP0), 0, segment, 8, Ifreq.BYTES);
        Ifreq ifr = new Ifreq().wrap(segment, 8);
        assertEquals("tap0", ifr.name());
        assertEquals(2, ifr.family());
        assertEquals(0xC612_0001, ifr.ipv4());
        assertEquals("ifreq[tap0 flags=0x2 family=2 addr=198.18.0.1]", ifr.toString());
    }

    @Test
    void emitsTunsetiffRequestOverFilledBuffer() {
        segment.fill((byte) 0xA5);
        new Ifreq().wrap(segment, 0).name("ns0").flags((short) (Ifreq.IFF_TAP | Ifreq.IFF_NO_PI));
        byte[] expected = new byte[18];
        expected[0] = 'n';
        expected[1] = 's';
        expected[2] = '0';
        expected[16] = 0x02;   // IFF_TAP | IFF_NO_PI = 0x1002, little-endian
        expected[17] = 0x10;
        assertArrayEquals(expected, Arrays.copyOf(segment.toArray(ValueLayout.JAVA_BYTE), 18));
        assertEquals((byte) 0xA5, segment.get(ValueLayout.JAVA_BYTE, 18), "bytes past the flags untouched");
    }

    @Test
    void emitsAddressRequestMatchingCapturedBytes() {
        segment.fill((byte) 0xA5);
        new Ifreq().wrap(segment, 0).clear().name("tap0").ipv4(0xC612_0001);
        assertArrayEquals(SIOCSIFADDR_TAP0, Arrays.copyOf(segment.toArray(ValueLayout.JAVA_BYTE), Ifreq.BYTES));
        assertEquals((byte) 0xA5, segment.get(ValueLayout.JAVA_BYTE, Ifreq.BYTES), "clear stays within the struct");
    }

    @Test
    void roundTripsNameFlagsMtuAndAddress() {
        Ifreq ifr = new Ifreq().wrap(segment, 4).clear();
        ifr.name("ns-fifteen-char").flags((short) 0x1043);
        assertEquals("ns-fifteen-char", ifr.name());
        assertEquals((short) 0x1043, ifr.flags());
        ifr.mtu(9000);
        assertEquals(9000, ifr.mtu());
        ifr.name("x").ipv4(0xFFFF_FF00);
        assertEquals("x", ifr.name());
        assertEquals(0xFFFF_FF00, ifr.ipv4());
    }

    @Test
    void rejectsShortSegmentsAndLongNames() {
        assertThrows(IndexOutOfBoundsException.class, () -> new Ifreq().wrap(segment, 64 - Ifreq.BYTES + 1));
        assertThrows(IndexOutOfBoundsException.class, () -> new Ifreq().wrap(Arena.ofAuto().allocate(39), 0));
        assertThrows(IndexOutOfBoundsException.class, () -> new Ifreq().wrap(segment, -1));
        Ifreq ifr = new Ifreq().wrap(segment, 0);
        assertThrows(IllegalArgumentException.class, () -> ifr.name("sixteen-chars-xx"));
    }

    @Test
    void nameWithoutTerminatorStopsAtSixteenBytes() {
        segment.fill((byte) 'a');
        assertEquals("aaaaaaaaaaaaaaaa", new Ifreq().wrap(segment, 0).name());
    }
}
