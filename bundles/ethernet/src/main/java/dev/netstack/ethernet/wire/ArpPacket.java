package dev.netstack.ethernet.wire;

import java.lang.foreign.MemorySegment;

/**
 * A view of an ARP packet for Ethernet and IPv4 (RFC 826, "Packet format"):
 *
 * <pre>
 *  0       2       4   5   6       8                 14        18                24        28
 *  +-------+-------+---+---+-------+-----------------+---------+-----------------+---------+
 *  | htype | ptype |hln|pln| oper  |  sender MAC     | sender  |  target MAC     | target  |
 *  |  = 1  |0x0800 | 6 | 4 | 1/2   |  (sha)          | IP (spa)|  (tha)          | IP (tpa)|
 *  +-------+-------+---+---+-------+-----------------+---------+-----------------+---------+
 * </pre>
 *
 * <p>The offsets of the address fields assume hlen 6 and plen 4; {@link #isEthernetIpv4()} says
 * whether the packet declares exactly that, and other hardware or protocol types are left out.
 * Frames are padded to the Ethernet minimum, so more than {@link #LENGTH} bytes may follow.
 *
 * <p>Usage: {@code wrap(segment, offset)}, then {@link #checkLength(long)}; once that passes, no
 * accessor can fail. Reusable; not thread-safe.
 */
public final class ArpPacket {

    public static final int HARDWARE_TYPE_OFFSET = 0;
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    public static final int OPERATION_OFFSET = 6;
    public static final int SENDER_HARDWARE_OFFSET = 8;
    public static final int SENDER_PROTOCOL_OFFSET = 14;
    public static final int TARGET_HARDWARE_OFFSET = 18;
    public static final int TARGET_PROTOCOL_OFFSET = 24;
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;

    /** RFC 826 ar$hrd for Ethernet (IANA ARP parameters: 1). */
    public static final int HARDWARE_ETHERNET = 1;
    /** RFC 826 ar$pro: the EtherType of IPv4. */
    public static final int PROTOCOL_IPV4 = 0x0800;
    public static final int OPERATION_REQUEST = 1;
    public static final int OPERATION_REPLY = 2;

    private MemorySegment segment;
    private long offset;

    public ArpPacket wrap(MemorySegment segment, long offset) {
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    /** Whether {@code availableBytes} (counted from the wrapped offset) hold a whole packet. */
    public boolean checkLength(long availableBytes) {
        return availableBytes >= LENGTH && offset + LENGTH <= segment.byteSize();
    }

    /** Whether the packet declares Ethernet hardware and IPv4 addresses with their lengths (6 and 4). */
    public boolean isEthernetIpv4() {
        return hardwareType() == HARDWARE_ETHERNET && protocolType() == PROTOCOL_IPV4
                && hardwareLength() == 6 && protocolLength() == 4;
    }

    public MemorySegment segment() {
        return segment;
    }

    public long offset() {
        return offset;
    }

    public int hardwareType() {
        return WireBytes.getU16(segment, offset + HARDWARE_TYPE_OFFSET);
    }

    public ArpPacket hardwareType(int value) {
        WireBytes.setU16(segment, offset + HARDWARE_TYPE_OFFSET, value);
        return this;
    }

    public int protocolType() {
        return WireBytes.getU16(segment, offset + PROTOCOL_TYPE_OFFSET);
    }

    public ArpPacket protocolType(int value) {
        WireBytes.setU16(segment, offset + PROTOCOL_TYPE_OFFSET, value);
        return this;
    }

    public int hardwareLength() {
        return WireBytes.getU8(segment, offset + HARDWARE_LENGTH_OFFSET);
    }

    public ArpPacket hardwareLength(int value) {
        WireBytes.setU8(segment, offset + HARDWARE_LENGTH_OFFSET, value);
        return this;
    }

    public int protocolLength() {
        return WireBytes.getU8(segment, offset + PROTOCOL_LENGTH_OFFSET);
    }

    public ArpPacket protocolLength(int value) {
        WireBytes.setU8(segment, offset + PROTOCOL_LENGTH_OFFSET, value);
        return this;
    }

    public int operation() {
        return WireBytes.getU16(segment, offset + OPERATION_OFFSET);
    }

    public ArpPacket operation(int value) {
        WireBytes.setU16(segment, offset + OPERATION_OFFSET, value);
        return this;
    }

    public long senderHardwareAddress() {
        return WireBytes.getMac(segment, offset + SENDER_HARDWARE_OFFSET);
    }

    public ArpPacket senderHardwareAddress(long mac) {
        WireBytes.setMac(segment, offset + SENDER_HARDWARE_OFFSET, mac);
        return this;
    }

    public int senderProtocolAddress() {
        return WireBytes.getI32(segment, offset + SENDER_PROTOCOL_OFFSET);
    }

    public ArpPacket senderProtocolAddress(int address) {
        WireBytes.setI32(segment, offset + SENDER_PROTOCOL_OFFSET, address);
        return this;
    }

    public long targetHardwareAddress() {
        return WireBytes.getMac(segment, offset + TARGET_HARDWARE_OFFSET);
    }

    public ArpPacket targetHardwareAddress(long mac) {
        WireBytes.setMac(segment, offset + TARGET_HARDWARE_OFFSET, mac);
        return this;
    }

    public int targetProtocolAddress() {
        return WireBytes.getI32(segment, offset + TARGET_PROTOCOL_OFFSET);
    }

    public ArpPacket targetProtocolAddress(int address) {
        WireBytes.setI32(segment, offset + TARGET_PROTOCOL_OFFSET, address);
        return this;
    }

    /** Writes the fixed Ethernet/IPv4 fields: htype 1, ptype 0x0800, hlen 6, plen 4. */
    public ArpPacket ethernetIpv4() {
        return hardwareType(HARDWARE_ETHERNET).protocolType(PROTOCOL_IPV4).hardwareLength(6).protocolLength(4);
    }

    @Override
    public String toString() {
        if (segment == null || offset + LENGTH > segment.byteSize()) {
            return "ArpPacket[truncated]";
        }
        String op = switch (operation()) {
            case OPERATION_REQUEST -> "request";
            case OPERATION_REPLY -> "reply";
            default -> "op " + operation();
        };
        return "ArpPacket[" + op + " htype=" + hardwareType() + " ptype=0x" + Integer.toHexString(protocolType())
                + " hlen=" + hardwareLength() + " plen=" + protocolLength()
                + " sha=" + WireBytes.formatMac(senderHardwareAddress())
                + " spa=" + WireBytes.formatIpv4(senderProtocolAddress())
                + " tha=" + WireBytes.formatMac(targetHardwareAddress())
                + " tpa=" + WireBytes.formatIpv4(targetProtocolAddress()) + "]";
    }
}
