package dev.netstack.ip.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Ipv4HeaderTest {

    /** `ping -c1 -s 12 127.0.0.1` captured on lo with tcpdump: IPv4 header and ICMP echo request. */
    static final byte[] CAPTURED = HexFormat.of().parseHex(
            "45000028464140004001f6917f0000017f000001" + "0800bf3b1a9f0001000102030405060708090a0b");

    @Test
    void parsesCapturedHeader() {
        Ipv4Header h = new Ipv4Header().wrap(MemorySegment.ofArray(CAPTURED), 0);
        assertEquals(Ipv4Header.OK, h.checkLength(CAPTURED.length));
        assertEquals(4, h.version());
        assertEquals(5, h.ihl());
        assertEquals(20, h.headerLength());
        assertEquals(0, h.dscpEcn());
        assertEquals(40, h.totalLength());
        assertEquals(0x4641, h.identification());
        assertTrue(h.dontFragment());
        assertFalse(h.moreFragments());
        assertFalse(h.isFragment());
        assertEquals(0, h.fragmentOffsetBytes());
        assertEquals(64, h.ttl());
        assertEquals(Ipv4Header.PROTOCOL_ICMP, h.protocol());
        assertEquals(0xf691, h.checksum());
        assertEquals(0x7f000001, h.source());
        assertEquals(0x7f000001, h.destination());
        assertTrue(h.checksumValid());
        assertEquals("IPv4[127.0.0.1 > 127.0.0.1 proto=1 ihl=5 len=40 id=17985 DF frag=0 ttl=64 sum=0xf691]", h.toString());
    }

    @Test
    void emitsIntoPrefilledBufferExactlyTheCapturedBytes() {
        byte[] out = new byte[24];
        Arrays.fill(out, (byte) 0xA5);
        new Ipv4Header().wrap(MemorySegment.ofArray(out), 2)
                .emit(40, 0x4641, Ipv4Header.FLAG_DONT_FRAGMENT, 64, 1, 0x7f000001, 0x7f000001);
        assertEquals((byte) 0xA5, out[0]);
        assertEquals((byte) 0xA5, out[1]);
        assertEquals((byte) 0xA5, out[22]);
        assertEquals((byte) 0xA5, out[23]);
        assertEquals(HexFormat.of().formatHex(CAPTURED, 0, 20), HexFormat.of().formatHex(out, 2, 22));
    }

    @Test
    void roundTripsEveryField() {
        byte[] out = new byte[60];
        Arrays.fill(out, (byte) 0xA5);
        Ipv4Header h = new Ipv4Header().wrap(MemorySegment.ofArray(out), 0);
        h.setVersionAndHeaderLength(24).setDscpEcn(0xB8).setTotalLength(1500).setIdentification(0xBEEF)
                .setFlagsFragment(Ipv4Header.FLAG_MORE_FRAGMENTS | 185).setTtl(1).setProtocol(17)
                .setSource(0xC6120001).setDestination(0xC6120002).fillChecksum();
        Ipv4Header p = new Ipv4Header().wrap(MemorySegment.ofArray(out), 0);
        assertEquals(4, p.version());
        assertEquals(24, p.headerLength());
        assertEquals(0xB8, p.dscpEcn());
        assertEquals(1500, p.totalLength());
        assertEquals(0xBEEF, p.identification());
        assertTrue(p.moreFragments());
        assertFalse(p.dontFragment());
        assertEquals(185 * 8, p.fragmentOffsetBytes());
        assertTrue(p.isFragment());
        assertEquals(1, p.ttl());
        assertEquals(17, p.protocol());
        assertEquals(0xC6120001, p.source());
        assertEquals(0xC6120002, p.destination());
        assertTrue(p.checksumValid());
    }

    @Test
    void reportsTruncatedAndMalformedHeaders() {
        Ipv4Header h = new Ipv4Header().wrap(MemorySegment.ofArray(CAPTURED.clone()), 0);
        for (int n = 0; n < 20; n++) {
            assertEquals(Ipv4Header.TRUNCATED, h.checkLength(n), "length " + n);
        }
        assertEquals(Ipv4Header.BAD_TOTAL_LENGTH, h.checkLength(39)); // total length 40 > available
        assertEquals(Ipv4Header.OK, h.checkLength(40));
        assertEquals(Ipv4Header.OK, h.checkLength(60)); // trailing link padding is fine

        byte[] bytes = CAPTURED.clone();
        Ipv4Header m = new Ipv4Header().wrap(MemorySegment.ofArray(bytes), 0);
        bytes[0] = 0x44; // IHL 4
        assertEquals(Ipv4Header.BAD_IHL, m.checkLength(bytes.length));
        bytes[0] = 0x4F; // IHL 15: 60 bytes, more than the 40 there are
        assertEquals(Ipv4Header.TRUNCATED, m.checkLength(bytes.length));
        bytes[0] = 0x46; // IHL 6 with total length 20 < 24
        bytes[2] = 0;
        bytes[3] = 20;
        assertEquals(Ipv4Header.BAD_TOTAL_LENGTH, m.checkLength(bytes.length));
        bytes[0] = 0x45;
        bytes[3] = 40;
        bytes[11] ^= 1;
        assertFalse(m.checksumValid());
    }
}
