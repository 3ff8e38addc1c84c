package dev.netstack.nic.ixgbe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Builds test frames: Ethernet II, IPv4 with correct header checksum, TCP or UDP with correct checksum. */
final class Frames {

    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Frames() {
    }

    static void mac(MemorySegment s, long at, long mac) {
        s.set(I, at, (int) (mac >>> 16));
        s.set(S, at + 4, (short) mac);
    }

    /** Writes an IPv4/{@code protocol} frame with {@code payload} bytes of payload; returns its length. */
    static int ipv4(MemorySegment s, long at, long dst, long src, int protocol, int srcIp, int dstIp, int srcPort,
            int dstPort, int payload, int seq) {
        mac(s, at, dst);
        mac(s, at + 6, src);
        s.set(S, at + 12, (short) 0x0800);
        int l4Header = protocol == 6 ? 20 : 8;
        int total = 20 + l4Header + payload;
        long ip = at + 14;
        s.set(ValueLayout.JAVA_BYTE, ip, (byte) 0x45);
        s.set(ValueLayout.JAVA_BYTE, ip + 1, (byte) 0);
        s.set(S, ip + 2, (short) total);
        s.set(S, ip + 4, (short) seq);
        s.set(S, ip + 6, (short) 0x4000); // DF
        s.set(ValueLayout.JAVA_BYTE, ip + 8, (byte) 64);
        s.set(ValueLayout.JAVA_BYTE, ip + 9, (byte) protocol);
        s.set(S, ip + 10, (short) 0);
        s.set(I, ip + 12, srcIp);
        s.set(I, ip + 16, dstIp);
        s.set(S, ip + 10, (short) ~fold(sum(s, ip, 20, 0)));
        long l4 = ip + 20;
        s.set(S, l4, (short) srcPort);
        s.set(S, l4 + 2, (short) dstPort);
        for (int i = 0; i < payload; i++) {
            s.set(ValueLayout.JAVA_BYTE, l4 + l4Header + i, (byte) (seq + i));
        }
        int checksumAt;
        if (protocol == 6) {
            s.set(I, l4 + 4, seq);
            s.set(I, l4 + 8, 0);
            s.set(S, l4 + 12, (short) 0x5010);
            s.set(S, l4 + 14, (short) 65535);
            s.set(S, l4 + 18, (short) 0);
            checksumAt = 16;
        } else {
            s.set(S, l4 + 4, (short) (8 + payload));
            checksumAt = 6;
        }
        s.set(S, l4 + checksumAt, (short) 0);
        long pseudo = (srcIp >>> 16) + (srcIp & 0xFFFF) + (dstIp >>> 16) + (dstIp & 0xFFFF) + protocol
                + l4Header + payload;
        int c = ~fold(sum(s, l4, l4Header + payload, pseudo)) & 0xFFFF;
        s.set(S, l4 + checksumAt, (short) (c == 0 && protocol == 17 ? 0xFFFF : c));
        return 14 + total;
    }

    /**
     * Rewrites the flags and fragment offset of the IPv4 frame at {@code at} (RFC 791 §3.1: MF is
     * 0x2000, the offset counts 8-byte units in the low 13 bits) and its header checksum.
     */
    static void fragment(MemorySegment s, long at, int flagsAndOffset) {
        long ip = at + 14;
        s.set(S, ip + 6, (short) flagsAndOffset);
        s.set(S, ip + 10, (short) 0);
        s.set(S, ip + 10, (short) ~fold(sum(s, ip, 20, 0)));
    }

    /** An ARP request (RFC 826) from {@code src}, broadcast, asking for {@code targetIp}; returns its length. */
    static int arpRequest(MemorySegment s, long at, long src, int senderIp, int targetIp) {
        mac(s, at, 0xFFFF_FFFF_FFFFL);
        mac(s, at + 6, src);
        s.set(S, at + 12, (short) 0x0806);
        long arp = at + 14;
        s.set(S, arp, (short) 1); // Ethernet
        s.set(S, arp + 2, (short) 0x0800);
        s.set(ValueLayout.JAVA_BYTE, arp + 4, (byte) 6);
        s.set(ValueLayout.JAVA_BYTE, arp + 5, (byte) 4);
        s.set(S, arp + 6, (short) 1); // request
        mac(s, arp + 8, src);
        s.set(I, arp + 14, senderIp);
        mac(s, arp + 18, 0);
        s.set(I, arp + 24, targetIp);
        for (int i = 42; i < 60; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) 0);
        }
        return 60;
    }

    /** An IPv6 frame (RFC 8200) carrying a TCP header with these ports; the addresses' low words are given. */
    static int ipv6Tcp(MemorySegment s, long at, long dst, long src, int srcLow, int dstLow, int srcPort,
            int dstPort) {
        mac(s, at, dst);
        mac(s, at + 6, src);
        s.set(S, at + 12, (short) 0x86DD);
        long ip = at + 14;
        s.set(I, ip, 0x6000_0000);
        s.set(S, ip + 4, (short) 20);
        s.set(ValueLayout.JAVA_BYTE, ip + 6, (byte) 6);
        s.set(ValueLayout.JAVA_BYTE, ip + 7, (byte) 64);
        for (int i = 0; i < 32; i += 4) {
            s.set(I, ip + 8 + i, 0x2001_0db8);
        }
        s.set(I, ip + 20, srcLow);
        s.set(I, ip + 36, dstLow);
        long tcp = ip + 40;
        for (int i = 0; i < 20; i++) {
            s.set(ValueLayout.JAVA_BYTE, tcp + i, (byte) 0);
        }
        s.set(S, tcp, (short) srcPort);
        s.set(S, tcp + 2, (short) dstPort);
        s.set(S, tcp + 12, (short) 0x5002); // SYN
        return 14 + 40 + 20;
    }

    /** A frame of {@code length} bytes: the MACs, EtherType 0x88B5 (local experimental), then a sequence number. */
    static int raw(MemorySegment s, long at, long dst, long src, int length, int seq) {
        mac(s, at, dst);
        mac(s, at + 6, src);
        s.set(S, at + 12, (short) 0x88B5);
        s.set(I, at + 14, seq);
        for (int i = 18; i < length; i++) {
            s.set(ValueLayout.JAVA_BYTE, at + i, (byte) (seq * 31 + i));
        }
        return length;
    }

    static int seq(MemorySegment s, long at) {
        return s.get(I, at + 14);
    }

    private static long sum(MemorySegment s, long from, int length, long initial) {
        long sum = initial;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += s.get(S, from + i) & 0xFFFF;
        }
        if (i < length) {
            sum += (s.get(ValueLayout.JAVA_BYTE, from + i) & 0xFF) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
