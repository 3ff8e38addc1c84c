package dev.netstack.ethernet.wire;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

/** Test helper: hex text (spaces ignored) to and from segments. */
final class Hex {

    private Hex() {
    }

    static MemorySegment segment(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
        MemorySegment segment = Arena.ofAuto().allocate(bytes.length);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment;
    }

    static MemorySegment filled(int bytes, int fill) {
        MemorySegment segment = Arena.ofAuto().allocate(bytes);
        segment.fill((byte) fill);
        return segment;
    }

    static String hex(MemorySegment segment, long from, int length) {
        return HexFormat.of().formatHex(segment.asSlice(from, length).toArray(ValueLayout.JAVA_BYTE));
    }
}
