package dev.netstack.nic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes frames to a classic pcap file (link type Ethernet), readable by tcpdump, Wireshark and
 * {@link PcapReader}.
 *
 * <pre>
 *   global header (24 bytes): magic, version 2.4, thiszone 0, sigfigs 0, snaplen, linktype 1
 *   per frame (16 bytes):     ts_sec, ts_usec|ts_nsec, incl_len, orig_len, then incl_len bytes
 * </pre>
 *
 * Fields are written little-endian; the magic ({@code 0xa1b2c3d4} for microseconds,
 * {@code 0xa1b23c4d} for nanoseconds) tells readers the byte order and the resolution.
 *
 * <p>Opening allocates; {@link #write} reuses one direct buffer and allocates nothing. Writes are
 * synchronized, so queues on several shard threads may share a writer; capture is a diagnostic and
 * costs a lock and a system call per frame. After {@link #close()} writes are ignored, so a
 * control thread may stop a capture while a shard is writing.
 */
public final class PcapWriter implements AutoCloseable {

    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int DEFAULT_SNAPLEN = 65535;

    private final WritableByteChannel channel;
    private final boolean nanos;
    private final int snapLength;
    private final ByteBuffer record;
    private final MemorySegment recordSegment;
    private long frames;
    private boolean closed;

    /**
     * Writes the global header to {@code channel}, which the writer owns from now on.
     *
     * @param nanos nanosecond timestamps if true, microseconds otherwise
     * @param snapLength frames longer than this are cut to it (orig_len keeps the full length)
     */
    public PcapWriter(WritableByteChannel channel, boolean nanos, int snapLength) throws IOException {
        if (snapLength <= 0) {
            throw new IllegalArgumentException("snap length must be positive, got " + snapLength);
        }
        this.channel = channel;
        this.nanos = nanos;
        this.snapLength = snapLength;
        this.record = ByteBuffer.allocateDirect(16 + snapLength).order(ByteOrder.LITTLE_ENDIAN);
        this.recordSegment = MemorySegment.ofBuffer(record);
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(nanos ? MAGIC_NANOS : MAGIC_MICROS).putShort((short) 2).putShort((short) 4)
                .putInt(0).putInt(0).putInt(snapLength).putInt(LINKTYPE_ETHERNET).flip();
        writeFully(header);
    }

    /** Creates (or truncates) {@code file} and writes nanosecond timestamps. */
    public static PcapWriter open(Path file) throws IOException {
        return open(file, true);
    }

    public static PcapWriter open(Path file, boolean nanos) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        try {
            return new PcapWriter(channel, nanos, DEFAULT_SNAPLEN);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public boolean nanos() {
        return nanos;
    }

    public int snapLength() {
        return snapLength;
    }

    /** Frames written so far. */
    public synchronized long frames() {
        return frames;
    }

    /** Writes the data of {@code frame} (borrowed) stamped {@code epochNs} (nanoseconds since 1970). */
    public void write(PacketBuffer frame, long epochNs) throws IOException {
        write(frame.segment(), frame.offset(), frame.length(), epochNs);
    }

    /** Writes {@code length} bytes at {@code offset} of {@code data} stamped {@code epochNs}. */
    public synchronized void write(MemorySegment data, long offset, int length, long epochNs) throws IOException {
        if (closed) {
            return;
        }
        int included = Math.min(length, snapLength);
        long seconds = Math.floorDiv(epochNs, 1_000_000_000L);
        long fraction = Math.floorMod(epochNs, 1_000_000_000L);
        record.clear();
        record.putInt((int) seconds).putInt((int) (nanos ? fraction : fraction / 1000)).putInt(included).putInt(length);
        MemorySegment.copy(data, offset, recordSegment, 16, included);
        record.position(16 + included).flip();
        writeFully(record);
        frames++;
    }

    private void writeFully(ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Closes the channel; later writes are ignored. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
