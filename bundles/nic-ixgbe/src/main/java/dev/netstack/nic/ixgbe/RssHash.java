package dev.netstack.nic.ixgbe;

/**
 * The Toeplitz hash the 82599 computes for receive-side scaling (82599 datasheet §7.1.2.8.1), and
 * the queue its redirection table picks, so that a shard can choose source ports for active opens
 * whose replies come back to its own queue.
 *
 * <p>Input for IPv4 is source address, destination address, then (for TCP and UDP) source and
 * destination port, all in network byte order. The queue is the redirection table entry at the
 * hash's seven low bits (§7.1.2.8.2). Allocation-free; it holds no mutable state,
 * so any thread may use it.
 */
public final class RssHash {

    private final byte[] key;
    private final int[] redirection;

    /** A hash over {@code key} (40 bytes) with a 128-entry redirection table of queue numbers. */
    public RssHash(byte[] key, int[] redirection) {
        if (key.length != 40 || redirection.length != 128) {
            throw new IllegalArgumentException("RSS needs a 40-byte key and 128 redirection entries");
        }
        this.key = key.clone();
        this.redirection = redirection.clone();
    }

    /** The hash of the IPv4 2-tuple (non-TCP/UDP packets and fragments). */
    public int ipv4(int sourceAddress, int destinationAddress) {
        long result = 0;
        result = mix(result, sourceAddress, 0);
        result = mix(result, destinationAddress, 32);
        return (int) result;
    }

    /** The hash of the IPv4 4-tuple of a TCP or UDP packet. */
    public int ipv4Ports(int sourceAddress, int destinationAddress, int sourcePort, int destinationPort) {
        long result = 0;
        result = mix(result, sourceAddress, 0);
        result = mix(result, destinationAddress, 32);
        result = mix(result, (sourcePort & 0xFFFF) << 16 | (destinationPort & 0xFFFF), 64);
        return (int) result;
    }

    /** The queue the redirection table assigns to {@code hash}. */
    public int queueOf(int hash) {
        return redirection[hash & 0x7F];
    }

    /** Xors in the key windows for each set bit of the 32 input bits starting at input bit {@code bitOffset}. */
    private long mix(long result, int input, int bitOffset) {
        int r = (int) result;
        for (int i = 0; i < 32; i++) {
            if ((input << i) < 0) {
                r ^= window(bitOffset + i);
            }
        }
        return r & 0xFFFF_FFFFL;
    }

    /** The 32 key bits starting at key bit {@code bit}: bits bit..bit+31, most significant first. */
    private int window(int bit) {
        int byteIndex = bit >>> 3;
        int shift = bit & 7;
        long five = 0;
        for (int i = 0; i < 5; i++) {
            five = five << 8 | (byteIndex + i < key.length ? key[byteIndex + i] & 0xFF : 0);
        }
        return (int) (five >>> (8 - shift));
    }
}
