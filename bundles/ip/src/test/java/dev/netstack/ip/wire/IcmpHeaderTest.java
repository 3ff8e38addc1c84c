package dev.netstack.ip.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IcmpHeaderTest {

    /** The echo request and reply of `ping -c1 -s 12 127.0.0.1`, captured on lo (ICMP part only). */
    static final byte[] REQUEST = HexFormat.of().parseHex("0800bf3b1a9f0001000102030405060708090a0b");
    static final byte[] REPLY = HexFormat.of().parseHex("0000c73b1a9f0001000102030405060708090a0b");
    /** Port unreachable from Linux for a 2-byte UDP datagram to 127.0.0.1:9, captured on lo (ICMP part). */
    static final byte[] UNREACHABLE = HexFormat.of().parseHex(
            "030306c400000000" + "4500001e361940004011" + "06b4" + "7f0000017f000001" + "8f9e0009000afe1d" + "6869");

    @Test
    void parsesCapturedEchoRequestAndReply() {
        IcmpHeader h = new IcmpHeader().wrap(MemorySegment.ofArray(REQUEST), 0);
        assertTrue(h.checkLength(REQUEST.length));
        assertEquals(IcmpHeader.TYPE_ECHO_REQUEST, h.type());
        assertEquals(0, h.code());
        assertEquals(0xbf3b, h.checksum());
        assertEquals(0x1a9f, h.identifier());
        assertEquals(1, h.sequence());
        assertTrue(h.checksumValid(REQUEST.length));
        assertEquals("ICMP[type=8 code=0 id=6815 seq=1 sum=0xbf3b]", h.toString());

        IcmpHeader r = new IcmpHeader().wrap(MemorySegment.ofArray(REPLY), 0);
        assertEquals(IcmpHeader.TYPE_ECHO_REPLY, r.type());
        assertTrue(r.checksumValid(REPLY.length));
        assertFalse(IcmpHeader.isError(r.type()));
    }

    @Test
    void emitsIntoPrefilledBufferExactlyTheCapturedReply() {
        byte[] out = new byte[REPLY.length + 2];
        Arrays.fill(out, (byte) 0xA5);
        System.arraycopy(REPLY, 8, out, 9, REPLY.length - 8);
        new IcmpHeader().wrap(MemorySegment.ofArray(out), 1).emit(0, 0, 0x1a9f0001).fillChecksum(REPLY.length);
        assertEquals((byte) 0xA5, out[0]);
        assertEquals((byte) 0xA5, out[out.length - 1]);
        assertEquals(HexFormat.of().formatHex(REPLY), HexFormat.of().formatHex(out, 1, 1 + REPLY.length));
    }

    @Test
    void parsesCapturedPortUnreachable() {
        IcmpHeader h = new IcmpHeader().wrap(MemorySegment.ofArray(UNREACHABLE), 0);
        assertEquals(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, h.type());
        assertEquals(IcmpHeader.CODE_PORT_UNREACHABLE, h.code());
        assertEquals(0, h.rest());
        assertTrue(h.checksumValid(UNREACHABLE.length));
        Ipv4Header quoted = new Ipv4Header().wrap(MemorySegment.ofArray(UNREACHABLE), IcmpHeader.LENGTH);
        assertEquals(Ipv4Header.OK, quoted.checkLength(UNREACHABLE.length - IcmpHeader.LENGTH));
        assertEquals(17, quoted.protocol());
        assertTrue(quoted.checksumValid());
    }

    @Test
    void roundTripsAnUnreachableWithItsQuote() {
        byte[] out = UNREACHABLE.clone();
        IcmpHeader h = new IcmpHeader().wrap(MemorySegment.ofArray(out), 0);
        h.emit(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, IcmpHeader.CODE_FRAGMENTATION_NEEDED, 1400).fillChecksum(out.length);
        IcmpHeader p = new IcmpHeader().wrap(MemorySegment.ofArray(out), 0);
        assertEquals(3, p.type());
        assertEquals(4, p.code());
        assertEquals(1400, p.nextHopMtu());
        assertEquals(1400, p.rest());
        assertTrue(p.checksumValid(out.length));
        assertTrue(IcmpHeader.isError(p.type()));
        Ipv4Header quoted = new Ipv4Header().wrap(MemorySegment.ofArray(out), IcmpHeader.LENGTH);
        assertEquals(17, quoted.protocol());
        assertEquals(0x7f000001, quoted.destination());
    }

    @Test
    void rejectsTruncatedAndDetectsCorruption() {
        IcmpHeader h = new IcmpHeader().wrap(MemorySegment.ofArray(REQUEST.clone()), 0);
        for (int n = 0; n < IcmpHeader.LENGTH; n++) {
            assertFalse(h.checkLength(n));
        }
        assertTrue(h.checkLength(IcmpHeader.LENGTH));
        byte[] bad = REQUEST.clone();
        bad[bad.length - 1] ^= 0x40;
        assertFalse(new IcmpHeader().wrap(MemorySegment.ofArray(bad), 0).checksumValid(bad.length));
        // A truncated message no longer verifies either.
        assertFalse(new IcmpHeader().wrap(MemorySegment.ofArray(REQUEST), 0).checksumValid(REQUEST.length - 2));
    }
}
