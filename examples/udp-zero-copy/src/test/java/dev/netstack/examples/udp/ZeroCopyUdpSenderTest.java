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
class ZeroCopyUdpSenderTest {

    @Test
    void everyDatagramArrivesInOrderWithItsPayload() {
        MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.44.1/24"));
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.44.2/24"));
        int receiverAddress = (198 << 24) | (18 << 16) | (44 << 8) | 2;
        try (DatagramSocket receiver = b.sockets().openDatagram()) {
            receiver.bind(0, 9999);
            receiver.setReceiveTimeout(5_000);
            ByteBuffer dst = ByteBuffer.allocate(2048).order(java.nio.ByteOrder.nativeOrder());
            // The first datagram resolves the receiver's MAC (ARP); the burst after it goes straight out.
            assertEquals(1, ZeroCopyUdpSender.send(a.sockets(), receiverAddress, 9999, 512, 1).join());
            assertEquals(512, receiver.receiveFrom(dst, null));
            int count = 20;
            assertEquals(count, ZeroCopyUdpSender.send(a.sockets(), receiverAddress, 9999, 512, count).join());
            for (int seq = 0; seq < count; seq++) {
                dst.clear();
                assertEquals(512, receiver.receiveFrom(dst, null));
                assertEquals(seq, dst.getLong(0));
                assertEquals('x', dst.get(511));
            }
        } finally {
            a.netStack().close();
            b.netStack().close();
        }
    }
}
