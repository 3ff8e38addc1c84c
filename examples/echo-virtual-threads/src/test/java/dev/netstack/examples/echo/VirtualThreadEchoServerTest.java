package dev.netstack.examples.echo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.internal.TcpStack;
import dev.netstack.test.MemoryLink;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualThreadEchoServerTest {

    @Test
    void servesManyClientsAtOnceEveryByteBack() {
        servesManyClients(1);
    }

    /**
     * The same server, unchanged, over stacks of two shards: the socket API listens on both lanes
     * and the clients' connections are spread over them.
     */
    @Test
    void servesManyClientsOverTwoShards() {
        servesManyClients(2);
    }

    private void servesManyClients(int shards) {
        long seed = System.nanoTime();
        System.out.println("seed " + seed + ", " + shards + " shard(s)");
        MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).queues(shards).build();
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.41.1/24")
                .shards(shards));
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.41.2/24")
                .shards(shards));
        int server = (198 << 24) | (18 << 16) | (41 << 8) | 2;
        try (VirtualThreadEchoServer echo = new VirtualThreadEchoServer(b.sockets(), 7);
                var clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int c = 0; c < 50; c++) {
                long s = seed + c;
                done.add(CompletableFuture.runAsync(() -> {
                    byte[] data = new byte[20_000];
                    new Random(s).nextBytes(data);
                    try (StreamSocket socket = a.sockets().openStream()) {
                        socket.connect(server, 7);
                        socket.send(data, 0, data.length);
                        byte[] got = new byte[data.length];
                        int have = 0;
                        while (have < got.length) {
                            have += socket.receive(got, have, got.length - have);
                        }
                        assertArrayEquals(data, got);
                    }
                }, clients));
            }
            done.forEach(CompletableFuture::join);
            for (NetStack lane : b.netStack().lanes()) {
                long accepted = lane.onShard(() -> lane.component(TcpStack.class).counters().snapshot().get("passive-opens"));
                assertTrue(accepted > 0, "every lane of the server accepted connections");
            }
            assertEquals(shards, b.netStack().lanes().size());
        } finally {
            a.netStack().close();
            b.netStack().close();
        }
    }
}
