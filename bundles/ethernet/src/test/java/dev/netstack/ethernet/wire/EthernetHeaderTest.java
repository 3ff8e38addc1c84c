package dev.netstack.ethernet.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class EthernetHeaderTest {

    /** An ARP reply captured with tcpdump -xx on a veth pair (198.18.0.2 is-at 06:09:c9:ae:7c:25). */
    static final String CAPTURED_ARP_REPLY = "6698 cf23 05fb 0609 c9ae 7c25 0806 0001"
            + "0800 0604 0002 0609 c9ae 7c25 c612 0002"
            + "6698 cf23 05fb c612 0001";

    @Test
    void parsesCapturedFrame() {
        MemorySegment frame = Hex.segment(CAPTURED_ARP_REPLY);
        EthernetHeader header = new EthernetHeader().wrap(frame, 0);
        assertTrue(header.checkLength(frame.byteSize()));
        assertEquals(0x6698_cf23_05fbL, header.destination());
        assertEquals(0x0609_c9ae_7c25L, header.source());
        assertEquals(EthernetHeader.ETHER_TYPE_ARP, header.etherType());
        assertEquals("EthernetHeader[06:09:c9:ae:7c:25 > 66:98:cf:23:05:fb type=0x0806]", header.toString());
    }

    @Test
    void emitsEveryByteIntoPrefilledBuffer() {
        MemorySegment buffer = Hex.filled(EthernetHeader.LENGTH + 4, 0xA5);
        new EthernetHeader().wrap(buffer, 2)
                .destination(0x6698_cf23_05fbL)
                .source(0x0609_c9ae_7c25L)
                .etherType(EthernetHeader.ETHER_TYPE_ARP);
        assertEquals("a5a5" + "6698cf2305fb" + "0609c9ae7c25" + "0806" + "a5a5", Hex.hex(buffer, 0, 18));
    }

    @Test
    void roundTripsThroughParseAndEmit() {
        MemorySegment captured = Hex.segment(CAPTURED_ARP_REPLY);
        EthernetHeader in = new EthernetHeader().wrap(captured, 0);
        MemorySegment out = Hex.filled(EthernetHeader.LENGTH, 0xA5);
        new EthernetHeader().wrap(out, 0).destination(in.destination()).source(in.source()).etherType(in.etherType());
        assertEquals(Hex.hex(captured, 0, EthernetHeader.LENGTH), Hex.hex(out, 0, EthernetHeader.LENGTH));
    }

    @Test
    void rejectsTruncatedHeaders() {
        MemorySegment captured = Hex.segment(CAPTURED_ARP_REPLY);
        EthernetHeader header = new EthernetHeader();
        for (int length = 0; length < EthernetHeader.LENGTH; length++) {
            assertFalse(header.wrap(captured.asSlice(0, length), 0).checkLength(length), "length " + length);
            assertEquals("EthernetHeader[truncated]", header.toString());
        }
        assertTrue(header.wrap(captured.asSlice(0, 14), 0).checkLength(14));
        // The segment's end bounds the check too, whatever length the caller claims.
        assertFalse(header.wrap(captured, captured.byteSize() - 13).checkLength(100));
    }
}
