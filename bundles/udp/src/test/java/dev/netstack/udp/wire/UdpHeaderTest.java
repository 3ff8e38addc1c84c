package dev.netstack.udp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.Ipv4Address;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class UdpHeaderTest {

    static final int SOURCE = Ipv4Address.parse("198.18.5.1");
    static final int DESTINATION = Ipv4Address.parse("198.18.5.2");

    /**
     * {@code printf "netstack udp\n" | socat -u - UDP4-SENDTO:198.18.5.2:5353,bind=198.18.5.1:40000},
     * captured with {@code tcpdump -xx} on a veth between two namespaces, sender TX checksum offload off (UDP part of the frame).
     */
    static final byte[] CAPTURED = HexFormat.of().parseHex("9c4014e900156ee7" + "6e6574737461636b207564700a");
    /** {@code printf odd | socat ... 198.18.5.2:9999,bind=198.18.5.1:40001}: an odd-length payload. */
    static final byte[] CAPTURED_ODD = HexFormat.of().parseHex("9c41270f000bd2fa" + "6f6464");

    @Test
    void parsesCapturedDatagrams() {
        UdpHeader h = new UdpHeader().wrap(MemorySegment.ofArray(CAPTURED), 0);
        assertEquals(UdpHeader.OK, h.checkLength(CAPTURED.length));
        assertEquals(40000, h.sourcePort());
        assertEquals(5353, h.destinationPort());
        assertEquals(21, h.length());
        assertEquals(0x6ee7, h.checksum());
        assertTrue(h.hasChecksum());
        assertTrue(h.checksumValid(SOURCE, DESTINATION));
        assertFalse(h.checksumValid(DESTINATION + 1, DESTINATION), "the pseudo-header is covered");
        assertEquals("UDP[40000 > 5353 len=21 sum=0x6ee7]", h.toString());

        UdpHeader odd = new UdpHeader().wrap(MemorySegment.ofArray(CAPTURED_ODD), 0);
        assertEquals(UdpHeader.OK, odd.checkLength(CAPTURED_ODD.length));
        assertEquals(11, odd.length());
        assertTrue(odd.checksumValid(SOURCE, DESTINATION));
        assertEquals(0xd2fa, odd.computeChecksum(SOURCE, DESTINATION));
    }

    @Test
    void emitsIntoPrefilledBufferExactlyTheCapturedDatagram() {
        byte[] out = new byte[CAPTURED.length + 2];
        Arrays.fill(out, (byte) 0xA5);
        System.arraycopy(CAPTURED, UdpHeader.LENGTH, out, 1 + UdpHeader.LENGTH, CAPTURED.length - UdpHeader.LENGTH);
        new UdpHeader().wrap(MemorySegment.ofArray(out), 1).emit(40000, 5353, CAPTURED.length)
                .fillChecksum(SOURCE, DESTINATION);
        assertEquals((byte) 0xA5, out[0]);
        assertEquals((byte) 0xA5, out[out.length - 1]);
        assertEquals(HexFormat.of().formatHex(CAPTURED), HexFormat.of().formatHex(out, 1, 1 + CAPTURED.length));
    }

    @Test
    void roundTripsFieldsAndSendsComputedZeroAsAllOnes() {
        byte[] bytes = new byte[UdpHeader.LENGTH + 2];
        UdpHeader h = new UdpHeader().wrap(MemorySegment.ofArray(bytes), 0);
        h.emit(0xFFFF, 1, bytes.length);
        assertEquals(0xFFFF, h.sourcePort());
        assertEquals(1, h.destinationPort());
        assertEquals(bytes.length, h.length());
        assertEquals(0, h.checksum());
        assertFalse(h.hasChecksum());
        assertFalse(h.checksumValid(SOURCE, DESTINATION), "0 means no checksum; policy decides");

        // Choose the two data bytes so the sum of everything else complements to 0: the field
        // would be 0, and RFC 768 says to send 0xFFFF instead.
        h.fillChecksum(SOURCE, DESTINATION);
        int wanted = h.checksum(); // data word that makes the sum fold to 0xFFFF
        bytes[8] = (byte) (wanted >>> 8);
        bytes[9] = (byte) wanted;
        h.fillChecksum(SOURCE, DESTINATION);
        assertEquals(0xFFFF, h.checksum());
        assertTrue(h.checksumValid(SOURCE, DESTINATION));

        h.setSourcePort(7).setDestinationPort(9).setLength(9).setChecksum(0x1234);
        assertEquals(7, h.sourcePort());
        assertEquals(9, h.destinationPort());
        assertEquals(9, h.length());
        assertEquals(0x1234, h.checksum());
    }

    @Test
    void rejectsTruncationsAndBadLengthFields() {
        UdpHeader h = new UdpHeader().wrap(MemorySegment.ofArray(CAPTURED.clone()), 0);
        for (int available = 0; available < UdpHeader.LENGTH; available++) {
            assertEquals(UdpHeader.TRUNCATED, h.checkLength(available), "available " + available);
        }
        for (int available = UdpHeader.LENGTH; available < CAPTURED.length; available++) {
            assertEquals(UdpHeader.BAD_LENGTH, h.checkLength(available), "available " + available);
        }
        assertEquals(UdpHeader.OK, h.checkLength(CAPTURED.length + 5), "trailing padding is allowed");
        for (int length = 0; length < UdpHeader.LENGTH; length++) {
            h.setLength(length);
            assertEquals(UdpHeader.BAD_LENGTH, h.checkLength(CAPTURED.length), "length field " + length);
        }
        h.setLength(CAPTURED.length);
        byte[] corrupted = CAPTURED.clone();
        corrupted[12] ^= 0x01;
        assertFalse(new UdpHeader().wrap(MemorySegment.ofArray(corrupted), 0).checksumValid(SOURCE, DESTINATION));
    }
}
