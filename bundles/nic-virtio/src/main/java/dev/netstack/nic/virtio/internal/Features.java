package dev.netstack.nic.virtio.internal;

/**
 * virtio-net feature bits (virtio 1.1 §5.1.3, §6) and the choice of what to accept.
 *
 * <p>Negotiated when offered: MAC, STATUS, CSUM (transmit checksum offload), GUEST_CSUM (the
 * device reports validated checksums and may deliver partially checksummed frames), VERSION_1
 * (modern transport, required there), ANY_LAYOUT (legacy, so the header and the frame share a
 * descriptor) and MRG_RXBUF (§5.1.6.3: the header gains num_buffers, also on legacy devices, and
 * a received frame may span several buffers). MQ with CTRL_VQ only when more than one queue pair
 * is wanted and both are offered (§5.1.3.1: MQ requires CTRL_VQ); RSS (virtio 1.2 §5.1.6.5.7:
 * the driver programs receive-side scaling) with them when also offered, which only the modern
 * transport can (bit 60: legacy devices have 32 feature bits). Left out for now: CTRL_VQ on its
 * own (MAC filters), HASH_REPORT, EVENT_IDX, INDIRECT_DESC, the TSO/GSO family.
 */
public final class Features {

    public static final long CSUM = 1L;
    public static final long GUEST_CSUM = 1L << 1;
    public static final long MAC = 1L << 5;
    public static final long MRG_RXBUF = 1L << 15;
    public static final long STATUS = 1L << 16;
    public static final long CTRL_VQ = 1L << 17;
    public static final long MQ = 1L << 22;
    public static final long ANY_LAYOUT = 1L << 27;
    public static final long RING_EVENT_IDX = 1L << 29;
    public static final long VERSION_1 = 1L << 32;
    /** VIRTIO_NET_F_RSS (virtio 1.2 §5.1.3): the device steers by a driver-set Toeplitz key and table. */
    public static final long RSS = 1L << 60;

    /** Config field offsets of a network device (§5.1.4). */
    public static final int CONFIG_MAC = 0;
    public static final int CONFIG_STATUS = 6;
    /** le16 max_virtqueue_pairs, valid with MQ (§5.1.4). */
    public static final int CONFIG_MAX_VIRTQUEUE_PAIRS = 8;
    /** u8 rss_max_key_size, le16 rss_max_indirection_table_length, le32 supported_hash_types: valid with RSS (virtio 1.2 §5.1.4). */
    public static final int CONFIG_RSS_MAX_KEY_SIZE = 17;
    public static final int CONFIG_RSS_MAX_INDIRECTION_TABLE_LENGTH = 18;
    public static final int CONFIG_SUPPORTED_HASH_TYPES = 20;
    /** Link up bit of the status field (§5.1.4). */
    public static final int STATUS_LINK_UP = 1;

    private Features() {
    }

    /** The features the driver accepts from those {@code offered}. */
    public static long negotiate(long offered, boolean modern) {
        return negotiate(offered, modern, false);
    }

    /**
     * The features the driver accepts from those {@code offered}; with {@code multiqueue}, also MQ
     * and CTRL_VQ if both are offered, and RSS if it is offered with them.
     */
    public static long negotiate(long offered, boolean modern, boolean multiqueue) {
        long wanted = MAC | STATUS | CSUM | GUEST_CSUM | MRG_RXBUF | (modern ? VERSION_1 : ANY_LAYOUT);
        if (multiqueue && (offered & (MQ | CTRL_VQ)) == (MQ | CTRL_VQ)) {
            wanted |= MQ | CTRL_VQ | RSS;
        }
        return offered & wanted;
    }

    /**
     * Bytes of the virtio-net header for the {@code negotiated} features (§5.1.6): 12 with
     * VERSION_1 or MRG_RXBUF (num_buffers present), else 10 (legacy without mergeable buffers).
     */
    public static int headerBytes(long negotiated) {
        return VirtioNetHeader.length((negotiated & (VERSION_1 | MRG_RXBUF)) != 0);
    }

    /** Readable names of the bits set, for logs. */
    public static String describe(long features) {
        StringBuilder b = new StringBuilder();
        String[] names = {"CSUM", "GUEST_CSUM", "MAC", "MRG_RXBUF", "STATUS", "CTRL_VQ", "MQ", "ANY_LAYOUT",
            "RING_EVENT_IDX", "VERSION_1", "RSS"};
        long[] bits = {CSUM, GUEST_CSUM, MAC, MRG_RXBUF, STATUS, CTRL_VQ, MQ, ANY_LAYOUT, RING_EVENT_IDX, VERSION_1, RSS};
        for (int i = 0; i < bits.length; i++) {
            if ((features & bits[i]) != 0) {
                b.append(b.isEmpty() ? "" : ",").append(names[i]);
            }
        }
        return b.toString();
    }
}
