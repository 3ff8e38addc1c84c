package dev.netstack.demo;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The deterministic byte pattern of {@code GET /bytes/N}: byte {@code i} (counting from 0) is
 * {@code (i * 31 + 7) & 0xFF}. Since 31 is odd the pattern repeats every 256 bytes and every byte
 * value occurs once per period, so a shifted, truncated or duplicated range shows in a checksum.
 */
public final class BytePattern {

    /** Length of one period. */
    public static final int PERIOD = 256;

    /** 64 periods: a read-only source for sends that start at any phase. */
    private static final byte[] TABLE = new byte[64 * PERIOD];

    static {
        for (int i = 0; i < TABLE.length; i++) {
            TABLE[i] = (byte) byteAt(i);
        }
    }

    private static final MemorySegment TABLE_SEGMENT = MemorySegment.ofArray(TABLE).asReadOnly();

    private BytePattern() {
    }

    /** Byte {@code index} of the pattern, 0..255. */
    public static int byteAt(long index) {
        return (int) ((index * 31 + 7) & 0xFF);
    }

    /**
     * A read-only segment holding the pattern from index 0 for {@value #PERIOD} × 64 bytes; the
     * bytes from index {@code i} start at offset {@code i % PERIOD}. Senders copy from it without
     * allocating.
     */
    public static MemorySegment table() {
        return TABLE_SEGMENT;
    }

    /** Writes {@code length} pattern bytes starting at pattern index {@code start} into {@code dst}. */
    public static void fill(byte[] dst, int offset, int length, long start) {
        for (int i = 0; i < length; i++) {
            dst[offset + i] = (byte) byteAt(start + i);
        }
    }

    /** Index of the first byte of {@code data[offset, offset+length)} that differs from the pattern at {@code start}, or -1. */
    public static long mismatch(byte[] data, int offset, int length, long start) {
        for (int i = 0; i < length; i++) {
            if ((data[offset + i] & 0xFF) != byteAt(start + i)) {
                return start + i;
            }
        }
        return -1;
    }

    /** SHA-256 (lower-case hex) of the first {@code length} pattern bytes: what {@code sha256sum} prints. */
    public static String sha256(long length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            long done = 0;
            while (done < length) {
                int phase = (int) (done % PERIOD);
                int chunk = (int) Math.min(length - done, TABLE.length - phase);
                digest.update(TABLE, phase, chunk);
                done += chunk;
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
