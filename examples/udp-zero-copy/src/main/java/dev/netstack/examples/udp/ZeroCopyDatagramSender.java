package dev.netstack.examples.udp;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.DatagramSocket;
import java.lang.foreign.ValueLayout;

/**
 * A zero-copy UDP sender on an application thread, through the socket API: it borrows buffers
 * from the stack ({@link DatagramSocket#allocate()}), writes each payload straight into one (an
 * 8-byte sequence number, then filler) and hands a batch over in one call
 * ({@link DatagramSocket#sendTo(PacketBuffer[], int, int, int)}); the shard prepends the UDP, IP
 * and Ethernet headers in each buffer's headroom. No payload byte is copied, and nothing is
 * allocated per datagram.
 */
public final class ZeroCopyDatagramSender {

    private ZeroCopyDatagramSender() {}

    /**
     * Sends {@code count} datagrams of {@code payloadBytes} (at least 8) to {@code address:port} from
     * {@code socket} (blocking mode), in batches of {@code batch}; sequence numbers start at
     * {@code firstSeq}. Returns the number handed to the stack.
     */
    public static int send(DatagramSocket socket, int address, int port, int payloadBytes, long firstSeq, int count,
            int batch) {
        PacketBuffer[] buffers = new PacketBuffer[batch];
        int sent = 0;
        while (sent < count) {
            int n = Math.min(batch, count - sent);
            for (int i = 0; i < n; i++) {
                PacketBuffer b = socket.allocate();
                long at = b.offset();
                b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, at, firstSeq + sent + i);
                b.segment().asSlice(at + 8, payloadBytes - 8).fill((byte) 'z');
                b.append(payloadBytes);
                buffers[i] = b;
            }
            sent += socket.sendTo(buffers, n, address, port); // takes every buffer in blocking mode
        }
        return sent;
    }
}
