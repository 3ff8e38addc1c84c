package dev.netstack.ethernet.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ArpPacketTest {

    /** Captured with tcpdump -xx on a veth pair: "Request who-has 198.18.0.2 tell 198.18.0.1" from arping. */
    static final String CAPTURED_REQUEST = "ffff ffff ffff 6698 cf23 05fb 0806 0001"
            + "0800 0604 0001 6698 cf23 05fb c612 0001"
            + "ffff ffff ffff c612 0002";
    /** The kernel's answer: "Reply 198.18.0.2 is-at 06:09:c9:ae:7c:25". */
    static final String CAPTURED_REPLY = EthernetHeaderTest.CAPTURED_ARP_REPLY;

    private static final int IP_1 = 0xC612_0001; // 198.18.0.1
    private static final int IP_2 = 0xC612_0002; // 198.18.0.2
    private static final long MAC_1 = 0x6698_cf23_05fbL;
    private static final long MAC_2 = 0x0609_c9ae_7c25L;

    @Test
    void parsesCapturedRequestAndReply() {
        ArpPacket request = new ArpPacket().wrap(Hex.segment(CAPTURED_REQUEST), EthernetHeader.LENGTH);
        assertTrue(request.checkLength(28));
        assertTrue(request.isEthernetIpv4());
        assertEquals(ArpPacket.OPERATION_REQUEST, request.operation());
        assertEquals(MAC_1, request.senderHardwareAddress());
        assertEquals(IP_1, request.senderProtocolAddress());
        assertEquals(0xFFFF_FFFF_FFFFL, request.targetHardwareAddress());
        assertEquals(IP_2, request.targetProtocolAddress());
        assertEquals("ArpPacket[request htype=1 ptype=0x800 hlen=6 plen=4 sha=66:98:cf:23:05:fb spa=198.18.0.1"
                + " tha=ff:ff:ff:ff:ff:ff tpa=198.18.0.2]", request.toString());

        ArpPacket reply = new ArpPacket().wrap(Hex.segment(CAPTURED_REPLY), EthernetHeader.LENGTH);
        assertTrue(reply.isEthernetIpv4());
        assertEquals(ArpPacket.OPERATION_REPLY, reply.operation());
        assertEquals(MAC_2, reply.senderHardwareAddress());
        assertEquals(IP_2, reply.senderProtocolAddress());
        assertEquals(MAC_1, reply.targetHardwareAddress());
        assertEquals(IP_1, reply.targetProtocolAddress());
    }

    @Test
    void emitsEveryByteIntoPrefilledBuffer() {
        MemorySegment buffer = Hex.filled(ArpPacket.LENGTH + 2, 0xA5);
        new ArpPacket().wrap(buffer, 1).ethernetIpv4()
                .operation(ArpPacket.OPERATION_REPLY)
                .senderHardwareAddress(MAC_2).senderProtocolAddress(IP_2)
                .targetHardwareAddress(MAC_1).targetProtocolAddress(IP_1);
        String expected = "a5" + Hex.hex(Hex.segment(CAPTURED_REPLY), EthernetHeader.LENGTH, ArpPacket.LENGTH) + "a5";
        assertEquals(expected, Hex.hex(buffer, 0, ArpPacket.LENGTH + 2));
    }

    @Test
    void roundTripsThroughParseAndEmit() {
        for (String captured : new String[] {CAPTURED_REQUEST, CAPTURED_REPLY}) {
            MemorySegment frame = Hex.segment(captured);
            ArpPacket in = new ArpPacket().wrap(frame, EthernetHeader.LENGTH);
            MemorySegment out = Hex.filled(ArpPacket.LENGTH, 0xA5);
            new ArpPacket().wrap(out, 0)
                    .hardwareType(in.hardwareType()).protocolType(in.protocolType())
                    .hardwareLength(in.hardwareLength()).protocolLength(in.protocolLength())
                    .operation(in.operation())
                    .senderHardwareAddress(in.senderHardwareAddress()).senderProtocolAddress(in.senderProtocolAddress())
                    .targetHardwareAddress(in.targetHardwareAddress()).targetProtocolAddress(in.targetProtocolAddress());
            assertEquals(Hex.hex(frame, EthernetHeader.LENGTH, ArpPacket.LENGTH), Hex.hex(out, 0, ArpPacket.LENGTH));
        }
    }

    @Test
    void rejectsTruncatedAndMalformedPackets() {
        MemorySegment frame = Hex.segment(CAPTURED_REQUEST);
        ArpPacket arp = new ArpPacket();
        for (int length = 0; length < ArpPacket.LENGTH; length++) {
            assertFalse(arp.wrap(frame.asSlice(EthernetHeader.LENGTH, length), 0).checkLength(length), "length " + length);
            assertEquals("ArpPacket[truncated]", arp.toString());
        }
        // Each field that fixes the layout, set wrong in turn: hlen, plen, htype, ptype.
        long[][] wrong = {{ArpPacket.HARDWARE_LENGTH_OFFSET, 8}, {ArpPacket.PROTOCOL_LENGTH_OFFSET, 16},
            {ArpPacket.HARDWARE_TYPE_OFFSET + 1, 6}, {ArpPacket.PROTOCOL_TYPE_OFFSET, 0x86}};
        for (long[] field : wrong) {
            MemorySegment bad = Hex.segment(CAPTURED_REQUEST);
            bad.set(ValueLayout.JAVA_BYTE, EthernetHeader.LENGTH + field[0], (byte) field[1]);
            arp.wrap(bad, EthernetHeader.LENGTH);
            assertTrue(arp.checkLength(28));
            assertFalse(arp.isEthernetIpv4(), "field at " + field[0]);
        }
    }
}
