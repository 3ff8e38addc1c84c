package dev.netstack.socket.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netstack.socket.StreamSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thread per connection on the blocking API, with virtual threads: 2,000 concurrent connections
 * between two stacks, each echoing a seeded random message through the server and comparing every
 * byte. The connection count is the system property {@code socket.connections}.
 */
class ManyConnectionsTest {

    static final int CONNECTIONS = Integer.getInteger("socket.connections", 2000);
    static final int BYTES = Integer.getInteger("socket.connection.bytes", 8 * 1024);
    static final long SEED = Long.getLong("socket.seed", 20_261_121L);

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void echoesOnTwoThousandConcurrentConnectionsServedByVirtualThreads() throws Exception {
        System.out.println("connections " + CONNECTIONS + " bytes " + BYTES + " seed " + SEED);
        Map<String, Object> tcp = Map.of("send_buffer_bytes", 16 * 1024, "receive_buffer_bytes", 16 * 1024,
                "initial_receive_window_bytes", 16 * 1024, "backlog", 4096, "syn_queue", 4096);
        try (TwoStacks net = new TwoStacks(8 * 1024, tcp);
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            StreamSocket server = net.b.sockets.openStream();
            server.bind(0, 9000);
            server.listen(4096);
            AtomicLong echoed = new AtomicLong();
            threads.submit(() -> {
                while (true) {
                    StreamSocket c;
                    try {
                        c = server.accept();
                    } catch (RuntimeException closed) {
                        return;
                    }
                    threads.submit(() -> echo(c, echoed));
                }
            });
            long start = System.nanoTime();
            List<Future<Integer>> clients = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int id = i;
                clients.add(threads.submit(() -> client(net, id)));
            }
            long verified = 0;
            for (Future<Integer> f : clients) {
                verified += f.get(240, TimeUnit.SECONDS);
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.println(CONNECTIONS + " connections, " + verified + " bytes verified in " + ms + " ms");
            assertEquals((long) CONNECTIONS * BYTES, verified);
            assertEquals((long) CONNECTIONS * BYTES, echoed.get());
            server.close();
        }
    }

    static void echo(StreamSocket c, AtomicLong echoed) {
        byte[] buf = new byte[4096];
        try (c) {
            int n;
            while ((n = c.receive(buf, 0, buf.length)) > 0) {
                c.send(buf, 0, n);
                echoed.addAndGet(n);
            }
        }
    }

    static int client(TwoStacks net, int id) {
        byte[] message = new byte[BYTES];
        new SplittableRandom(SEED + id).nextBytes(message);
        byte[] back = new byte[BYTES];
        try (StreamSocket s = net.a.sockets.openStream()) {
            s.connect(TwoStacks.B, 9000);
            int sent = 0;
            int received = 0;
            // interleave so neither side's buffers must hold the whole message
            while (received < BYTES) {
                if (sent < BYTES) {
                    int chunk = Math.min(1024, BYTES - sent);
                    sent += s.send(message, sent, chunk);
                }
                if (received < sent) {
                    int n = s.receive(back, received, BYTES - received);
                    if (n < 0) {
                        throw new AssertionError("connection " + id + " ended after " + received + " bytes");
                    }
                    received += n;
                }
            }
            s.shutdownOutput();
            if (s.receive(new byte[1], 0, 1) != -1) {
                throw new AssertionError("connection " + id + ": data after the echo");
            }
        }
        if (!Arrays.equals(message, back)) {
            throw new AssertionError("connection " + id + ": echoed bytes differ");
        }
        return BYTES;
    }
}
