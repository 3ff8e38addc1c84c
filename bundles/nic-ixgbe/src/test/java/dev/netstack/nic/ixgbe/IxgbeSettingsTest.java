package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class IxgbeSettingsTest {

    private final IxgbeSettings defaults = IxgbeSettings.defaults("eth0", "0000:03:00.0");

    @Test
    void defaultsAreOneQueueOf512DescriptorsWithTheVerificationKey() {
        assertEquals(1, defaults.queues());
        assertEquals(512, defaults.rxRingSize());
        assertEquals(512, defaults.txRingSize());
        assertEquals(4096, defaults.poolBuffers());
        assertEquals(0x6d, defaults.rssKey()[0] & 0xFF);
        assertEquals(0xfa, defaults.rssKey()[39] & 0xFF);
        assertFalse(defaults.promiscuous());
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
        assertArrayEquals(IxgbeSettings.parseKey(IxgbeSettings.DEFAULT_RSS_KEY), key);
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
