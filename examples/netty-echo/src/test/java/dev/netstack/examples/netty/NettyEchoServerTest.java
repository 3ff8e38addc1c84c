package dev.netstack.examples.netty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.NetstackSelectorProvider;
import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.test.MemoryLink;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyEchoServerTest {

    @Test
    void echoesEveryByteToAnNioClientOnAnotherStack() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.42.1/24"));
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.42.2/24"));
        InetSocketAddress address = new InetSocketAddress("198.18.42.2", 7);
        try (NettyEchoServer echo = new NettyEchoServer(new NetstackSelectorProvider(b.sockets()), address);
                SocketChannel client = new NetstackSelectorProvider(a.sockets()).openSocketChannel()) {
            client.connect(address);
            byte[] data = new byte[40_000];
            new Random(seed).nextBytes(data);
            byte[] got = new byte[data.length];
            for (int off = 0; off < data.length; off += 4_000) {
                ByteBuffer src = ByteBuffer.wrap(data, off, 4_000);
                while (src.hasRemaining()) {
                    client.write(src);
                }
                ByteBuffer dst = ByteBuffer.wrap(got, off, 4_000);
                while (dst.hasRemaining()) {
                    if (client.read(dst) < 0) {
                        throw new AssertionError("end of stream");
                    }
                }
            }
            assertArrayEquals(data, got);
        } finally {
            a.netStack().close();
            b.netStack().close();
        }
    }
}
