package dev.netstack.nic;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a classic pcap file into memory, for tests and tools (not for the data path). Accepts both
 * byte orders and both timestamp resolutions.
 */
public final class PcapReader {

    /**
     * One captured frame.
     *
     * @param epochNs timestamp, nanoseconds since 1970 (microsecond files: a multiple of 1000)
     * @param originalLength the frame's length on the wire
     * @param data the captured bytes (at most the snap length)
     */
    public record Frame(long epochNs, int originalLength, byte[] data) {
    }

    /**
     * A whole capture.
     *
     * @param nanos whether the file has nanosecond timestamps
     * @param snapLength the file's snap length
     * @param linkType the file's link type (1 for Ethernet)
     * @param frames the frames in file order
     */
    public record Capture(boolean nanos, int snapLength, int linkType, List<Frame> frames) {
    }

    private PcapReader() {
    }

    public static Capture read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    /** @throws IOException if the bytes are not a complete classic pcap file */
    public static Capture read(byte[] bytes) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 24) {
            throw new IOException("not a pcap file: " + bytes.length + " bytes, shorter than the 24-byte header");
        }
        int magic = in.getInt(0);
        boolean nanos;
        if (magic == PcapWriter.MAGIC_MICROS || magic == PcapWriter.MAGIC_NANOS) {
            nanos = magic == PcapWriter.MAGIC_NANOS;
        } else if (Integer.reverseBytes(magic) == PcapWriter.MAGIC_MICROS
                || Integer.reverseBytes(magic) == PcapWriter.MAGIC_NANOS) {
            in.order(ByteOrder.BIG_ENDIAN);
            nanos = Integer.reverseBytes(magic) == PcapWriter.MAGIC_NANOS;
        } else {
            throw new IOException("not a classic pcap file: magic " + Integer.toHexString(magic));
        }
        in.position(16);
        int snapLength = in.getInt();
        int linkType = in.getInt();
        List<Frame> frames = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < 16) {
                throw new IOException("truncated record header at byte " + in.position());
            }
            long seconds = Integer.toUnsignedLong(in.getInt());
            long fraction = Integer.toUnsignedLong(in.getInt());
            int included = in.getInt();
            int original = in.getInt();
            if (included < 0 || included > in.remaining()) {
                throw new IOException("truncated record at byte " + in.position() + ": " + included + " bytes announced");
            }
            byte[] data = new byte[included];
            in.get(data);
            frames.add(new Frame(seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1000), original, data));
        }
        return new Capture(nanos, snapLength, linkType, List.copyOf(frames));
    }
}
