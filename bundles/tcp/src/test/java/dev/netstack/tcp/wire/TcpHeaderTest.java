package dev.netstack.tcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.ip.wire.InternetChecksum;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The smoltcp four on bytes captured with tcpdump in a network namespace (lo, 198.18.5.1 to
 * itself, a Linux 6.x client). On lo the kernel leaves the checksum partial: the field holds the
 * folded pseudo-header sum (CHECKSUM_PARTIAL), which the test checks against our pseudo-header.
 */
class TcpHeaderTest {

    static final int ADDRESS = 0xC612_0501;
    /** SYN: seq 782717831, win 65495, options [mss 65495,sackOK,TS val 24922612 ecr 0,nop,wscale 10]. */
    static final byte[] SYN = HexFormat.of().parseHex(
            "9d5e1e612ea7538700000000a002ffd796550000" + "0204ffd70402080a017c49f4000000000103030a");
    /** Data: [P.] seq 1:7 ack 1 win 64 [nop,nop,TS val 24922612 ecr 1469906354] "hello\n". */
    static final byte[] DATA = HexFormat.of().parseHex(
            "9d5e1e612ea753884f5a45458018004096530000" + "0101080a017c49f4579cfdb2" + "68656c6c6f0a");

    static MemorySegment copy(byte[] bytes) {
        MemorySegment segment = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        return segment;
    }

