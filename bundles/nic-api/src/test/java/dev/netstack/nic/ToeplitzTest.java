package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ToeplitzTest {

    /** The key of the Microsoft RSS verification suite. */
    private static final byte[] MS_KEY = HexFormat.of().parseHex(
            "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa");

    private static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    @Test
    void matchesTheMicrosoftVerificationSuiteForTcpIpv4() {
        // {src, dst, srcPort, dstPort, expected}: the suite's IPv4 with TCP rows
        long[][] rows = {
                {ip(66, 9, 149, 187), ip(161, 142, 100, 80), 2794, 1766, 0x51ccc178L},
                {ip(199, 92, 111, 2), ip(65, 69, 140, 83), 14230, 4739, 0xc626b0eaL},
                {ip(24, 19, 198, 95), ip(12, 22, 207, 184), 12898, 38024, 0x5c2b394aL},
                {ip(38, 27, 205, 30), ip(209, 142, 163, 6), 48228, 2217, 0xafc7327fL},
                {ip(153, 39, 163, 191), ip(202, 188, 127, 2), 44251, 1303, 0x10e828a2L},
        };
        for (long[] row : rows) {
            int expected = (int) row[4];
            assertEquals(expected, Toeplitz.hashTcp4(MS_KEY, (int) row[0], (int) row[1], (int) row[2], (int) row[3]));
            byte[] input = new byte[12];
            java.nio.ByteBuffer.wrap(input).putInt((int) row[0]).putInt((int) row[1])
                    .putShort((short) row[2]).putShort((short) row[3]);
            assertEquals(expected, Toeplitz.hash(MS_KEY, input));
        }
    }

    @Test
    void matchesTheMicrosoftVerificationSuiteForIpv4Only() {
        byte[] input = new byte[8];
        java.nio.ByteBuffer.wrap(input).putInt(ip(66, 9, 149, 187)).putInt(ip(161, 142, 100, 80));
        assertEquals(0x323e8fc2, Toeplitz.hash(MS_KEY, input));
    }

    @Test
    void theSymmetricKeyHashesBothDirectionsAlike() {
        long seed = Long.getLong("toeplitz.seed", System.nanoTime());
        System.out.println("ToeplitzTest seed " + seed + " (-Dtoeplitz.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 10_000; i++) {
            int a = random.nextInt();
            int b = random.nextInt();
            int pa = random.nextInt(65536);
            int pb = random.nextInt(65536);
            assertEquals(Toeplitz.hashTcp4(Toeplitz.SYMMETRIC_KEY, a, b, pa, pb),
                    Toeplitz.hashTcp4(Toeplitz.SYMMETRIC_KEY, b, a, pb, pa), "seed " + seed);
        }
    }

    @Test
    void refusesAKeyTooShortForTheInput() {
        assertThrows(IllegalArgumentException.class, () -> Toeplitz.hash(new byte[8], new byte[12]));
    }

    @Test
    void queueFollowsARedirectionTableFilledRoundRobin() {
        assertEquals(0, Toeplitz.queue(0, 128, 2));
        assertEquals(1, Toeplitz.queue(0x7F, 128, 2));
        assertEquals(2, Toeplitz.queue(0x105, 128, 3)); // 5 % 3
    }
}
