package dev.netstack.nic;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The software flow hash that spreads TCP flows over queues where no hardware does it: the
 * in-memory link, the single-queue steering wrapper and the TAP steering program all use it, and
 * shards use it to pick local ports whose replies return to their own queue.
 *
 * <p>Only unfragmented IPv4 TCP segments are hashed, over the two endpoints (address and port);
 * everything else (ARP, ICMP, UDP, fragments) belongs to queue 0. The hash is symmetric: both
 * directions of a flow land on the same queue. It is built from 64-bit multiplies, shifts and one
 * comparison, so an eBPF program can compute the same value.
 *
 * <pre>
 *   a  = addrA:portA as 48 bits     b = addrB:portB as 48 bits
 *   lo = min(a, b)                  hi = max(a, b)
 *   h  = (lo * K1) ^ hi;  h *= K2;  h ^= h >>> 31;  hash = h >>> 32
 *   queue = (hash * queues) >>> 32  (unsigned)
 * </pre>
 */
public final class FlowHash {

    /** First multiplier (the 64-bit golden ratio). */
    public static final long K1 = 0x9E3779B97F4A7C15L;
    /** Second multiplier. */
    public static final long K2 = 0xC2B2AE3D27D4EB4FL;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private FlowHash() {
    }

    /** The 32-bit hash of a flow between two endpoints; the same for (a, b) and (b, a). */
    public static int hash(int addrA, int portA, int addrB, int portB) {
        long a = (Integer.toUnsignedLong(addrA) << 16) | (portA & 0xFFFF);
        long b = (Integer.toUnsignedLong(addrB) << 16) | (portB & 0xFFFF);
        long lo = Math.min(a, b); // both below 2^48: signed comparison is exact
        long hi = Math.max(a, b);
        long h = (lo * K1) ^ hi;
        h *= K2;
        h ^= h >>> 31;
        return (int) (h >>> 32);
    }

    /** Scales a hash to a queue in {@code [0, queues)} without division. */
    public static int queue(int hash, int queues) {
        return (int) ((Integer.toUnsignedLong(hash) * queues) >>> 32);
    }

    /** The queue of a TCP flow among {@code queues}. */
    public static int queueOf(int srcAddr, int dstAddr, int srcPort, int dstPort, int queues) {
        return queues == 1 ? 0 : queue(hash(srcAddr, srcPort, dstAddr, dstPort), queues);
    }

    /**
     * The queue of an Ethernet frame among {@code queues}: its flow's queue if it is an
     * unfragmented IPv4 TCP segment long enough to hold the ports, else 0. Never throws; reads at
     * most the first 38 bytes after the IPv4 options.
     *
     * @param frame memory holding the frame
     * @param offset where its Ethernet header starts
     * @param length its length in bytes
     */
    public static int queueOfFrame(MemorySegment frame, long offset, int length, int queues) {
        if (queues <= 1 || length < 14 + 20 + 4) {
            return 0;
        }
        if ((frame.get(U16, offset + 12) & 0xFFFF) != 0x0800) {
            return 0;
        }
        long ip = offset + 14;
        int versionIhl = frame.get(ValueLayout.JAVA_BYTE, ip) & 0xFF;
        int headerBytes = (versionIhl & 0x0F) * 4;
        if ((versionIhl >>> 4) != 4 || headerBytes < 20 || length < 14 + headerBytes + 4) {
            return 0;
        }
        if ((frame.get(ValueLayout.JAVA_BYTE, ip + 9) & 0xFF) != 6) {
            return 0;
        }
        if ((frame.get(U16, ip + 6) & 0x3FFF) != 0) { // MF or a fragment offset: RFC 791 §3.1
            return 0;
        }
        int src = frame.get(U32, ip + 12);
        int dst = frame.get(U32, ip + 16);
        int srcPort = frame.get(U16, ip + headerBytes) & 0xFFFF;
        int dstPort = frame.get(U16, ip + headerBytes + 2) & 0xFFFF;
        return queue(hash(src, srcPort, dst, dstPort), queues);
    }
}
