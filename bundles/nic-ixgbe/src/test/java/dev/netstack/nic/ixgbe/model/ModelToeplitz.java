package dev.netstack.nic.ixgbe.model;

/**
 * The model's own Toeplitz hash (82599 datasheet §7.1.2.8.1; Microsoft's "RSS hashing
 * functions"): for each input bit, most significant first, if it is 1 xor in the 32 key bits
 * that start at that bit position. Written independently of nic-api's {@code Toeplitz}, which the
 * driver uses, byte by byte with a 64-bit sliding window over the key.
 */
public final class ModelToeplitz {

    private ModelToeplitz() {
    }

    /** Hash of {@code length} input bytes at {@code input[offset]} under a 40-byte key. */
    public static int hash(byte[] key, byte[] input, int offset, int length) {
        int result = 0;
        // window holds key bits [8*i, 8*i + 64) with bit 8*i at bit 63
        long window = 0;
        for (int k = 0; k < 8; k++) {
            window = window << 8 | keyByte(key, k);
        }
        for (int i = 0; i < length; i++) {
            int b = input[offset + i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                if ((b & (0x80 >>> bit)) != 0) {
                    result ^= (int) (window >>> (32 - bit));
                }
            }
            window = window << 8 | keyByte(key, i + 8);
        }
        return result;
    }

    private static int keyByte(byte[] key, int i) {
        return i < key.length ? key[i] & 0xFF : 0;
    }
}
