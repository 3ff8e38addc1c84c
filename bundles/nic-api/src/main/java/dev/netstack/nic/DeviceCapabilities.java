package dev.netstack.nic;

/**
 * What a device can do.
 *
 * @param queues number of RX/TX queue pairs
 * @param offloads bit set of {@code OFFLOAD_*} constants
 * @param maxFrameBytes largest frame (Ethernet header included) the device accepts
 */
public record DeviceCapabilities(int queues, int offloads, int maxFrameBytes) {

    /** The device verifies IPv4/TCP/UDP checksums on receive and flags buffers. */
    public static final int OFFLOAD_RX_CHECKSUM = 1;
    /** The device computes TCP/UDP checksums on transmit (see {@link PacketBuffer#FLAG_CHECKSUM_PARTIAL}). */
    public static final int OFFLOAD_TX_CHECKSUM = 1 << 1;
    /**
     * The device segments large TCP/IPv4 sends ({@link PacketBuffer#FLAG_SEGMENTED}) of up to
     * {@link #maxSegmentedFrameBytes()} bytes, and completes their checksums.
     */
    public static final int OFFLOAD_TSO = 1 << 2;
    /** The device hashes flows over its queues (RSS). */
    public static final int OFFLOAD_RSS = 1 << 3;

    public DeviceCapabilities {
        if (queues < 1) {
            throw new IllegalArgumentException("a device has at least one queue, got " + queues);
        }
    }

    /**
     * Largest frame (Ethernet header included) of a segmentation-offload send: the TSO limit with
     * {@link #OFFLOAD_TSO}, else {@link #maxFrameBytes()}.
     */
    public int maxSegmentedFrameBytes() {
        return has(OFFLOAD_TSO) ? Math.max(maxFrameBytes, MAX_SEGMENTED_FRAME_BYTES) : maxFrameBytes;
    }

    /** An IPv4 datagram is at most 65,535 bytes (RFC 791 §3.1), plus the Ethernet header. */
    public static final int MAX_SEGMENTED_FRAME_BYTES = 65_535 + 14;

    public boolean has(int offload) {
        return (offloads & offload) != 0;
    }
}
