package dev.netstack.nic.tap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VnetHeaderTest {

    /**
     * The header a TAP with IFF_VNET_HDR and TUN_F_CSUM|TUN_F_TSO4 put in front of a coalesced TCP
     * segment the kernel sent to the stack (read(2) in the TapOffloadTest rig): NEEDS_CSUM,
     * gso_type TCPV4, hdr_len 66 (Ethernet 14 + IPv4 20 + TCP 32 with timestamps), gso_size 1448,
     * csum_start 34, csum_offset 16 (TCP's checksum field).
     */
    private static final byte[] CAPTURED_TCP_GSO = {0x01, 0x01, 0x42, 0x00, (byte) 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00};

    private final MemorySegment segment = Arena.ofAuto().allocate(32);

    @Test
    void parsesCapturedCoalescedTcpSegmentHeader() {
        MemorySegment.copy(MemorySegment.ofArray(CAPTURED_TCP_GSO), 0, segment, 3, VnetHeader.LENGTH);
        VnetHeader h = new VnetHeader().wrap(segment, 3);
        assertEquals(VnetHeader.F_NEEDS_CSUM, h.flags());
        assertEquals(VnetHeader.GSO_TCPV4, h.gsoType());
        assertEquals(66, h.hdrLen());
        assertEquals(1448, h.gsoSize());
        assertEquals(34, h.csumStart());
        assertEquals(16, h.csumOffset());
        assertEquals("virtio_net_hdr[flags=1 gso_type=1 hdr_len=66 gso_size=1448 csum_start=34 csum_offset=16]",
                h.toString());
    }

    @Test
    void emitsSegmentationRequestOverFilledBuffer() {
        segment.fill((byte) 0xA5);
        new VnetHeader().wrap(segment, 3).clear().flags(VnetHeader.F_NEEDS_CSUM).gsoType(VnetHeader.GSO_TCPV4)
                .hdrLen(66).gsoSize(1448).csumStart(34).csumOffset(16);
        byte[] written = new byte[VnetHeader.LENGTH];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, 3, written, 0, written.length);
        assertArrayEquals(CAPTURED_TCP_GSO, written);
        assertEquals((byte) 0xA5, segment.get(ValueLayout.JAVA_BYTE, 2), "byte before the header untouched");
        assertEquals((byte) 0xA5, segment.get(ValueLayout.JAVA_BYTE, 3 + VnetHeader.LENGTH), "byte after untouched");
    }

    @Test
    void clearWritesAllTenBytesAndRoundTripsEveryField() {
        segment.fill((byte) 0xA5);
        VnetHeader h = new VnetHeader().wrap(segment, 0).clear();
        byte[] zero = new byte[VnetHeader.LENGTH];
        byte[] written = new byte[VnetHeader.LENGTH];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, 0, written, 0, written.length);
        assertArrayEquals(zero, written);
        h.flags(VnetHeader.F_DATA_VALID).gsoType(VnetHeader.GSO_TCPV4 | VnetHeader.GSO_ECN).hdrLen(0xFFFF)
                .gsoSize(0x8001).csumStart(0xFEDC).csumOffset(6);
        VnetHeader again = new VnetHeader().wrap(segment, 0);
        assertEquals(VnetHeader.F_DATA_VALID, again.flags());
        assertEquals(0x81, again.gsoType());
        assertEquals(0xFFFF, again.hdrLen());
        assertEquals(0x8001, again.gsoSize());
        assertEquals(0xFEDC, again.csumStart());
        assertEquals(6, again.csumOffset());
        assertEquals((byte) 0xA5, segment.get(ValueLayout.JAVA_BYTE, VnetHeader.LENGTH));
    }

    @Test
    void refusesTruncatedOrMisplacedHeader() {
        MemorySegment nine = Arena.ofAuto().allocate(VnetHeader.LENGTH - 1);
        assertThrows(IndexOutOfBoundsException.class, () -> new VnetHeader().wrap(nine, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> new VnetHeader().wrap(segment, 32 - 9));
        assertThrows(IndexOutOfBoundsException.class, () -> new VnetHeader().wrap(segment, -1));
        byte[] garbage = new byte[VnetHeader.LENGTH];
        Arrays.fill(garbage, (byte) 0xFF);
        VnetHeader h = new VnetHeader().wrap(MemorySegment.ofArray(garbage), 0);
        assertEquals(0xFF, h.flags()); // unsigned, never negative: the device range-checks csum_start itself
        assertEquals(0xFFFF, h.csumStart());
    }
}
