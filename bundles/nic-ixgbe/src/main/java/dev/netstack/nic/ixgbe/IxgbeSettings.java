package dev.netstack.nic.ixgbe;

import dev.netstack.nic.Toeplitz;
import java.util.HexFormat;

/**
 * How to bring up an 82599.
 *
 * @param name stack interface the device serves ({@link dev.netstack.nic.NetDevice#name()})
 * @param pciAddress the device's PCI address, for descriptions and errors (e.g. {@code 0000:03:00.0})
 * @param queues RX/TX queue pairs, 1 to {@value #MAX_QUEUES}; with more than one, RSS spreads flows
 * @param rxRingSize descriptors per RX ring, a power of two from 64 to 4096 (82599 §7.1.9: the
 *        ring length is a multiple of 128 bytes, 8 descriptors)
 * @param txRingSize descriptors per TX ring, likewise
 * @param poolBuffers packet buffers in each queue's pool; must exceed the RX ring size
 * @param rssKey the 40-byte Toeplitz key (82599 §7.1.2.8.1); the default, {@link Toeplitz#SYMMETRIC_KEY},
 *        sends both directions of a TCP flow to one queue; see {@link #rssSymmetric()}
 * @param promiscuous accept frames for every destination MAC (FCTRL.UPE and MPE)
 * @param resetTimeoutNs how long to wait for each reset and init step to complete
 * @param linkTimeoutNs how long to wait for the link to come up
 */
public record IxgbeSettings(String name, String pciAddress, int queues, int rxRingSize, int txRingSize,
        int poolBuffers, byte[] rssKey, boolean promiscuous, long resetTimeoutNs, long linkTimeoutNs) {

    /** Queues this driver uses at most: RETA entries hold 4-bit queue indexes (82599 §8.2.3.7). */
    public static final int MAX_QUEUES = 16;

    public IxgbeSettings {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw bad("queues must be from 1 to " + MAX_QUEUES + ", got " + queues);
        }
        checkRing("rx", rxRingSize);
        checkRing("tx", txRingSize);
        if (poolBuffers <= rxRingSize) {
            throw bad("pool.buffers must exceed the RX ring size " + rxRingSize + ", got " + poolBuffers);
        }
        if (rssKey == null || rssKey.length != 40) {
            throw bad("rss.key must be 40 bytes (80 hex digits)");
        }
        if (resetTimeoutNs <= 0 || linkTimeoutNs <= 0) {
            throw bad("timeouts must be positive");
        }
        rssKey = rssKey.clone();
    }

    /**
     * Defaults: 1 queue, rings of 512, 4096 buffers per queue, the symmetric RSS key
     * ({@link Toeplitz#SYMMETRIC_KEY}, 0x6d5a repeated), 1 s reset, 10 s link wait.
     */
    public static IxgbeSettings defaults(String name, String pciAddress) {
        return new IxgbeSettings(name, pciAddress, 1, 512, 512, 4096, Toeplitz.SYMMETRIC_KEY.clone(), false,
                1_000_000_000L, 10_000_000_000L);
    }

    public IxgbeSettings withQueues(int n) {
        return new IxgbeSettings(name, pciAddress, n, rxRingSize, txRingSize, poolBuffers, rssKey, promiscuous,
                resetTimeoutNs, linkTimeoutNs);
    }

    public IxgbeSettings withRings(int rx, int tx, int buffers) {
        return new IxgbeSettings(name, pciAddress, queues, rx, tx, buffers, rssKey, promiscuous, resetTimeoutNs,
                linkTimeoutNs);
    }

    public IxgbeSettings withRssKey(byte[] key) {
        return new IxgbeSettings(name, pciAddress, queues, rxRingSize, txRingSize, poolBuffers, key, promiscuous,
                resetTimeoutNs, linkTimeoutNs);
    }

    public IxgbeSettings withPromiscuous(boolean on) {
        return new IxgbeSettings(name, pciAddress, queues, rxRingSize, txRingSize, poolBuffers, rssKey, on,
                resetTimeoutNs, linkTimeoutNs);
    }

    public IxgbeSettings withTimeouts(long resetNs, long linkNs) {
        return new IxgbeSettings(name, pciAddress, queues, rxRingSize, txRingSize, poolBuffers, rssKey, promiscuous,
                resetNs, linkNs);
    }

    @Override
    public byte[] rssKey() {
        return rssKey.clone();
    }

    /**
     * Whether the RSS key hashes both directions of every TCP/IPv4 flow alike, so that
     * {@link IxgbeDevice#rxQueueOf} gives one queue for a flow whichever way round it is asked
     * ({@link #isSymmetric(byte[])}). True for the default key.
     */
    public boolean rssSymmetric() {
        return isSymmetric(rssKey);
    }

    /**
     * Whether {@code key} makes the TCP/IPv4 Toeplitz hash symmetric: hash(a, b, pa, pb) ==
     * hash(b, a, pb, pa) for all addresses and ports.
     *
     * <p>The hash XORs one 32-bit key window per set input bit (82599 §7.1.2.8.1), input bit
     * {@code i} picking key bits {@code i .. i+31}; it is linear in the input. Swapping the
     * directions moves each address bit by 32 positions and each port bit by 16, so the hash is
     * symmetric exactly when each input bit and the one it swaps with pick the same window.
     * {@link Toeplitz#SYMMETRIC_KEY} (0x6d5a repeated) is; the verification suite's key is not.
     */
    public static boolean isSymmetric(byte[] key) {
        for (int bit = 0; bit < 32; bit++) { // source address <-> destination address
            if (window(key, bit) != window(key, bit + 32)) {
                return false;
            }
        }
        for (int bit = 64; bit < 80; bit++) { // source port <-> destination port
            if (window(key, bit) != window(key, bit + 16)) {
                return false;
            }
        }
        return true;
    }

    /** Key bits {@code bit .. bit+31}, the first one most significant. */
    private static int window(byte[] key, int bit) {
        int result = 0;
        for (int i = 0; i < 32; i++) {
            int k = bit + i;
            result = result << 1 | ((key[k >>> 3] >>> (7 - (k & 7))) & 1);
        }
        return result;
    }

    /** Parses an RSS key of 80 hex digits (colons, dashes and spaces ignored). */
    public static byte[] parseKey(String hex) {
        String digits = hex.replaceAll("[\\s:-]", "");
        if (digits.length() != 80) {
            throw bad("rss.key must be 80 hex digits (40 bytes), got " + digits.length());
        }
        try {
            return HexFormat.of().parseHex(digits);
        } catch (IllegalArgumentException e) {
            throw bad("rss.key must be hex digits only");
        }
    }

    private static void checkRing(String which, int size) {
        if (size < 64 || size > 4096 || Integer.bitCount(size) != 1) {
            throw bad(which + " ring size must be a power of two from 64 to 4096, got " + size);
        }
    }

    private static IxgbeException bad(String what) {
        return new IxgbeException(IxgbeException.Reason.BAD_CONFIGURATION, "Bad ixgbe setting: " + what + ".");
    }
}
