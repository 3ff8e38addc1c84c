package dev.netstack.nio.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.NetstackSelectorProvider;
import dev.netstack.socket.internal.LaneSockets;
import dev.netstack.socket.internal.StackSockets;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import io.netty.bootstrap.ServerBootstrap;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EmbeddedBootstrap} over stacks of two shards (two lanes each, over a two-queue
 * {@link MemoryLink}): the sockets span both lanes, so a Netty server's one listening channel
 * accepts connections that land on either lane, and NIO clients connect from both.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LaneChannelsTest {

    private static final int CONNECTIONS = 16;

    @Test
    void bootstrapGivesSocketsOverEveryLane() {
        MemoryLink link = MemoryLink.builder().queues(2).build();
        EmbeddedBootstrap.Stack two = EmbeddedBootstrap.start(NetStack.builder().device(link.a())
                .address("198.18.41.1/24").shards(2));
        MemoryLink single = MemoryLink.builder().build();
        EmbeddedBootstrap.Stack one = EmbeddedBootstrap.start(NetStack.builder().device(single.a())
                .address("198.18.42.1/24"));
        try {
            assertInstanceOf(LaneSockets.class, two.sockets());
            assertEquals(2, two.sockets().lanes().size());
            assertInstanceOf(StackSockets.class, one.sockets(), "one shard: the one-lane sockets as before");
        } finally {
            two.netStack().close();
            one.netStack().close();
        }
    }

    @Test
    void nettyServerOnTwoLanesEchoesNioClientsFromTwoLanes() throws Exception {
        long seed = System.nanoTime();
        System.out.println("LaneChannelsTest seed " + seed);
        MemoryLink link = MemoryLink.builder().queues(2).capacity(4096).buffers(8192).build();
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b())
                .address("198.18.41.2/24").shards(2));
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a())
                .address("198.18.41.1/24").shards(2));
        NetstackSelectorProvider providerA = new NetstackSelectorProvider(a.sockets());
        NetstackSelectorProvider providerB = new NetstackSelectorProvider(b.sockets());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory(providerB));
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(() -> new NioServerSocketChannel(providerB))
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
                    .bind(new InetSocketAddress("198.18.41.2", 7007)).sync().channel();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                long connectionSeed = seed + i;
                done.add(clients.submit(() -> {
                    byte[] data = new byte[20_000];
                    new Random(connectionSeed).nextBytes(data);
                    byte[] got = new byte[data.length];
                    try (java.nio.channels.SocketChannel client = providerA.openSocketChannel()) {
                        client.connect(new InetSocketAddress("198.18.41.2", 7007));
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
                    }
                    assertArrayEquals(data, got, "seed " + connectionSeed);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            server.close().sync();
            for (int lane = 0; lane < 2; lane++) {
                assertEquals(CONNECTIONS / 2, counter(a.netStack().lanes().get(lane), "active-opens"),
                        "client lane " + lane + " opened its share (round robin)");
                assertTrue(counter(b.netStack().lanes().get(lane), "passive-opens") > 0,
                        "server lane " + lane + " accepted connections");
            }
        } finally {
            clients.shutdownNow();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            a.netStack().close();
            b.netStack().close();
        }
    }

    private static long counter(NetStack lane, String name) {
        return lane.onShard(() -> lane.component(TcpStack.class).counters().snapshot().get(name));
    }
}
