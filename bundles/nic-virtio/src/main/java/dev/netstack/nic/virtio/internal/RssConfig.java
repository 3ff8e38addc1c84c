package dev.netstack.nic.virtio.internal;

import dev.netstack.nic.Toeplitz;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Receive-side scaling as netstack programs it on a virtio-net device with VIRTIO_NET_F_RSS, and
 * the data of the VIRTIO_NET_CTRL_MQ_RSS_CONFIG command that sets it. Read virtio 1.2 §5.1.6.4.3
 * (hash calculation for incoming packets) and §5.1.6.5.7.1 (setting RSS parameters) first.
 *
 * <p>Only TCP over IPv4 is hashed ({@link #HASH_TYPE_TCPV4}), with the Toeplitz
 * {@link Toeplitz#SYMMETRIC_KEY} (cut to the device's {@code rss_max_key_size}; the key repeats
 * every 16 bits, so any cut of 16 bytes or more hashes TCP/IPv4 alike), and the indirection table
 * holds {@code i % pairs} in entry {@code i}. Packets the device does not hash (ARP, ICMP, UDP,
 * IPv4 fragments: a fragment has no TCP header the device may use) go to the unclassified queue,
 * receiveq1 (queue 0). QEMU 7.2 does exactly this, in software and in its eBPF steering program.
 *
 * <p>The command data, little-endian (§5.1.6.5.7.1):
 *
 * <pre>
 *  offset  field
 *       0  le32 hash_types               TCPv4 only
 *       4  le16 indirection_table_mask   entries - 1
 *       6  le16 unclassified_queue       0
 *       8  le16 indirection_table[entries]   entry i = i % pairs
 *  8+2E    le16 max_tx_vq                pairs
 * 10+2E    u8   hash_key_length
 * 11+2E    u8   hash_key_data[hash_key_length]
 * </pre>
 *
 * <p>Immutable; {@link #queueOf} allocates nothing and may be called from any thread.
 */
public final class RssConfig {

    /** §5.1.6.5.7: command VIRTIO_NET_CTRL_MQ_RSS_CONFIG of class VIRTIO_NET_CTRL_MQ. */
    public static final int MQ_RSS_CONFIG = 1;
    /** Hash types (§5.1.6.4.3.1), bits of supported_hash_types and hash_types. */
    public static final int HASH_TYPE_IPV4 = 1;
    public static final int HASH_TYPE_TCPV4 = 1 << 1;
    public static final int HASH_TYPE_UDPV4 = 1 << 2;
    /** Indirection table entries netstack uses when the device allows them (as the 82599's RETA). */
    public static final int TABLE_ENTRIES = 128;
    /** Bytes of key the Toeplitz hash of TCP/IPv4 reads: 12 bytes of input plus 4. */
    public static final int MIN_KEY_BYTES = 16;
    /** The unclassified queue: receiveq1. */
    public static final int UNCLASSIFIED_QUEUE = 0;

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int pairs;
    private final int tableEntries;
    private final byte[] key;

    /**
     * @param pairs queue pairs the table spreads over, 1 to 32768
     * @param tableEntries entries of the indirection table, a power of two up to 32768
     * @param key Toeplitz key, {@link #MIN_KEY_BYTES} to 255 bytes
     */
    public RssConfig(int pairs, int tableEntries, byte[] key) {
        if (pairs < 1 || pairs > 0x8000) {
            throw new IllegalArgumentException("RSS needs 1 to 32768 queue pairs, got " + pairs);
        }
        if (tableEntries < 1 || tableEntries > 0x8000 || Integer.bitCount(tableEntries) != 1) {
            throw new IllegalArgumentException("an RSS indirection table has a power of two of entries up to 32768, got "
                    + tableEntries);
        }
        if (key.length < MIN_KEY_BYTES || key.length > 255) {
            throw new IllegalArgumentException("an RSS key for TCP/IPv4 has 16 to 255 bytes, got " + key.length);
        }
        this.pairs = pairs;
        this.tableEntries = tableEntries;
        this.key = key.clone();
    }

    /**
     * Why a device with these limits (its config fields, §5.1.4) cannot steer TCP/IPv4 flows the
     * way netstack predicts them, or null if it can.
     */
    public static String unusableReason(int maxKeySize, int maxTableLength, int supportedHashTypes) {
        if ((supportedHashTypes & HASH_TYPE_TCPV4) == 0) {
            return "it does not hash TCP/IPv4 (supported_hash_types 0x" + Integer.toHexString(supportedHashTypes) + ")";
        }
        if (maxKeySize < MIN_KEY_BYTES) {
            return "its rss_max_key_size " + maxKeySize + " is below the " + MIN_KEY_BYTES
                    + " bytes a TCP/IPv4 hash reads";
        }
        if (maxTableLength < 1) {
            return "its rss_max_indirection_table_length is 0";
        }
        return null;
    }

    /**
     * The configuration for {@code pairs} pairs on a device with these limits (checked usable with
     * {@link #unusableReason}): {@link Toeplitz#SYMMETRIC_KEY} cut to {@code maxKeySize}, and
     * {@link #TABLE_ENTRIES} entries or the largest power of two the device allows.
     */
    public static RssConfig forDevice(int pairs, int maxKeySize, int maxTableLength) {
        int keyBytes = Math.min(Toeplitz.SYMMETRIC_KEY.length, maxKeySize);
        byte[] key = java.util.Arrays.copyOf(Toeplitz.SYMMETRIC_KEY, keyBytes);
        int entries = Math.min(TABLE_ENTRIES, Integer.highestOneBit(Math.min(maxTableLength, 0x8000)));
        return new RssConfig(pairs, entries, key);
    }

    public int pairs() {
        return pairs;
    }

    public int tableEntries() {
        return tableEntries;
    }

    /** A copy of the key. */
    public byte[] key() {
        return key.clone();
    }

    /** The queue in indirection table entry {@code entry}. */
    public int tableEntry(int entry) {
        return entry % pairs;
    }

    /**
     * The receive queue the device puts the TCP segments of this IPv4 flow on: the table entry of
     * the flow's Toeplitz hash (§5.1.6.4.3: hash_types TCPv4 hashes source and destination address,
     * then source and destination port). The same both ways (the key is symmetric).
     */
    public int queueOf(int srcAddr, int dstAddr, int srcPort, int dstPort) {
        return Toeplitz.queue(Toeplitz.hashTcp4(key, srcAddr, dstAddr, srcPort, dstPort), tableEntries, pairs);
    }

    /** Bytes of the command data. */
    public int bytes() {
        return 4 + 2 + 2 + 2 * tableEntries + 2 + 1 + key.length;
    }

    /**
     * Writes the command data at {@code offset} in {@code segment}.
     *
     * @return the bytes written, {@link #bytes()}
     */
    public int writeTo(MemorySegment segment, long offset) {
        segment.set(LE32, offset, HASH_TYPE_TCPV4);
        segment.set(LE16, offset + 4, (short) (tableEntries - 1));
        segment.set(LE16, offset + 6, (short) UNCLASSIFIED_QUEUE);
        long at = offset + 8;
        for (int i = 0; i < tableEntries; i++, at += 2) {
            segment.set(LE16, at, (short) tableEntry(i));
        }
        segment.set(LE16, at, (short) pairs); // max_tx_vq: every transmit queue is used
        segment.set(ValueLayout.JAVA_BYTE, at + 2, (byte) key.length);
        MemorySegment.copy(key, 0, segment, ValueLayout.JAVA_BYTE, at + 3, key.length);
        return bytes();
    }

    @Override
    public String toString() {
        return "RSS[TCPv4, " + pairs + " queue pairs, " + tableEntries + " table entries, key of " + key.length
                + " bytes]";
    }
}
