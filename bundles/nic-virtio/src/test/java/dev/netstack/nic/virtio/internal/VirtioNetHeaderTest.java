package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class VirtioNetHeaderTest {

    /**
     * A modern header as Linux's virtio_net fills it for a TCP segment needing its checksum (§5.1.6.2):
     * NEEDS_CSUM, no GSO, hdr_len 0, csum_start 34 (Ethernet 14 + IPv4 20), csum_offset 16 (TCP
     * checksum field), num_buffers 0. Little-endian.
     */
    private static final byte[] MODERN_CSUM = {1, 0, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0};
    /** A legacy receive header with DATA_VALID and a GSO TCPv4 frame of mss 1448, hdr_len 66. */
    private static final byte[] LEGACY_GSO = {2, 1, 66, 0, (byte) 0xa8, 5, 0, 0, 0, 0};

    @Test
    void parsesAModernChecksumHeader() {
        VirtioNetHeader h = new VirtioNetHeader(12).wrap(MemorySegment.ofArray(MODERN_CSUM), 0);
        assertEquals(VirtioNetHeader.F_NEEDS_CSUM, h.flags());
        assertEquals(VirtioNetHeader.GSO_NONE, h.gsoType());
        assertEquals(34, h.csumStart());
        assertEquals(16, h.csumOffset());
        assertEquals(0, h.numBuffers());
    }

    @Test
    void parsesALegacyHeaderWhichHasNoBufferCount() {
        VirtioNetHeader h = new VirtioNetHeader(10).wrap(MemorySegment.ofArray(LEGACY_GSO), 0);
        assertEquals(VirtioNetHeader.F_DATA_VALID, h.flags());
        assertEquals(1, h.gsoType());
        assertEquals(66, h.hdrLen());
        assertEquals(1448, h.gsoSize());
        assertEquals(1, h.numBuffers());
        assertTrue(h.toString().contains("gso_size=1448"));
    }

    @Test
    void clearWritesExactlyTheHeaderLength() {
        for (int length : new int[] {10, 12}) {
            byte[] bytes = new byte[16];
            Arrays.fill(bytes, (byte) 0xA5);
            new VirtioNetHeader(length).wrap(MemorySegment.ofArray(bytes), 2).clear();
            for (int i = 0; i < 16; i++) {
                assertEquals(i >= 2 && i < 2 + length ? 0 : (byte) 0xA5, bytes[i], "length " + length + " byte " + i);
            }
        }
    }

    @Test
    void emitsIntoAPrefilledBufferAndRoundTrips() {
        byte[] bytes = new byte[12];
        Arrays.fill(bytes, (byte) 0xA5);
        MemorySegment s = MemorySegment.ofArray(bytes);
        new VirtioNetHeader(12).wrap(s, 0).flags(1).gsoType(0).hdrLen(0).gsoSize(0).csumStart(34).csumOffset(16)
                .numBuffers(0);
        assertArrayEquals(MODERN_CSUM, bytes);
        byte[] legacy = new byte[10];
        Arrays.fill(legacy, (byte) 0xA5);
        VirtioNetHeader h = new VirtioNetHeader(10).wrap(MemorySegment.ofArray(legacy), 0);
        h.flags(2).gsoType(1).hdrLen(66).gsoSize(1448).csumStart(0).csumOffset(0).numBuffers(7);
        assertArrayEquals(LEGACY_GSO, legacy, "num_buffers is not part of a 10-byte header");
    }

    @Test
    void lengthFollowsVersion1AndMergeableBuffers() {
        assertEquals(12, VirtioNetHeader.length(true));
        assertEquals(10, VirtioNetHeader.length(false));
        assertThrows(IllegalArgumentException.class, () -> new VirtioNetHeader(11));
    }

    @Test
    void checkLengthRejectsTruncatedHeaders() {
        VirtioNetHeader h = new VirtioNetHeader(12).wrap(MemorySegment.ofArray(new byte[11]), 0);
        assertFalse(h.checkLength(11));
        assertTrue(h.checkLength(12));
        assertTrue(new VirtioNetHeader(10).checkLength(10));
        assertEquals(0, MemorySegment.ofArray(MODERN_CSUM).get(ValueLayout.JAVA_BYTE, 11));
    }
}
