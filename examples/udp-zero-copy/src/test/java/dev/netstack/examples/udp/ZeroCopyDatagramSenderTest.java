package dev.netstack.examples.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.test.MemoryLink;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZeroCopyDatagramSenderTest {

    @Test
    void batchesArriveInOrderWithTheirPayload() {
        MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.45.1/24"));
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.45.2/24"));
        int receiverAddress = (198 << 24) | (18 << 16) | (45 << 8) | 2;
        try (DatagramSocket receiver = b.sockets().openDatagram();
                DatagramSocket sender = a.sockets().openDatagram()) {
            receiver.bind(0, 9998);
            receiver.setReceiveTimeout(5_000);
            ByteBuffer dst = ByteBuffer.allocate(2048).order(java.nio.ByteOrder.nativeOrder());
            // The first datagram resolves the receiver's MAC (ARP); the batches after it go straight out.
            assertEquals(1, ZeroCopyDatagramSender.send(sender, receiverAddress, 9998, 600, 0, 1, 1));
            assertEquals(600, receiver.receiveFrom(dst, null));
            int count = 40;
            assertEquals(count, ZeroCopyDatagramSender.send(sender, receiverAddress, 9998, 600, 1, count, 8));
            for (int seq = 1; seq <= count; seq++) {
                dst.clear();
                assertEquals(600, receiver.receiveFrom(dst, null));
                assertEquals(seq, dst.getLong(0));
                assertEquals('z', dst.get(599));
            }
        } finally {
            a.netStack().close();
            b.netStack().close();
        }
    }
}
