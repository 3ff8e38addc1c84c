package dev.netstack.demo.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.demo.BytePattern;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The echo service in steady state allocates nothing per segment: a client that itself allocates
 * nothing streams the pattern through echo on the simulated hosts (both stacks run on this thread),
 * and the thread's allocated bytes are compared with the segments carried.
 */
class EchoHandlerTest {

    /** Sends the pattern from its table and checks what comes back against it, allocation-free. */
    static final class PatternClient implements TcpHandler {
        final long total;
        final MemorySegment scratch = MemorySegment.ofArray(new byte[32 * 1024]);
        long sent;
        long received;
        long mismatches;
        TcpError closed;

        PatternClient(long total) {
            this.total = total;
        }

        @Override
        public void onConnected(TcpConnection c) {
            write(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            write(c);
        }

        @Override
        public void onReadable(TcpConnection c) {
            read(c);
        }

        @Override
        public void onPeerClosed(TcpConnection c) {
            read(c);
        }

        @Override
        public void onClosed(TcpConnection c, TcpError reason) {
            closed = reason;
        }

        private void write(TcpConnection c) {
            MemorySegment table = BytePattern.table();
            while (sent < total) {
                int phase = (int) (sent & (BytePattern.PERIOD - 1));
                int n = c.send(table, phase, (int) Math.min(total - sent, table.byteSize() - phase));
                if (n <= 0) {
                    return;
                }
                sent += n;
            }
            c.shutdownOutput();
        }

        private void read(TcpConnection c) {
            int n;
            while ((n = c.receive(scratch, 0, (int) scratch.byteSize())) > 0) {
                for (int i = 0; i < n; i++) {
                    if ((scratch.get(ValueLayout.JAVA_BYTE, i) & 0xFF) != BytePattern.byteAt(received + i)) {
                        mismatches++;
                    }
                }
                received += n;
            }
            if (n < 0) {
                c.close();
            }
        }
    }

    private static long echo(DemoHosts hosts, long bytes) {
        PatternClient client = new PatternClient(bytes);
        hosts.client.tcp.connect(DemoHosts.SERVER, 7, 0, 0, TcpOptions.defaults(), client);
        assertTrue(hosts.sim.runUntil(() -> client.closed != null, 600_000_000_000L), "echo finished");
        assertEquals(TcpError.NONE, client.closed);
        assertEquals(bytes, client.received);
        assertEquals(0, client.mismatches);
        return client.received;
    }

    @Test
    void echoAllocatesNothingPerSegmentInSteadyState() {
        DemoHosts hosts = new DemoHosts(20_261_121L, Map.of());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        echo(hosts, 8L << 20); // warm-up: JIT, pools, connection tables
        long segmentsBefore = hosts.server.tcp.counters().snapshot().get("in-segs");
        long before = threads.getThreadAllocatedBytes(thread);
        long bytes = 32L << 20;
        echo(hosts, bytes);
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        long segments = hosts.server.tcp.counters().snapshot().get("in-segs") - segmentsBefore;
        double perSegment = (double) allocated / segments;
        System.out.printf("echo of %d bytes: %d segments into the server, %d bytes allocated (%.3f per segment;"
                + " per connection: handler, 16 KiB buffer, TCP's connection state)%n", bytes, segments, allocated, perSegment);
        // the per-connection cost (EchoHandler, its buffer, the core's connection) is a few tens of KiB
        assertTrue(perSegment < 16, "allocation per segment: " + perSegment);
    }
}
