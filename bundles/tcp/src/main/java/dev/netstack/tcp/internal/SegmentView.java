package dev.netstack.tcp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.tcp.wire.TcpOptionsView;
import java.lang.foreign.MemorySegment;

/** The fields of the segment being processed, parsed once (one instance per stack, reused). */
final class SegmentView {
    /** The buffer holding the segment (borrowed: the stack releases it after processing). */
    PacketBuffer packet;
    MemorySegment segment;
    int source;
    int destination;
    int sourcePort;
    int destinationPort;
    int seq;
    int ack;
    int flags;
    int window;
    long dataOffset;
    int dataLength;
    final TcpOptionsView options = new TcpOptionsView();
}
