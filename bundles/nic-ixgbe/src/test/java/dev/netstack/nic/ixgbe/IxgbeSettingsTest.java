package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.Toeplitz;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IxgbeSettingsTest {

    private final IxgbeSettings defaults = IxgbeSettings.defaults("eth0", "0000:03:00.0");

    @Test
    void defaultsAreOneQueueOf512DescriptorsWithTheSymmetricKey() {
        assertEquals(1, defaults.queues());
        assertEquals(512, defaults.rxRingSize());
        assertEquals(512, defaults.txRingSize());
        assertEquals(4096, defaults.poolBuffers());
        assertArrayEquals(Toeplitz.SYMMETRIC_KEY, defaults.rssKey());
        assertTrue(defaults.rssSymmetric());
        assertFalse(defaults.promiscuous());
    }

    @Test
    void theVerificationKeyIsNotSymmetricAndAnyRepeated16BitPatternIs() {
        assertFalse(IxgbeSettings.isSymmetric(IxgbeSettings.parseKey(IxgbeRssTest.VERIFICATION_KEY)));
        assertFalse(defaults.withRssKey(IxgbeSettings.parseKey(IxgbeRssTest.VERIFICATION_KEY)).rssSymmetric());
        assertTrue(IxgbeSettings.isSymmetric(IxgbeSettings.parseKey("abcd".repeat(20))));
        assertTrue(IxgbeSettings.isSymmetric(new byte[40]));
        // bytes past the 16th never meet a TCP/IPv4 input bit (96 input bits + 31)
        byte[] tail = Toeplitz.SYMMETRIC_KEY.clone();
        tail[20] = 0x11;
        assertTrue(IxgbeSettings.isSymmetric(tail));
        byte[] broken = Toeplitz.SYMMETRIC_KEY.clone();
        broken[9] ^= 0x01;
        assertFalse(IxgbeSettings.isSymmetric(broken));
    }

    /** The verdict checked against the hash itself (nic-api's Toeplitz) on random flows. */
    @Test
    void symmetryVerdictAgreesWithTheHashOnRandomKeys() {
        long seed = Long.getLong("ixgbe.rss.seed", System.nanoTime());
        System.out.println("IxgbeSettingsTest seed " + seed + " (-Dixgbe.rss.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        int symmetricKeys = 0;
        for (int k = 0; k < 200; k++) {
            byte[] key = new byte[40];
            boolean repeated = random.nextBoolean();
            int a = random.nextInt(256), b = random.nextInt(256);
            for (int i = 0; i < 40; i++) {
                key[i] = (byte) (repeated ? (i % 2 == 0 ? a : b) : random.nextInt(256));
            }
            if (random.nextInt(4) == 0) {
                int bit = random.nextInt(128); // flip one bit where the hash can see it
                key[bit >>> 3] ^= (byte) (0x80 >>> (bit & 7));
            }
            boolean verdict = IxgbeSettings.isSymmetric(key);
            symmetricKeys += verdict ? 1 : 0;
            boolean differs = false;
            // the hash is linear, so flows of one set bit each (and random ones) find any asymmetry
            for (int bit = 0; bit < 96 && !differs; bit++) {
                int src = bit < 32 ? 1 << (31 - bit) : 0;
                int dst = bit >= 32 && bit < 64 ? 1 << (63 - bit) : 0;
                int ports = bit >= 64 ? 1 << (95 - bit) : 0;
                differs = Toeplitz.hashTcp4(key, src, dst, ports >>> 16, ports & 0xFFFF)
                        != Toeplitz.hashTcp4(key, dst, src, ports & 0xFFFF, ports >>> 16);
            }
            for (int i = 0; i < 100 && !differs; i++) {
                int src = random.nextInt(), dst = random.nextInt(), sp = random.nextInt(65536), dp = random.nextInt(65536);
                differs = Toeplitz.hashTcp4(key, src, dst, sp, dp) != Toeplitz.hashTcp4(key, dst, src, dp, sp);
            }
            assertEquals(!differs, verdict, "key " + java.util.HexFormat.of().formatHex(key) + ", seed " + seed);
        }
        assertTrue(symmetricKeys > 20 && symmetricKeys < 180, symmetricKeys + " symmetric keys of 200, seed " + seed);
    }

    @Test
    void ringSizesArePowersOfTwoFrom64To4096() {
        assertEquals("Bad ixgbe setting: rx ring size must be a power of two from 64 to 4096, got 100.",
                assertThrows(IxgbeException.class, () -> defaults.withRings(100, 512, 4096)).getMessage());
        assertThrows(IxgbeException.class, () -> defaults.withRings(512, 8192, 16384));
        assertThrows(IxgbeException.class, () -> defaults.withRings(32, 512, 4096));
        assertEquals(4096, defaults.withRings(4096, 64, 8192).rxRingSize());
    }

    @Test
    void thePoolMustOutnumberTheReceiveRing() {
        assertEquals("Bad ixgbe setting: pool.buffers must exceed the RX ring size 512, got 512.",
                assertThrows(IxgbeException.class, () -> defaults.withRings(512, 512, 512)).getMessage());
    }

    @Test
    void keysParseWithSeparatorsAndAreCopied() {
        byte[] key = IxgbeSettings.parseKey("6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:"
                + "ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa");
        assertArrayEquals(IxgbeSettings.parseKey(IxgbeRssTest.VERIFICATION_KEY), key);
        IxgbeSettings s = defaults.withRssKey(key);
        key[0] = 0;
        assertEquals(0x6d, s.rssKey()[0] & 0xFF, "the settings keep their own copy");
        assertThrows(IxgbeException.class, () -> IxgbeSettings.parseKey("zz".repeat(40)));
    }

    @Test
    void timeoutsMustBePositive() {
        assertThrows(IxgbeException.class, () -> defaults.withTimeouts(0, 1));
    }
}
