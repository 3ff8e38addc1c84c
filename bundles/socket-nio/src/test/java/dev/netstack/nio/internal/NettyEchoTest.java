package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Netty's NIO transport, unchanged, serves echo on stack B; a plain NIO client on stack A checks every byte. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyEchoTest {

    @Test
    void nettyEchoServerOnTheStackEchoesEveryByte() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        try (StackPair net = new StackPair()) {
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory(net.providerB));
            try {
                Channel server = new ServerBootstrap().group(group)
                        .channelFactory(() -> new NioServerSocketChannel(net.providerB))
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ctx.write(msg);
                                    }

                                    @Override
                                    public void channelReadComplete(ChannelHandlerContext ctx) {
                                        ctx.flush();
                                    }
                                });
                            }
                        })
                        .bind(new InetSocketAddress("198.18.40.2", 7007)).sync().channel();
                java.nio.channels.SocketChannel client = net.providerA.openSocketChannel();
                client.connect(new InetSocketAddress("198.18.40.2", 7007));
                byte[] data = new byte[50_000];
                new Random(seed).nextBytes(data);
                byte[] got = new byte[data.length];
                for (int off = 0; off < data.length; off += 5_000) {
                    ByteBuffer src = ByteBuffer.wrap(data, off, 5_000);
                    while (src.hasRemaining()) {
                        client.write(src);
                    }
                    ByteBuffer dst = ByteBuffer.wrap(got, off, 5_000);
                    while (dst.hasRemaining()) {
                        if (client.read(dst) < 0) {
                            throw new AssertionError("end of stream at " + dst.position());
                        }
                    }
                }
                assertArrayEquals(data, got);
                client.close();
                server.close().sync();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }
}
