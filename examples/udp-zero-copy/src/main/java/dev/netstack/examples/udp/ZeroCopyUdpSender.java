package dev.netstack.examples.udp;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.socket.Sockets;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpSocket;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;

/**
 * A zero-copy UDP sender on the callback path: on the shard thread it takes a buffer from the
 * stack ({@link UdpSocket#allocate}), writes the payload straight into it (an 8-byte sequence
 * number, then filler), and hands it over ({@link UdpSocket#sendTo(int, int, PacketBuffer)}); the
 * UDP, IP and Ethernet headers go into the buffer's headroom. No copy, no allocation per datagram.
 */
public final class ZeroCopyUdpSender {

    private ZeroCopyUdpSender() {}

    /**
     * Sends {@code count} datagrams of {@code payloadBytes} (at least 8) to {@code address:port},
     * run on the shard of {@code sockets}; completes with the number handed to the stack.
     */
    public static CompletableFuture<Integer> send(Sockets sockets, int address, int port, int payloadBytes, int count) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        sockets.onShard(() -> {
            UdpSocket socket = sockets.udp().open(null);
            int sent = 0;
            for (int seq = 0; seq < count; seq++) {
                PacketBuffer b = socket.allocate(address, payloadBytes);
                if (b == null) {
                    break; // no free buffer this turn; a real sender would continue next turn
                }
                long at = b.offset();
                b.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, at, seq);
                b.segment().asSlice(at + 8, payloadBytes - 8).fill((byte) 'x');
                b.append(payloadBytes);
                if (socket.sendTo(address, port, b) == null) {
                    sent++;
                }
            }
            socket.close();
            done.complete(sent);
        });
        return done;
    }
}
