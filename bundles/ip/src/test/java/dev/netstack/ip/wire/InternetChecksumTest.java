package dev.netstack.ip.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InternetChecksumTest {

    /** Straightforward RFC 1071 reference: 16-bit big-endian words, end-around carry. */
    private static int reference(byte[] data, int offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int hi = data[offset + i] & 0xFF;
            int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += hi << 8 | lo;
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    @Test
    void matchesTheRfc1071Example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        byte[] data = HexFormat.of().parseHex("0001f203f4f5f6f7");
        assertEquals(0xddf2, InternetChecksum.fold(InternetChecksum.sum(MemorySegment.ofArray(data), 0, 8, 0)));
        assertEquals(~0xddf2 & 0xFFFF, InternetChecksum.compute(MemorySegment.ofArray(data), 0, 8));
    }

    @Test
    void verifiesTheCapturedIpHeader() {
        assertTrue(InternetChecksum.verify(MemorySegment.ofArray(Ipv4HeaderTest.CAPTURED), 0, 20));
    }

    @Test
    void agreesWithTheReferenceForEveryLengthAndAlignment() {
        long seed = System.nanoTime();
        System.out.println("InternetChecksumTest seed " + seed);
        Random random = new Random(seed);
        byte[] data = new byte[2100];
        for (int round = 0; round < 50; round++) {
            random.nextBytes(data);
            if (round == 0) {
                java.util.Arrays.fill(data, (byte) 0xFF); // carries everywhere
            }
            for (int offset = 0; offset < 4; offset++) {
                for (int length = 0; length < 80; length++) {
                    assertEquals(reference(data, offset, length),
                            InternetChecksum.compute(MemorySegment.ofArray(data), offset, length), "seed " + seed);
                }
            }
            assertEquals(reference(data, 1, 2048), InternetChecksum.compute(MemorySegment.ofArray(data), 1, 2048), "seed " + seed);
        }
    }

    @Test
    void incrementalUpdateEqualsRecomputing() {
        long seed = System.nanoTime();
        System.out.println("InternetChecksumTest seed " + seed);
        Random random = new Random(seed);
        byte[] data = new byte[40];
        MemorySegment seg = MemorySegment.ofArray(data);
        for (int round = 0; round < 1000; round++) {
            random.nextBytes(data);
            int before = InternetChecksum.compute(seg, 0, 40);
            int at = random.nextInt(20) * 2;
            int oldWord = (data[at] & 0xFF) << 8 | (data[at + 1] & 0xFF);
            int newWord = random.nextInt(0x10000);
            data[at] = (byte) (newWord >>> 8);
            data[at + 1] = (byte) newWord;
            int updated = InternetChecksum.update(before, oldWord, newWord);
            int recomputed = InternetChecksum.compute(seg, 0, 40);
            // One's complement has two zeros; RFC 1624 eqn. 3 may yield either for an all-ones sum.
            assertTrue(updated == recomputed || (updated ^ recomputed) == 0xFFFF && (updated == 0 || recomputed == 0),
                    "seed " + seed + ": " + updated + " vs " + recomputed);
        }
    }

    @Test
    void pseudoHeaderSumCoversAddressesProtocolAndLength() {
        // The UDP datagram quoted in the captured port unreachable: 127.0.0.1 -> 127.0.0.1, 10 bytes.
        // On lo Linux leaves the checksum to "offload": the field holds just the folded
        // pseudo-header sum (0xfe1d), which is what pseudoHeaderSum must produce.
        byte[] udp = HexFormat.of().parseHex("8f9e0009000afe1d6869");
        long pseudo = InternetChecksum.pseudoHeaderSum(0x7f000001, 0x7f000001, 17, udp.length);
        assertEquals(0xfe1d, InternetChecksum.fold(pseudo));
        udp[6] = 0;
        udp[7] = 0;
        int checksum = InternetChecksum.finish(InternetChecksum.sum(MemorySegment.ofArray(udp), 0, udp.length, pseudo));
        assertEquals(0x09c7, checksum);
        udp[6] = (byte) (checksum >>> 8);
        udp[7] = (byte) checksum;
        assertEquals(0xFFFF, InternetChecksum.fold(InternetChecksum.sum(MemorySegment.ofArray(udp), 0, udp.length, pseudo)));
    }
}