    @Test
    void parsesCapturedSynWithOptions() {
        MemorySegment segment = copy(SYN);
        TcpHeader tcp = new TcpHeader().wrap(segment, 0);
        assertEquals(TcpHeader.OK, tcp.checkLength(SYN.length));
        assertEquals(40286, tcp.sourcePort());
        assertEquals(7777, tcp.destinationPort());
        assertEquals(782717831L, Integer.toUnsignedLong(tcp.sequence()));
        assertEquals(0, tcp.acknowledgment());
        assertEquals(40, tcp.headerLength());
        assertEquals(TcpHeader.SYN, tcp.flags());
        assertEquals(65495, tcp.window());
        // CHECKSUM_PARTIAL on lo: the field is the folded pseudo-header sum.
        assertEquals(InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(ADDRESS, ADDRESS, 6, SYN.length)),
                tcp.checksum());
        TcpOptionsView options = new TcpOptionsView();
        assertTrue(options.parse(segment, tcp.optionsOffset(), tcp.headerLength() - TcpHeader.MIN_LENGTH));
        assertEquals(65495, options.mss);
        assertTrue(options.sackPermitted);
        assertTrue(options.hasTimestamp);
        assertEquals(24922612, options.tsVal);
        assertEquals(0, options.tsEcr);
        assertEquals(10, options.windowScale);
        assertEquals("[mss 65495,sackOK,TS val 24922612 ecr 0,wscale 10]", options.toString());
    }

    @Test
    void parsesCapturedDataSegment() {
        MemorySegment segment = copy(DATA);
        TcpHeader tcp = new TcpHeader().wrap(segment, 0);
        assertEquals(TcpHeader.OK, tcp.checkLength(DATA.length));
        assertEquals(TcpHeader.PSH | TcpHeader.ACK, tcp.flags());
        assertEquals(1331316037L, Integer.toUnsignedLong(tcp.acknowledgment()));
        assertEquals(32, tcp.headerLength());
        assertEquals(64, tcp.window());
        TcpOptionsView options = new TcpOptionsView();
        assertTrue(options.parse(segment, tcp.optionsOffset(), 12));
        assertEquals(1469906354L, Integer.toUnsignedLong(options.tsEcr));
        assertEquals("hello\n", new String(DATA, 32, 6, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("TCP 40286 > 7777 [P.] seq 782717832 ack 1331316037 win 64 hlen 32", tcp.toString());
    }

    @Test
    void emitsSynIdenticalToCaptureIntoPoisonedBuffer() {
        MemorySegment segment = Arena.ofAuto().allocate(SYN.length);
        segment.fill((byte) 0xA5);
        TcpHeader tcp = new TcpHeader().wrap(segment, 0);
        tcp.sourcePort(40286).destinationPort(7777).sequence((int) 782717831L).acknowledgment(0).headerLength(40)
                .flags(TcpHeader.SYN).window(65495).urgentPointer(0);
        // The kernel's option order: MSS, SACK-permitted (no padding), TS, NOP, WS.
        long at = TcpOptionsView.writeMss(segment, 20, 65495);
        // The kernel's order: MSS, SACK-permitted in the two bytes our TS layout pads with NOPs, TS, NOP WS.
        at = TcpOptionsView.writeTimestamp(segment, at, 24922612, 0);
        segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 24, (byte) TcpOptionsView.KIND_SACK_PERMITTED);
        segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 25, (byte) 2);
        at = TcpOptionsView.writeWindowScale(segment, at, 10);
        assertEquals(40, at);
        tcp.checksum(InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(ADDRESS, ADDRESS, 6, SYN.length)));
        assertEquals(HexFormat.of().formatHex(SYN), HexFormat.of().formatHex(segment.toArray(
                java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    @Test
    void roundTripsEveryOptionAndChecksum() {
        MemorySegment segment = Arena.ofAuto().allocate(80);
        segment.fill((byte) 0xA5);
        TcpHeader tcp = new TcpHeader().wrap(segment, 0);
        long at = TcpOptionsView.writeTimestamp(segment, 20, 7, 9);
        at = TcpOptionsView.writeSack(segment, at, new int[] {100, 200, -5, 3}, 2);
        assertEquals(20 + 12 + 20, at);
        tcp.sourcePort(1).destinationPort(2).sequence(-1).acknowledgment(5).headerLength(52)
                .flags(TcpHeader.ACK | TcpHeader.FIN).window(1).urgentPointer(0);
        segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 52, (byte) 'x');
        tcp.fillChecksum(0x0A000001, 0x0A000002, 53);
        assertTrue(tcp.verifyChecksum(0x0A000001, 0x0A000002, 53));
        assertFalse(tcp.verifyChecksum(0x0A000001, 0x0A000003, 53));
        TcpOptionsView options = new TcpOptionsView();
        assertTrue(options.parse(segment, 20, 32));
        assertEquals(2, options.sackBlocks);
        assertEquals(-5, options.sackEdges[2]);
        assertEquals(9, options.tsEcr);
        assertEquals(-1, options.mss);
    }

    @Test
    void rejectsTruncatedAndMalformedWithoutThrowing() {
        MemorySegment segment = copy(SYN);
        TcpHeader tcp = new TcpHeader().wrap(segment, 0);
        for (int length = 0; length < 20; length++) {
            assertEquals(TcpHeader.TRUNCATED, tcp.checkLength(length));
        }
        for (int length = 20; length < 40; length++) {
            assertEquals(TcpHeader.BAD_DATA_OFFSET, tcp.checkLength(length), "length " + length);
        }
        segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 12, (byte) 0x40); // data offset 4 words
        assertEquals(TcpHeader.BAD_DATA_OFFSET, tcp.checkLength(40));
        TcpOptionsView options = new TcpOptionsView();
        // Every truncation of the option bytes: no throw; a cut inside an option is malformed.
        MemorySegment fresh = copy(SYN);
        for (int length = 0; length <= 20; length++) {
            boolean ok = options.parse(fresh, 20, length);
            boolean boundary = length == 0 || length == 4 || length == 6 || length == 16 || length == 17
                    || length == 20;
            assertEquals(boundary, ok, "option bytes " + length);
        }
        byte[][] bad = {
            {2, 3, 0},             // MSS with length 3
            {3, 4, 7, 0},          // WS with length 4
            {4, 3, 0},             // SACK-permitted with length 3
            {8, 9, 0, 0, 0, 0, 0, 0, 0}, // TS with length 9
            {5, 6, 0, 0, 0, 0},    // SACK with 4 bytes of edges
            {(byte) 200, 1},       // unknown with length 1
            {(byte) 200, 9, 0},    // unknown running past the end
            {1, 1, 2},             // kind without length byte
        };
        for (byte[] option : bad) {
            assertFalse(options.parse(copy(option), 0, option.length), HexFormat.of().formatHex(option));
        }
        byte[] unknownThenMss = {(byte) 200, 3, 0, 2, 4, 5, (byte) 0xB4, 0, 99};
        assertTrue(options.parse(copy(unknownThenMss), 0, unknownThenMss.length));
        assertEquals(1460, options.mss);
        byte[] scale = {3, 3, 20};
        assertTrue(options.parse(copy(scale), 0, 3));
        assertEquals(14, options.windowScale); // RFC 7323 §2.3
    }
}
