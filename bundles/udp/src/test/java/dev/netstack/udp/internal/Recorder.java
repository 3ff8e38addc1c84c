package dev.netstack.udp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.udp.UdpDatagram;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** A handler for tests: takes every datagram as it arrives (unless told not to) and records events. */
final class Recorder implements UdpHandler {

    final List<byte[]> received = new ArrayList<>();
    final List<UdpDatagram> sources = new ArrayList<>();
    final List<UdpError> errors = new ArrayList<>();
    int readable;
    int writable;
    boolean drain = true;

    @Override
    public void onReadable(UdpSocket socket) {
        readable++;
        if (drain) {
            UdpDatagram from = new UdpDatagram();
            PacketBuffer b = socket.receive(from);
            received.add(bytes(b));
            sources.add(from);
            b.release();
        }
    }

    @Override
    public void onWritable(UdpSocket socket) {
        writable++;
    }

    @Override
    public void onError(UdpSocket socket, UdpError error) {
        errors.add(error);
    }

    static byte[] bytes(PacketBuffer b) {
        return b.segment().asSlice(b.offset(), b.length()).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Echoes every datagram back to its sender in its own buffer (zero-copy both ways). */
    static final class Echo implements UdpHandler {
        final UdpDatagram from = new UdpDatagram();
        int echoed;
        UdpError lastError;

        @Override
        public void onReadable(UdpSocket socket) {
            PacketBuffer b = socket.receive(from);
            lastError = socket.sendTo(from.sourceAddress(), from.sourcePort(), b);
            if (lastError == null) {
                echoed++;
            }
        }
    }
}
