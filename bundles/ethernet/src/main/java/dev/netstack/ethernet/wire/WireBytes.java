package dev.netstack.ethernet.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Big-endian unaligned accessors shared by the header views. */
final class WireBytes {

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private WireBytes() {
    }

    static int getU8(MemorySegment segment, long at) {
        return segment.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static void setU8(MemorySegment segment, long at, int value) {
        segment.set(ValueLayout.JAVA_BYTE, at, (byte) value);
    }

    static int getU16(MemorySegment segment, long at) {
        return segment.get(U16, at) & 0xFFFF;
    }

    static void setU16(MemorySegment segment, long at, int value) {
        segment.set(U16, at, (short) value);
    }

    static int getI32(MemorySegment segment, long at) {
        return segment.get(U32, at);
    }

    static void setI32(MemorySegment segment, long at, int value) {
        segment.set(U32, at, value);
    }

    /** A MAC address: six octets, the first on the wire in bits 47..40. */
    static long getMac(MemorySegment segment, long at) {
        long high = segment.get(U32, at) & 0xFFFF_FFFFL;
        long low = segment.get(U16, at + 4) & 0xFFFFL;
        return (high << 16) | low;
    }

    static void setMac(MemorySegment segment, long at, long mac) {
        segment.set(U32, at, (int) (mac >>> 16));
        segment.set(U16, at + 4, (short) mac);
    }

    static String formatMac(long mac) {
        StringBuilder text = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xFF;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0) {
                text.append(':');
            }
        }
        return text.toString();
    }

    static String formatIpv4(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }
}
