package dev.netstack.examples.echo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.netstack.embedded.NetStack;
import dev.netstack.nio.internal.EmbeddedBootstrap;
import dev.netstack.socket.StreamSocket;
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
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        MemoryLink link = MemoryLink.builder().capacity(4096).buffers(8192).build();
        EmbeddedBootstrap.Stack a = EmbeddedBootstrap.start(NetStack.builder().device(link.a()).address("198.18.41.1/24"));
        EmbeddedBootstrap.Stack b = EmbeddedBootstrap.start(NetStack.builder().device(link.b()).address("198.18.41.2/24"));
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
        } finally {
            a.netStack().close();
            b.netStack().close();
        }
    }
}
