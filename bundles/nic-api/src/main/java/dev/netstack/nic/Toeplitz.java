package dev.netstack.nic;

/**
 * The Toeplitz hash of receive-side scaling, as NICs compute it (Microsoft RSS specification;
 * Intel 82599 datasheet §7.1.2.8), for drivers that program RSS and need to know where a flow lands.
 *
 * <p>With {@link #SYMMETRIC_KEY} (the 16-bit pattern 0x6d5a repeated) the hash of a TCP/IPv4 flow is
 * the same in both directions, because the key repeats every 16 bits and the input swaps addresses
 * and ports in 16-bit units. Drivers fill the redirection table with entry {@code i = i % queues}, so
 * the queue of a hash is {@code (hash & (entries - 1)) % queues}.
 */
public final class Toeplitz {

    /** A 40-byte key for which TCP/IPv4 hashing is symmetric. */
    public static final byte[] SYMMETRIC_KEY = symmetricKey();

    private Toeplitz() {
    }

    private static byte[] symmetricKey() {
        byte[] key = new byte[40];
        for (int i = 0; i < key.length; i += 2) {
            key[i] = 0x6d;
            key[i + 1] = 0x5a;
        }
        return key;
    }

    /**
     * The hash of {@code input} under {@code key}: for each set input bit, from the most significant
     * bit of the first byte, XOR in the 32 key bits that start at that bit's position.
     *
     * @throws IllegalArgumentException if the key is shorter than the input plus 4 bytes
     */
    public static int hash(byte[] key, byte[] input) {
        if (key.length < input.length + 4) {
            throw new IllegalArgumentException("a Toeplitz key of " + key.length + " bytes hashes at most "
                    + (key.length - 4) + " input bytes, got " + input.length);
        }
        int result = 0;
        long window = ((key[0] & 0xFFL) << 24) | ((key[1] & 0xFFL) << 16) | ((key[2] & 0xFFL) << 8) | (key[3] & 0xFFL);
        for (int i = 0; i < input.length; i++) {
            int next = key[i + 4] & 0xFF;
            for (int bit = 7; bit >= 0; bit--) {
                if ((input[i] & (1 << bit)) != 0) {
                    result ^= (int) window;
                }
                window = ((window << 1) | ((next >>> bit) & 1)) & 0xFFFF_FFFFL;
            }
        }
        return result;
    }

    /**
     * The hash of a TCP/IPv4 flow (input: source address, destination address, source port,
     * destination port, all big-endian, 12 bytes). Allocates nothing.
     */
    public static int hashTcp4(byte[] key, int srcAddr, int dstAddr, int srcPort, int dstPort) {
        int result = 0;
        long window = ((key[0] & 0xFFL) << 24) | ((key[1] & 0xFFL) << 16) | ((key[2] & 0xFFL) << 8) | (key[3] & 0xFFL);
        long input = ((long) srcAddr << 32) | Integer.toUnsignedLong(dstAddr);
        int keyByte = 4;
        for (int i = 0; i < 96; i++) {
            long bit = i < 64 ? (input >>> (63 - i)) & 1 : (((long) (srcPort & 0xFFFF) << 16 | (dstPort & 0xFFFF)) >>> (95 - i)) & 1;
            if (bit != 0) {
                result ^= (int) window;
            }
            int next = key[keyByte + i / 8] & 0xFF;
            window = ((window << 1) | ((next >>> (7 - (i & 7))) & 1)) & 0xFFFF_FFFFL;
        }
        return result;
    }

    /** The queue of {@code hash} with a redirection table of {@code entries} (a power of two) filled {@code i % queues}. */
    public static int queue(int hash, int entries, int queues) {
        return (hash & (entries - 1)) % queues;
    }
}
