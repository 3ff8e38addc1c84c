package dev.netstack.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The frame pktgen sends. */
class PacketLoopsTest {

    @ParameterizedTest
    @ValueSource(ints = {60, 64, 1514})
    void pktgenFrameIsEthernetIpv4UdpWithAValidHeaderChecksum(int size) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) 0xA5);
        PacketLoops.writeFrame(MemorySegment.ofArray(bytes), size, 0x02_00_00_00_00_01L);
        String hex = HexFormat.of().formatHex(bytes, 0, 42);
        int ipLength = size - 14;
        String expected = "0200000000ff" + "020000000001" + "0800" // Ethernet
                + "45" + "00" + String.format("%04x", ipLength) + "0000" + "4000" + "40" + "11" + hex.substring(48, 52)
                + "c6120002" + "c6120001" // IPv4 198.18.0.2 -> 198.18.0.1
                + "0009" + "0009" + String.format("%04x", ipLength - 20); // UDP 9 -> 9
        assertEquals(expected, hex.substring(0, expected.length()));
        assertEquals("0000", hex.substring(expected.length(), expected.length() + 4), "UDP checksum 0: none");
        // RFC 1071: the one's complement sum over a correct header is 0xFFFF
        int sum = 0;
        for (int i = 14; i < 34; i += 2) {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        assertEquals(0xFFFF, sum);
        for (int i = 42; i < size; i++) {
            assertEquals(0, bytes[i], "payload byte " + i);
        }
    }
}
